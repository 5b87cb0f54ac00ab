package store

import (
	"slices"
	"testing"
)

func TestInertChanges(t *testing.T) {
	old := Default("seg.test", "")
	old.Listeners = append(old.Listeners, NewListener("Out", ListenerPrivate, "127.0.0.1", 2526))

	// New objects as seg makes them warn about nothing: the predefined
	// policies' own values ($THROTTLED's hourly limit) are defaults.
	next := old.Clone()
	next.Listeners = append(next.Listeners, NewListener("Second", ListenerPublic, "127.0.0.2", 25))
	next.Destinations = append(next.Destinations, Destination{Domain: "a.test", Params: Params{"max_host_concurrency": "5"}})
	next.Bounce = append(next.Bounce, BounceProfile{Name: "slow", Params: Params{"max_retries": "5"}})
	if got := InertChanges(old, next); len(got) != 0 {
		t.Errorf("new default objects: %q", got)
	}

	next = old.Clone()
	in := &next.Listeners[0].HAT
	in.Defaults["spf_conformance"] = "spf"
	in.Defaults["max_rcpts_per_msg"] = "10"                                          // enforced: no warning
	in.Policy("$THROTTLED").Params["max_rcpts_per_hour"] = "30"                      // enforced: no warning
	in.Policy("$ACCEPTED").Params = Params{"spam_check": "on", "dkim_signing": "on"} // spam_check on is the listener default
	out := &next.Listeners[1].HAT
	out.Defaults["spam_check"] = "on" // a private listener's default is off
	out.Defaults["use_sb"] = "off"    // and this is its default
	next.DestDefault["recipient_minutes"] = "60"
	next.Destinations = []Destination{{Domain: "b.test", Params: Params{"recipient_limit": "100", "dane": "off"}}} // recipient_limit: enforced
	next.Bounce[0].Params["send_warnings"] = "on"
	next.Bounce[0].Params["send_warnings_count"] = "1"
	want := []string{
		"Warning: spam_check is stored but not enforced: seg has no spam engine.",
		"Warning: spf_conformance is stored but not enforced: seg does not verify SPF yet.",
		"Warning: dkim_signing is stored but not enforced: seg does not sign with DKIM yet.",
		"Warning: send_warnings is stored but not enforced: seg sends no delay warnings yet.",
	}
	if got := InertChanges(old, next); !slices.Equal(got, want) {
		t.Errorf("InertChanges\n got %q\nwant %q", got, want)
	}

	// What was already set is not news; setting it back is no warning.
	if got := InertChanges(next, next.Clone()); len(got) != 0 {
		t.Errorf("nothing changed: %q", got)
	}
	again := next.Clone()
	again.Listeners[0].HAT.Defaults["spf_conformance"] = "sidf"
	again.Bounce[0].Params["send_warnings"] = "off"
	if got := InertChanges(next, again); !slices.Equal(got, []string{want[1]}) {
		t.Errorf("spf_conformance changed again, send_warnings back to default: %q", got)
	}
}
