package address

import (
	"strings"
	"testing"
)

// TestParse is a table of RFC 5321 section 4.1.2 mailboxes: each valid
// one with its canonical text, each invalid one with (part of) the
// reason.
func TestParse(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	label := strings.Repeat("d", 63)
	for _, c := range []struct {
		in, want, err string
	}{
		// Dot-strings are kept as they are, case and all.
		{in: "user@example.com", want: "user@example.com"},
		{in: "First.Last@Example.COM", want: "First.Last@Example.COM"},
		{in: "a!#$%&'*+-/=?^_`{|}~z@example.com", want: "a!#$%&'*+-/=?^_`{|}~z@example.com"},
		{in: "user@localhost", want: "user@localhost"},
		{in: "user@123.example", want: "user@123.example"},
		// A quoted string that is a dot-string is printed unquoted.
		{in: `"user"@example.com`, want: "user@example.com"},
		{in: `"us\er"@example.com`, want: "user@example.com"},
		// Quoted strings stay quoted, with only the needed escapes.
		{in: `"john doe"@example.com`, want: `"john doe"@example.com`},
		{in: `"john\ doe"@example.com`, want: `"john doe"@example.com`},
		{in: `"victim@outside.test> NOTIFY=NEVER"@example.com`, want: `"victim@outside.test> NOTIFY=NEVER"@example.com`},
		{in: `"a\"b"@example.com`, want: `"a\"b"@example.com`},
		{in: `"a\\b"@example.com`, want: `"a\\b"@example.com`},
		{in: `".leading"@example.com`, want: `".leading"@example.com`},
		{in: `"a..b"@example.com`, want: `"a..b"@example.com`},
		{in: `"<>"@example.com`, want: `"<>"@example.com`},
		{in: `" "@example.com`, want: `" "@example.com`},
		{in: `"a,b:c;d"@example.com`, want: `"a,b:c;d"@example.com`},
		// A trailing dot is dropped; the domain keeps its case.
		{in: "user@example.com.", want: "user@example.com"},
		{in: "user@EXAMPLE.com.", want: "user@EXAMPLE.com"},
		// Address literals, canonical.
		{in: "user@[192.0.2.1]", want: "user@[192.0.2.1]"},
		{in: "user@[IPv6:2001:DB8:0:0::1]", want: "user@[IPv6:2001:db8::1]"},
		{in: "user@[ipv6:::1]", want: "user@[IPv6:::1]"},
		{in: "user@[IPv6:::ffff:192.0.2.1]", want: "user@[IPv6:::ffff:192.0.2.1]"},
		// IDNA A-labels.
		{in: "user@xn--bcher-kva.example", want: "user@xn--bcher-kva.example"},
		{in: "user@XN--BCHER-KVA.example", want: "user@XN--BCHER-KVA.example"},
		// Limits: 64 octets of local part, 254 of address.
		{in: long(64) + "@example.com", want: long(64) + "@example.com"},
		{in: long(64) + "@" + label + "." + label + "." + strings.Repeat("d", 61),
			want: long(64) + "@" + label + "." + label + "." + strings.Repeat("d", 61)},

		{in: long(65) + "@example.com", err: "local part longer than 64 octets"},
		{in: long(300) + "@example.com", err: "local part longer than 64 octets"},
		{in: `"` + long(63) + ` "@example.com`, err: "local part longer than 64 octets"},
		{in: long(64) + "@" + label + "." + label + "." + strings.Repeat("d", 62), err: "longer than 254"},
		{in: "user@" + label + "." + label + "." + label + "." + strings.Repeat("d", 62), err: "domain longer than 253"},
		{in: "user@" + long(64) + ".example", err: "label longer than 63"},
		{in: "", err: "empty local part"},
		{in: "user", err: "missing @domain"},
		{in: "Postmaster", err: "missing @domain"},
		{in: "@example.com", err: "empty local part"},
		{in: `""@example.com`, err: "empty local part"},
		{in: "user@", err: "empty domain"},
		{in: "user@.", err: "empty domain"},
		{in: "user@example.com..", err: "empty label"},
		{in: "user@example..com", err: "empty label"},
		{in: "user@-example.com", err: "hyphen"},
		{in: "user@example-.com", err: "hyphen"},
		{in: "user@exa_mple.com", err: "unexpected characters"},
		{in: ".user@example.com", err: "empty atom"},
		{in: "user.@example.com", err: "empty atom"},
		{in: "us..er@example.com", err: "empty atom"},
		{in: "us er@example.com", err: "invalid character in local part"},
		{in: "us<er@example.com", err: "invalid character in local part"},
		{in: "us>er@example.com", err: "invalid character in local part"},
		{in: "us\\er@example.com", err: "invalid character in local part"},
		{in: "a@b@example.com", err: "unexpected characters"},
		{in: `"unterminated@example.com`, err: "unterminated quoted string"},
		{in: `"a"b@example.com`, err: "invalid character in local part"},
		{in: "\"a\tb\"@example.com", err: "control character"},
		{in: "\"a\\\x01\"@example.com", err: "invalid quoted pair"},
		{in: "us\x00er@example.com", err: "NUL"},
		{in: "\"us\x00er\"@example.com", err: "NUL"},
		{in: "user@exam\x00ple.com", err: "NUL"},
		{in: "us\rer@example.com", err: "CR or LF"},
		{in: "\"us\r\nRCPT TO:<x@y>\"@example.com", err: "CR or LF"},
		{in: "user@example.com\n", err: "CR or LF"},
		{in: "usér@example.com", err: "non-ASCII"},
		{in: "user@bücher.example", err: "non-ASCII"},
		{in: "user@xn--zz.example", err: "A-label"},
		{in: "user@xn--.example", err: "hyphen"},
		{in: "user@xn--abc.example", err: "A-label"},
		{in: "user@[192.0.2.256]", err: "IPv4 address literal"},
		{in: "user@[192.0.2]", err: "IPv4 address literal"},
		{in: "user@[01.2.3.4]", err: "IPv4 address literal"},
		{in: "user@[2001:db8::1]", err: "unsupported address literal"},
		{in: "user@[IPv6:192.0.2.1]", err: "IPv6 address literal"},
		{in: "user@[IPv6:fe80::1%eth0]", err: "IPv6 address literal"},
		{in: "user@[IPv6:2001:db8::g]", err: "IPv6 address literal"},
		{in: "user@[x400:abc]", err: "unsupported address literal"},
		{in: "user@[192.0.2.1", err: "unterminated address literal"},
		{in: "user@[192.0.2.1]x", err: "unexpected characters"},
	} {
		m, err := Parse(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("Parse(%q): %v, want %q", c.in, err, c.want)
		case c.err == "" && m.String() != c.want:
			t.Errorf("Parse(%q) = %q, want %q", c.in, m.String(), c.want)
		case c.err != "" && err == nil:
			t.Errorf("Parse(%q) = %q, want an error with %q", c.in, m.String(), c.err)
		case c.err != "" && !strings.Contains(err.Error(), c.err):
			t.Errorf("Parse(%q): %q, want an error with %q", c.in, err, c.err)
		}
		if err == nil {
			again, err := Parse(m.String())
			if err != nil || again != m {
				t.Errorf("Parse(%q) does not reparse the same: %+v, %v", m.String(), again, err)
			}
		}
	}
}

