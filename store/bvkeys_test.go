package store

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var bvT0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func TestValidateBounceVerification(t *testing.T) {
	ok := testConfig()
	ok.BounceVerification = BounceVerification{OldKeyDays: 3, Keys: []BVKey{
		{Name: "k1", Number: 0, Secret: "a", Created: bvT0},
		{Name: "k2", Number: 5, Secret: "b", Created: bvT0.Add(time.Hour)},
	}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid key store refused: %v", err)
	}
	for _, c := range []struct {
		edit func(*BounceVerification)
		want string
	}{
		{func(b *BounceVerification) { b.OldKeyDays = 366 }, "old_key_days 366 is out of range"},
		{func(b *BounceVerification) { b.Keys[1].Name = "K1" }, "the name is used twice"},
		{func(b *BounceVerification) { b.Keys[1].Name = "1k" }, "key name \"1k\""},
		{func(b *BounceVerification) { b.Keys[1].Number = 0 }, "number 0 is used twice"},
		{func(b *BounceVerification) { b.Keys[1].Number = 10 }, "number 10 is out of range"},
		{func(b *BounceVerification) { b.Keys[0].Secret = "" }, "the secret must have 1 to 1024 characters"},
		{func(b *BounceVerification) { b.Keys[0].Created = time.Time{} }, "no creation time"},
		{func(b *BounceVerification) { b.Keys[1].Created = bvT0.Add(-time.Hour) }, "keys must be in creation order"},
	} {
		cfg := ok.Clone()
		c.edit(&cfg.BounceVerification)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate = %v, want %q", err, c.want)
		}
	}
}

// The key store is one object ("bvconfig") for Changes and Merge, and is
// absent from the JSON while never set (older config.db files and
// saved configurations read the same).
func TestBounceVerificationObject(t *testing.T) {
	base := testConfig()
	if b, _ := json.Marshal(base); strings.Contains(string(b), "bounce_verification") {
		t.Fatal("an unset key store is written to the JSON")
	}
	mine := base.Clone()
	mine.BounceVerification.Keys = []BVKey{{Name: "k1", Secret: "a", Created: bvT0}}
	cs := Changes(base, mine)
	if len(cs) != 1 || cs[0].Object != "bvconfig" {
		t.Fatalf("Changes = %+v, want one change of bvconfig", cs)
	}
	theirs := base.Clone()
	theirs.System.Hostname = "theirs.example.com"
	got, conflicts := Merge(base, mine, theirs)
	if len(conflicts) != 0 || len(got.BounceVerification.Keys) != 1 || got.System.Hostname != "theirs.example.com" {
		t.Fatalf("Merge: conflicts %v, keys %+v, hostname %q", conflicts, got.BounceVerification.Keys, got.System.Hostname)
	}
	theirs.BounceVerification.OldKeyDays = 3
	if _, conflicts := Merge(base, mine, theirs); len(conflicts) != 1 || conflicts[0] != "bvconfig" {
		t.Fatalf("both changed bvconfig: conflicts %v", conflicts)
	}
}
