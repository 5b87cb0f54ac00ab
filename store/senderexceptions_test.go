package store

import (
	"strings"
	"testing"
)

// The sender verification texts hold '#' and '$EnvelopeSender': they
// must survive HAT text export and import.
func TestHATRoundTripSenderTexts(t *testing.T) {
	h := NewPublicHAT()
	h.Policies = append(h.Policies, FlowPolicy{Name: "$VERIFY", Behavior: BehaviorAccept, Params: Params{
		"sender_verification": "on", "sender_verification_exceptions": "on",
		"sender_nxdomain_code": "550", "sender_nxdomain_text": "#5.1.8 No such domain <$EnvelopeSender> # really",
		"sender_tempfail_text": "Try later (DNS)",
	}})
	roundTrip(t, h)
	if !strings.Contains(FormatHAT(h), `sender_nxdomain_text = "#5.1.8 No such domain <$EnvelopeSender> # really"`) {
		t.Errorf("text not exported:\n%s", FormatHAT(h))
	}
}

func TestSenderExceptions(t *testing.T) {
	for in, want := range map[string]string{
		"User@Example.COM": "User@example.com", "@Example.com": "@example.com", "@.Sub.Example.com": "@.sub.example.com",
		"@": "", "@.": "", "example.com": "", "@-x.com": "", "a@": "", "@exa mple.com": "",
	} {
		got, err := CanonSenderExceptionMatch(in)
		if want == "" && err == nil || want != "" && (err != nil || got != want) {
			t.Errorf("CanonSenderExceptionMatch(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []SenderException{
		{Match: "@x.test", Action: "ACCEPT", Code: 550},
		{Match: "@x.test", Action: "REJECT", Code: 250},
		{Match: "@x.test", Action: "REJECT", Text: "a\r\nb"},
		{Match: "@X.test", Action: "REJECT"},
		{Match: "@x.test", Action: "DROP"},
	}
	for _, e := range bad {
		if err := CheckSenderException(e); err == nil {
			t.Errorf("%+v accepted", e)
		}
	}
	c := Default("seg.test", "")
	c.SenderExceptions = []SenderException{
		{Match: "@.example.com", Action: "REJECT"},
		{Match: "@sub.example.com", Action: "ACCEPT"},
		{Match: "boss@sub.example.com", Action: "REJECT", Code: 550},
		{Match: "@.deep.sub.example.com", Action: "ACCEPT"},
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for sender, want := range map[string]string{
		"boss@Sub.Example.com": "boss@sub.example.com", "x@sub.example.com": "@sub.example.com",
		"x@a.example.com": "@.example.com", "x@example.com": "", "x@a.deep.sub.example.com": "@.deep.sub.example.com",
		"x@other.test": "",
	} {
		local, domain, _ := strings.Cut(sender, "@")
		got := ""
		if e := c.MatchSenderException(local, domain); e != nil {
			got = e.Match
		}
		if got != want {
			t.Errorf("%s: matched %q, want %q", sender, got, want)
		}
	}
	c.SenderExceptions = append(c.SenderExceptions, SenderException{Match: "@sub.example.com", Action: "REJECT"})
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate entry: %v", err)
	}
}

// A configuration stored while sender_verification_exceptions was an
// inert list validates after the migration: "" is off, a list on.
func TestMigrateSenderExceptionsParam(t *testing.T) {
	c := Default("seg.test", "")
	h := &c.Listeners[0].HAT
	h.Defaults["sender_verification_exceptions"] = ""
	h.Policies[0].Params = Params{"sender_verification_exceptions": "a@example.com"}
	if c.Validate() == nil {
		t.Fatal("the old values validate without the migration: the test proves nothing")
	}
	c = c.Clone() // through Listener.UnmarshalJSON, as a stored revision or saved file loads
	h = &c.Listeners[0].HAT
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if h.Defaults["sender_verification_exceptions"] != "off" || h.Policies[0].Params["sender_verification_exceptions"] != "on" {
		t.Errorf("migrated to %q and %q", h.Defaults["sender_verification_exceptions"], h.Policies[0].Params["sender_verification_exceptions"])
	}
}