func TestMailboxParts(t *testing.T) {
	m, err := Parse(`"a b"@Example.COM.`)
	if err != nil {
		t.Fatal(err)
	}
	if m.Local != "a b" || m.Domain != "Example.COM" || m.DomainKey() != "example.com" {
		t.Errorf("got %+v, key %q", m, m.DomainKey())
	}
}

// TestParsePath: the MAIL and RCPT arguments, parameters included, and
// the path ends only at a '>' outside a quoted string.
func TestParsePath(t *testing.T) {
	for _, c := range []struct {
		in      string
		reverse bool
		want    string // canonical mailbox, "<>" for the null path
		params  string // "K=V,K" as parsed
		err     string
	}{
		{in: "<user@example.com>", want: "user@example.com"},
		{in: "<user@example.com> SIZE=100 BODY=8BITMIME", reverse: true, want: "user@example.com", params: "SIZE=100,BODY=8BITMIME"},
		{in: "<>", reverse: true, want: "<>"},
		{in: "<> SIZE=10", reverse: true, want: "<>", params: "SIZE=10"},
		{in: " <user@example.com>", want: "user@example.com"},
		{in: "user@example.com", want: "user@example.com"},
		{in: "user@example.com  NOTIFY=NEVER ", want: "user@example.com", params: "NOTIFY=NEVER"},
		{in: "<@a.example,@b.example:user@example.com>", want: "user@example.com"},
		{in: "<@a.example:user@example.com>", want: "user@example.com"},
		{in: `<"victim@outside.test> NOTIFY=NEVER"@example.com>`, want: `"victim@outside.test> NOTIFY=NEVER"@example.com`},
		{in: `<"victim@outside.test> NOTIFY=NEVER"@example.com> NOTIFY=SUCCESS`, want: `"victim@outside.test> NOTIFY=NEVER"@example.com`, params: "NOTIFY=SUCCESS"},
		{in: `"a b"@example.com SIZE=1`, reverse: true, want: `"a b"@example.com`, params: "SIZE=1"},
		{in: "<user@example.com.>", want: "user@example.com"},
		{in: "<user@example.com> X-FLAG", want: "user@example.com", params: "X-FLAG"},

		{in: "<>", err: "empty path"},
		{in: "", err: "empty local part"},
		{in: "<user@example.com", err: "missing '>'"},
		{in: "<user@example.com >", err: "missing '>'"},
		{in: "<user@example.com>>", err: "invalid character after the path"},
		{in: "<user@example.com>SIZE=1", err: "invalid character after the path"},
		{in: "<user@example.com> SIZE=", err: "invalid ESMTP parameter"},
		{in: "<user@example.com> =1", err: "invalid ESMTP parameter"},
		{in: "<user@example.com> -X=1", err: "invalid ESMTP parameter"},
		{in: "<user@example.com> A=B=C", err: "invalid ESMTP parameter"},
		{in: "<user@example.com>\tSIZE=1 X", err: "invalid character after the path"},
		{in: "<user@exa mple.com>", err: "missing '>'"},
		{in: "<@a.example user@example.com>", err: "invalid source route"},
		{in: "<@:user@example.com>", err: "invalid source route"},
		{in: "<us\x00er@example.com>", err: "NUL"},
		{in: "<user@example.com> SIZE=1\r", err: "CR or LF"},
		{in: "<" + strings.Repeat("a", 300) + "@example.com>", err: "longer than 64"},
	} {
		var p Path
		var err error
		if c.reverse || c.want == "<>" {
			p, err = ParseReversePath(c.in)
		} else {
			p, err = ParseForwardPath(c.in)
		}
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parse %q: %v, want an error with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parse %q: %v", c.in, err)
			continue
		}
		got := p.Mailbox.String()
		if p.Null {
			got = "<>"
		}
		var ps []string
		for _, kv := range p.Params {
			s := kv.Keyword
			if kv.Value != "" {
				s += "=" + kv.Value
			}
			ps = append(ps, s)
		}
		if got != c.want || strings.Join(ps, ",") != c.params {
			t.Errorf("parse %q = %q params %q, want %q params %q", c.in, got, strings.Join(ps, ","), c.want, c.params)
		}
	}
}
