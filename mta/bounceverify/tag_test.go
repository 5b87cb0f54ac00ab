package bounceverify

import (
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/store"
)

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func keys(ks ...store.BVKey) *store.BounceVerification {
	return &store.BounceVerification{Keys: ks}
}

func key(name string, n int, secret string, created time.Time) store.BVKey {
	return store.BVKey{Name: name, Number: n, Secret: secret, Created: created}
}

func TestSignLayout(t *testing.T) {
	k := key("k1", 3, "s3cret", t0)
	got := Sign("joe@example.com", 20435, k)
	if !strings.HasPrefix(got, "prvs=3435") || !strings.HasSuffix(got, "=joe@example.com") || len(got) != len("prvs=3435xxxxxx=joe@example.com") {
		t.Fatalf("Sign = %q, want prvs=3435SSSSSS=joe@example.com", got)
	}
	tag, tagged, ok := Parse(got)
	if !tagged || !ok || tag.Key != 3 || tag.Day != 435 || tag.Orig != "joe@example.com" {
		t.Fatalf("Parse(%q) = %+v %v %v", got, tag, tagged, ok)
	}
	if again := Sign(got, 20435, k); again != got {
		t.Fatalf("Sign of a tagged address = %q, want it unchanged", again)
	}
	// Another secret, day or address gives another signature.
	for _, other := range []string{
		Sign("joe@example.com", 20435, key("k1", 3, "other", t0)),
		Sign("joe@example.com", 20436, k),
		Sign("jim@example.com", 20435, k),
	} {
		if other[9:15] == got[9:15] {
			t.Fatalf("%q and %q share a signature", other, got)
		}
	}
}

func TestVerifyExpiry(t *testing.T) {
	clock := segtest.NewClock(t0)
	bv := keys(key("k1", 0, "s3cret", t0.Add(-time.Hour)))
	tagged, ok := SignNow(bv, "Joe@Example.com", clock.Now())
	if !ok {
		t.Fatal("SignNow with a key: not ok")
	}
	for d := 0; d <= TagDays; d++ {
		orig, ok, why := Verify(bv, tagged, clock.Now())
		if !ok || orig != "Joe@Example.com" {
			t.Fatalf("day %d: Verify = %q %v %q, want the original address", d, orig, ok, why)
		}
		// Case changed on the way back still verifies.
		if _, ok, why := Verify(bv, strings.ToUpper(tagged), clock.Now()); !ok {
			t.Fatalf("day %d: upper-cased tag refused: %s", d, why)
		}
		clock.Advance(24 * time.Hour)
	}
	// Day TagDays+1 after signing: expired.
	if _, ok, why := Verify(bv, tagged, clock.Now()); ok || why != ReasonExpired {
		t.Fatalf("after %d days: ok=%v reason %q, want %q", TagDays+1, ok, why, ReasonExpired)
	}
	// A tag whose day lies too far ahead (a forged one) is refused too.
	future := Sign("joe@example.com", Day(t0)+TagDays+1, bv.Keys[0])
	if _, ok, why := Verify(bv, future, t0); ok || why != ReasonExpired {
		t.Fatalf("tag dated %d days ahead: ok=%v %q", TagDays+1, ok, why)
	}
}

func TestVerifyRefusals(t *testing.T) {
	bv := keys(key("k1", 0, "s3cret", t0))
	good := Sign("joe@example.com", Day(t0)+2, bv.Keys[0])
	flip := []byte(good)
	if flip[9] == 'a' {
		flip[9] = 'b'
	} else {
		flip[9] = 'a'
	}
	for _, c := range []struct{ addr, why string }{
		{"joe@example.com", ReasonUntagged},
		{"prvs=0123=joe@example.com", ReasonMalformed},
		{"prvs=0123abcdeg=joe@example.com", ReasonMalformed},
		{"prvs=0123abcdef@example.com", ReasonMalformed},
		{"prvs=0123abcdef=@example.com", ReasonMalformed},
		{"prvs=" + good[5:9] + good[9:15] + "=jim@example.com", ReasonSignature},
		{string(flip), ReasonSignature},
		{"prvs=5" + good[6:], ReasonUnknownKey},
	} {
		if orig, ok, why := Verify(bv, c.addr, t0); ok || why != c.why || orig != c.addr {
			t.Errorf("Verify(%q) = %q %v %q, want refused as %q", c.addr, orig, ok, why, c.why)
		}
	}
	if _, ok, why := Verify(bv, good, t0); !ok {
		t.Fatalf("good tag refused: %s", why)
	}
}

