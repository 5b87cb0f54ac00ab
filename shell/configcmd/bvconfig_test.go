package configcmd

import (
	"strings"
	"testing"
)

func TestBvconfigBatch(t *testing.T) {
	b := newBatch(t)
	if got := b.ok("bvconfig print"); !strings.Contains(got, "No bounce verification keys configured") || !strings.Contains(got, "for 7 days") {
		t.Errorf("print: %q", got)
	}
	b.ok("bvconfig new k1 --text s3cret")
	b.ok("bvconfig new k2")
	bv := b.cfg().BounceVerification
	if len(bv.Keys) != 2 || bv.Keys[0].Secret != "s3cret" || bv.Keys[0].Number != 0 || bv.Keys[1].Number != 1 || len(bv.Keys[1].Secret) != 64 {
		t.Fatalf("keys = %+v", bv.Keys)
	}
	got := b.ok("bvconfig print")
	if strings.Contains(got, "s3cret") || strings.Contains(got, bv.Keys[1].Secret) {
		t.Errorf("print shows a secret: %q", got)
	}
	if lines := strings.Split(got, "\n"); !strings.HasPrefix(lines[3], "k2 ") || !strings.HasSuffix(strings.TrimSpace(lines[3]), "yes") || strings.HasSuffix(strings.TrimSpace(lines[2]), "yes") {
		t.Errorf("print: want k2, the newest, marked as signing:\n%s", got)
	}
	if show := b.ok("showconfig"); strings.Contains(show, "s3cret") || strings.Contains(show, bv.Keys[1].Secret) {
		t.Errorf("showconfig shows a secret")
	}
	b.commit()
	b.fail("bvconfig new K1", "A key named K1 already exists.")
	b.fail("bvconfig new 1x", "not a valid key name")
	b.fail("bvconfig new x --text=", "Usage: bvconfig new")
	b.fail("bvconfig new x --bogus 1", "Unknown option --bogus")
	b.fail("bvconfig new x --text "+strings.Repeat("a", 1025), "too long")
	b.fail("bvconfig setup --old-key-days 0", "--old-key-days must be a number of days from 1 to 365")
	b.fail("bvconfig setup --old-key-days x", "--old-key-days must be")
	b.fail("bvconfig setup", "Usage: bvconfig setup")
	b.fail("bvconfig delete nope", "No bounce verification key named nope.")
	b.ok("bvconfig setup --old-key-days 3")
	if b.cfg().BounceVerification.OldKeyDays != 3 {
		t.Errorf("old_key_days = %d", b.cfg().BounceVerification.OldKeyDays)
	}
	// Deleting frees the number; the next key takes the lowest free one.
	b.ok("bvconfig delete K1")
	b.ok("bvconfig new k3")
	if k := b.cfg().BounceVerification.Key("k3"); k == nil || k.Number != 0 {
		t.Errorf("k3 = %+v, want number 0", k)
	}
	for i := 4; i <= 11; i++ {
		b.ok("bvconfig new k" + string(rune('a'+i)))
	}
	b.fail("bvconfig new full", "There are already 10 keys")
	b.commit()
}

func TestBvconfigTranscript(t *testing.T) {
	transcript(t, "bvconfig.txt")
}
