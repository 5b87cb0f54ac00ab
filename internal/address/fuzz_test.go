package address

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse and to the MAIL/RCPT path
// parsers (the corpus, in testdata/fuzz/FuzzParse, holds quoted strings,
// IP literals, IDNA labels, NUL/CR/LF, source routes and parameters). No
// input panics; every accepted address has a canonical text that parses
// back to the same mailbox and the same text, holds no CR, LF or NUL and
// no '<', '>' or space outside its quoted local part, stays within the
// limits, and, put in angle brackets as a command argument, is one path
// with no parameters: nothing of an address can come out of the path.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"user@example.com",
		`"victim@outside.test> NOTIFY=NEVER"@example.com`,
		`<"a\"b> SIZE=1"@example.com> NOTIFY=NEVER`,
		"<@a.example,@b.example:user@[IPv6:2001:db8::1]>",
		"user@[192.0.2.1]",
		"user@xn--bcher-kva.example.",
		"us\x00er@example.com",
		"\"a\r\nRCPT TO:<x@y>\"@example.com",
		"<> SIZE=100",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := Parse(s); err == nil {
			checkCanonical(t, s, m)
		}
		for _, parse := range []func(string) (Path, error){ParseForwardPath, ParseReversePath} {
			p, err := parse(s)
			if err != nil || p.Null {
				continue
			}
			checkCanonical(t, s, p.Mailbox)
			for _, kv := range p.Params {
				if !validKeyword(kv.Keyword) || strings.ContainsAny(kv.Value, " \r\n\x00=") {
					t.Fatalf("%q: parameter %+v", s, kv)
				}
			}
		}
	})
}

func checkCanonical(t *testing.T, in string, m Mailbox) {
	t.Helper()
	c := m.String()
	again, err := Parse(c)
	if err != nil || again != m || again.String() != c {
		t.Fatalf("%q: canonical %q reparses as %+v (%q), %v; want %+v", in, c, again, again.String(), err, m)
	}
	if strings.ContainsAny(c, "\r\n\x00") {
		t.Fatalf("%q: canonical %q holds CR, LF or NUL", in, c)
	}
	local := LocalPart(m.Local)
	if len(local) > MaxLocal || len(c) > MaxAddress {
		t.Fatalf("%q: canonical %q is over the limits", in, c)
	}
	outside := c[len(local):]
	if !strings.HasPrefix(local, `"`) {
		outside = c
	}
	if strings.ContainsAny(outside, "<> \t\"\\") {
		t.Fatalf("%q: canonical %q has a special character outside quotes", in, c)
	}
	p, err := ParseForwardPath("<" + c + ">")
	if err != nil || p.Mailbox != m || len(p.Params) != 0 {
		t.Fatalf("%q: <%s> as a path: %+v, %v", in, c, p, err)
	}
}
