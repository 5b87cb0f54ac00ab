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
	in.Defaults["max_rcpts_per_msg"] = "10"                                          // enforced: no warning
	in.Policy("$THROTTLED").Params["max_rcpts_per_hour"] = "30"                      // enforced: no warning
	in.Policy("$ACCEPTED").Params = Params{"spam_check": "on", "dkim_signing": "on"} // spam_check on is the listener default; dkim_signing is enforced
	out := &next.Listeners[1].HAT
	out.Defaults["spam_check"] = "on"   // a private listener's default is off
	out.Defaults["use_sb"] = "off"      // and this is its default
	out.Defaults["virus_check"] = "off" // its default is on
	want := []string{
		"Warning: spam_check is stored but not enforced: seg has no spam engine.",
		"Warning: virus_check is stored but not enforced: seg has no virus engine.",
	}
	if got := InertChanges(old, next); !slices.Equal(got, want) {
		t.Errorf("InertChanges\n got %q\nwant %q", got, want)
	}

	// What was already set is not news; setting it back is no warning.
	if got := InertChanges(next, next.Clone()); len(got) != 0 {
		t.Errorf("nothing changed: %q", got)
	}
	again := next.Clone()
	again.Listeners[1].HAT.Defaults["spam_check"] = "off"
	again.Listeners[1].HAT.Defaults["virus_check"] = "on"
	again.Listeners[0].HAT.Policy("$ACCEPTED").Params["virus_check"] = "off"
	if got := InertChanges(next, again); !slices.Equal(got, []string{want[1]}) {
		t.Errorf("virus_check turned off on a public policy, both back to default on the private one: %q", got)
	}
}
