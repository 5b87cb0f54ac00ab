package mailpolicy

import "testing"

// The expected lines are reference/asyncos-cli.md section 7's with the
// placeholders filled in by hand.
func TestLogLines(t *testing.T) {
	cases := []struct{ got, want string }{
		{LogSplit(58, 60, "tcamp", Table(false)),
			"MID 58 was split creating MID 60 due to a per-recipient policy tcamp in the inbound table"},
		{LogMatched(64855, "mail_policy_one", Table(false)),
			"MID 64855 matched all recipients for per-recipient policy mail_policy_one in the inbound table"},
		{LogMatched(7, "DEFAULT", Table(true)),
			"MID 7 matched all recipients for per-recipient policy DEFAULT in the outbound table"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got  %q\nwant %q", c.got, c.want)
		}
	}
}
