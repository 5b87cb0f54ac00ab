package configcmd

import (
	"reflect"
	"testing"

	"seg/store"
)

func TestBounceconfigBatch(t *testing.T) {
	b := newBatch(t)
	b.ok("bounceconfig new p1 max_retries=10 --initial_retry=2m send_warnings=yes")
	p := b.cfg().BounceProfile("p1")
	want := store.Params{"max_retries": "10", "initial_retry": "120", "send_warnings": "on"}
	if p == nil || !reflect.DeepEqual(p.Params, want) {
		t.Fatalf("p1 = %+v, want %v", p, want)
	}
	b.fail("bounceconfig new P1", "Profile name already in use")
	b.fail("bounceconfig new default", "Profile name already in use")
	b.fail("bounceconfig new 9lives", "The bounce profile name must start with a letter or underscore")
	b.fail("bounceconfig new p2 max_retries=lots", `max_retries: "lots" is not a number`)
	b.fail("bounceconfig new p2 colour=blue", "Unknown bounceconfig parameter colour")
	b.fail("bounceconfig new p2 initial_retry=7200", "p2: initial_retry (7200 seconds) must not exceed max_retry_timeout (3600 seconds).")
	b.fail("bounceconfig new p2 bounce_address=not-an-address", `bounce_address "not-an-address" is not a valid email address`)
	b.fail("bounceconfig new", "Usage: bounceconfig new NAME")

	// edit: "Default" inherits again.
	b.ok("bounceconfig edit p1 send_warnings=Default max_queue_lifetime=2d bounce_address=postmaster@example.com")
	want = store.Params{"max_retries": "10", "initial_retry": "120", "max_queue_lifetime": "172800", "bounce_address": "postmaster@example.com"}
	if got := b.cfg().BounceProfile("p1").Params; !reflect.DeepEqual(got, want) {
		t.Errorf("p1 after edit = %v, want %v", got, want)
	}
	b.ok("bounceconfig edit Default max_retries=50")
	if got := b.cfg().BounceParams("p1")["max_retries"]; got != "10" {
		t.Errorf("p1 max_retries = %s", got)
	}
	b.fail("bounceconfig edit Default max_retries=default", "max_retries")
	b.fail("bounceconfig edit Default max_retry_timeout=60", "p1: initial_retry (120 seconds) must not exceed max_retry_timeout (60 seconds).")
	b.fail("bounceconfig edit nosuch max_retries=1", `There is no bounce profile named "nosuch" (defined: Default, p1).`)
	b.fail("bounceconfig edit p1", "Nothing to change")

	out := b.ok("bounceconfig print p1")
	wantOut := `p1
    max_retries = 10
    max_queue_lifetime = 172800
    initial_retry = 120
    max_retry_timeout = 3600 (Default)
    send_bounces = on (Default)
    use_dsn_bounce_format = on (Default)
    bounce_subject = Delivery Status Notification (Failure) (Default)
    send_warnings = off (Default)
    send_warnings_count = 1 (Default)
    send_warnings_interval = 14400 (Default)
    bounce_address = postmaster@example.com
`
	if out != wantOut {
		t.Errorf("print p1:\n%s\nwant:\n%s", out, wantOut)
	}
	all := b.ok("bounceconfig print")
	if want := "Default\n    max_retries = 50\n"; all[:len(want)] != want || len(all) <= len(out) {
		t.Errorf("print:\n%s", all)
	}
	b.commit()

	b.fail("bounceconfig delete Default", "The default profile may not be deleted")
	b.fail("bounceconfig delete nosuch", "There is no bounce profile")
	b.ok("bounceconfig delete P1")
	if b.cfg().BounceProfile("p1") != nil {
		t.Error("p1 not deleted")
	}
	b.fail("bounceconfig frob x", `Unknown bounceconfig operation "frob"`)
	b.commit()
}

func TestBounceconfigTranscript(t *testing.T) {
	transcript(t, "bounceconfig.txt")
}
