package configcmd

import (
	"reflect"
	"strings"
	"testing"

	"seg/store"
)

// One spelling of "use the value above" (shell.Inherit, any case) in
// destconfig and bounceconfig, batch and interactive; the old spellings
// stay (destconfig's empty value, bounceconfig's Default).

func TestDestconfigInherit(t *testing.T) {
	b := newBatch(t)
	b.ok("bounceconfig new slow max_retries=5")
	b.ok("destconfig edit DEFAULT --bounce_profile=slow")
	b.ok("destconfig new example.com --max_host_concurrency=10 --use_tls=required --dane=mandatory --ip_sort_pref=PREFER_V6 --bounce_profile=default")
	// bounce_profile=default names the profile Default: DEFAULT uses slow.
	if got := b.cfg().Destination("example.com").Params["bounce_profile"]; got != "Default" {
		t.Fatalf("--bounce_profile=default set %q, want the profile Default", got)
	}
	b.ok("destconfig edit example.com --use_tls=default --dane=DEFAULT --ip_sort_pref= --bounce_profile=")
	want := store.Params{"max_host_concurrency": "10"}
	if got := b.cfg().Destination("example.com").Params; !reflect.DeepEqual(got, want) {
		t.Errorf("after --PARAM=default: %v, want %v", got, want)
	}
	// DEFAULT has nothing above it: a required value stays required,
	// whichever spelling.
	b.fail("destconfig edit DEFAULT --use_tls=Default", "DEFAULT needs a value for use_tls")
	b.ok("destconfig default --recipient_minutes=30 --recipient_limit=100")
	b.ok("destconfig default --recipient_limit=default --recipient_minutes=")
	if p := b.cfg().DestDefault; p.Has("recipient_limit") || p.Has("recipient_minutes") {
		t.Errorf("DEFAULT recipient limit kept: %v", p)
	}
	out := b.ok("help destconfig")
	for _, s := range []string{"(VALUE default: use the value of DEFAULT)", "--bounce_profile=default names the profile Default"} {
		if !strings.Contains(out, s) {
			t.Errorf("help destconfig lacks %q", s)
		}
	}
}

// EDIT: "default" to a value question leaves that setting to DEFAULT;
// at the bounce profile question it is the profile called Default.
func TestDestconfigInteractiveInherit(t *testing.T) {
	b := newBatch(t)
	b.ok("bounceconfig new slow max_retries=5")
	b.ok("destconfig edit DEFAULT --bounce_profile=slow")
	b.ok("destconfig new example.com --max_host_concurrency=100 --limit_type=MXIP --use_tls=required --dane=mandatory")
	b.h.S.Interactive = true
	b.h.Run("destconfig", "edit", "example.com",
		"", "default", // concurrency: yes, then default: DEFAULT's
		"",        // recipient limit: no
		"y", "10", // messages per connection
		"y", "Default", // TLS: default (not a label): DEFAULT's
		"", "default", // DANE (asked, set now): default
		"",             // bounce verification: no
		"y", "default", // bounce profile: the profile called Default
		"", "")
	want := store.Params{"max_messages_per_connection": "10", "bounce_profile": "Default"}
	if got := b.cfg().Destination("example.com").Params; !reflect.DeepEqual(got, want) {
		t.Errorf("after EDIT: %v, want %v\n%s", got, want, b.h.Output())
	}
	if !strings.Contains(b.h.Output(), "\nAnswer \"default\" to a value question to use the value of DEFAULT.\n") {
		t.Errorf("EDIT does not say how to inherit:\n%s", b.h.Output())
	}
}

func TestBounceconfigInherit(t *testing.T) {
	b := newBatch(t)
	b.ok("bounceconfig new slow max_retries=5 initial_retry=120 send_warnings=on")
	b.ok("bounceconfig edit slow max_retries=DEFAULT --initial_retry=default send_warnings=Default")
	if got := b.cfg().BounceProfile("slow").Params; len(got) != 0 {
		t.Errorf("after PARAM=default: %v, want no values of its own", got)
	}
	if out := b.ok("help bounceconfig"); !strings.Contains(out, "(VALUE default: use the value of the Default profile)") {
		t.Errorf("help bounceconfig:\n%s", out)
	}
}
