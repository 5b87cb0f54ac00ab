package mta

import (
	"bytes"
	"io"
	"testing"

	"seg/internal/mailapi"
)

// TestMailSystemRefusesBadRequests: a request the shell would never make
// (it checks first) is an error, not a guess; the MTA's parts are not
// reached, so a bare MTA serves.
func TestMailSystemRefusesBadRequests(t *testing.T) {
	m := &MTA{}
	cases := []struct {
		name string
		run  func(w io.Writer) error
		want string
	}{
		{"tophosts 0", func(w io.Writer) error { return m.TopHosts(w, 0) }, "tophosts: sort order 0 is not a number from 1 to 5"},
		{"tophosts 6", func(w io.Writer) error { return m.TopHosts(w, 6) }, "tophosts: sort order 6 is not a number from 1 to 5"},
		{"showrecipients, no selector", func(w io.Writer) error { return m.ShowRecipients(w, mailapi.Selector{}) },
			"choose recipients with --domain D, --sender S or --all"},
		{"deleterecipients, two selectors", func(w io.Writer) error {
			return m.DeleteRecipients(w, mailapi.Selector{Domain: "a.example", All: true})
		}, "choose recipients with --domain D, --sender S or --all"},
		{"bouncerecipients, no selector", func(w io.Writer) error { return m.BounceRecipients(w, mailapi.Selector{}) },
			"choose recipients with --domain D, --sender S or --all"},
		{"redirectrecipients, no host", func(w io.Writer) error {
			return m.RedirectRecipients(w, mailapi.Selector{All: true}, "")
		}, "redirectrecipients needs --to HOST"},
		{"findevent, no query", func(w io.Writer) error { return m.FindEvent(w, mailapi.EventQuery{}) },
			"findevent needs one of --mid N, --from RE, --to RE, --subject RE, --message-id ID"},
		{"findevent, two queries", func(w io.Writer) error { return m.FindEvent(w, mailapi.EventQuery{MID: 1, To: "x"}) },
			"findevent needs one of --mid N, --from RE, --to RE, --subject RE, --message-id ID"},
		{"findevent, negative MID", func(w io.Writer) error { return m.FindEvent(w, mailapi.EventQuery{MID: -1}) },
			"findevent needs one of --mid N, --from RE, --to RE, --subject RE, --message-id ID"},
		{"topin 0", func(w io.Writer) error { return m.TopIn(w, 0) }, "topin: sort order 0 is not 1 or 2"},
		{"topin 3", func(w io.Writer) error { return m.TopIn(w, 3) }, "topin: sort order 3 is not 1 or 2"},
		{"nslookup SOA", func(w io.Writer) error { return m.NSLookup(w, "example.com", "SOA") },
			`nslookup: query type "SOA" is not one of A, AAAA, MX, TXT, PTR`},
		{"nslookup PTR of a name", func(w io.Writer) error { return m.NSLookup(w, "example.com", "PTR") },
			`Invalid arguments when processing nslookup: a PTR query takes an IP address, not "example.com".`},
	}
	for _, c := range cases {
		var b bytes.Buffer
		err := c.run(&b)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
		if b.Len() != 0 {
			t.Errorf("%s: printed %q", c.name, b.String())
		}
	}
}