func TestOldKeyDays(t *testing.T) {
	clock := segtest.NewClock(t0)
	old := key("old", 0, "first", t0.Add(-48*time.Hour))
	tag, _ := SignNow(keys(old), "joe@example.com", clock.Now())
	bv := keys(old, key("new", 1, "second", t0))
	bv.OldKeyDays = 2
	// The newest key signs.
	if n, _ := SignNow(bv, "joe@example.com", clock.Now()); !strings.HasPrefix(n, "prvs=1") {
		t.Fatalf("SignNow = %q, want the newest key (1)", n)
	}
	clock.Advance(2*24*time.Hour - time.Second)
	if _, ok, why := Verify(bv, tag, clock.Now()); !ok {
		t.Fatalf("old key within old_key_days refused: %s", why)
	}
	clock.Advance(time.Second)
	if _, ok, why := Verify(bv, tag, clock.Now()); ok || why != ReasonOldKey {
		t.Fatalf("old key at old_key_days: ok=%v %q, want %q", ok, why, ReasonOldKey)
	}
	// Default: 7 days.
	bv.OldKeyDays = 0
	clock.Advance(-time.Second)
	if _, ok, why := Verify(bv, tag, clock.Now()); !ok {
		t.Fatalf("old key within the default days refused: %s", why)
	}
	if _, ok, _ := Verify(bv, tag, t0.Add(7*24*time.Hour)); ok {
		t.Fatal("old key after the default 7 days accepted")
	}
}

func TestSignNowNoKey(t *testing.T) {
	if a, ok := SignNow(&store.BounceVerification{}, "joe@example.com", t0); ok || a != "joe@example.com" {
		t.Fatalf("SignNow without keys = %q %v", a, ok)
	}
}

func FuzzParse(f *testing.F) {
	k := key("k", 4, "x", t0)
	f.Add(Sign("joe@example.com", Day(t0), k))
	f.Add("prvs=0123abcdef=a@b")
	f.Add("PRVS=9999FFFFFF==@@")
	f.Add("joe@example.com")
	f.Add("prvs=")
	f.Fuzz(func(t *testing.T, addr string) {
		tag, tagged, ok := Parse(addr)
		if ok && !tagged {
			t.Fatal("ok without tagged")
		}
		if !ok {
			return
		}
		if tag.Key < 0 || tag.Key > 9 || tag.Day < 0 || tag.Day > 999 || len(tag.Sig) != 6 {
			t.Fatalf("Parse(%q) = %+v: fields out of range", addr, tag)
		}
		if !strings.HasSuffix(addr, tag.Orig) || !strings.Contains(tag.Orig, "@") {
			t.Fatalf("Parse(%q).Orig = %q", addr, tag.Orig)
		}
		// Verify never accepts what the key did not sign, and a re-sign of
		// the original with the tag's own day verifies.
		bv := keys(key("k", tag.Key, "x", t0))
		if _, ok, _ := Verify(bv, Sign(tag.Orig, tag.Day+Day(t0)-Day(t0)%1000, bv.Keys[0]), t0); !ok && (tag.Day-Day(t0)%1000+1000)%1000 <= TagDays {
			if _, tg, _ := Parse(tag.Orig); !tg {
				t.Fatalf("re-signed %q does not verify", tag.Orig)
			}
		}
	})
}
