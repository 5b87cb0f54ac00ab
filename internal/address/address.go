// Package address parses and prints SMTP envelope addresses (RFC 5321
// section 4.1.2): the one place where seg decides what an address is.
//
// Every stage after the SMTP server (the RAT, the queue, routes,
// destconfig, delivery, logs, DSNs) works on the canonical text of a
// parsed Mailbox, so that the address the RAT approved is the address the
// next hop is given. The canonical text keeps a quoted local part quoted:
// a parser that unquotes `"victim@outside.test> NOTIFY=NEVER"@example.com`
// and prints it raw sends another address, with parameters, to the next
// hop (issue 8, point 5).
//
// seg does not offer SMTPUTF8, so non-ASCII is refused (RFC 6531 section
// 3.2). Lengths are those of RFC 5321 section 4.5.3.1 and the RFC 3696
// errata: 64 octets of local part, 254 of address.
package address

import (
	"strings"
)

// Length limits, counted on the canonical text.
const (
	MaxLocal   = 64  // RFC 5321 section 4.5.3.1.1
	MaxAddress = 254 // RFC 5321 section 4.5.3.1.3 (path 256 less the brackets), RFC 3696 erratum 1690
)

// Mailbox is Local-part "@" ( Domain / address-literal ).
type Mailbox struct {
	// Local is the local part as the string it denotes: a quoted string
	// without its quotes and backslashes (`a b` for `"a\ b"`). It is case
	// sensitive (RFC 5321 section 2.4).
	Local string
	// Domain is a domain name without a trailing dot, its case as given,
	// or an address literal in its canonical form ("[192.0.2.1]",
	// "[IPv6:2001:db8::1]").
	Domain string
}

// String is the canonical text of the mailbox: the local part as a
// Dot-string when it is one, else as a Quoted-string with only the
// backslashes it needs; "@"; the domain.
func (m Mailbox) String() string { return LocalPart(m.Local) + "@" + m.Domain }

// DomainKey is the domain as routes, destconfig and the RAT look it up:
// lower case (RFC 5321 section 2.4: domain names are case-insensitive).
func (m Mailbox) DomainKey() string { return strings.ToLower(m.Domain) }

// Error says why a text is not an address. Its text never quotes the
// input: it goes into SMTP replies and logs.
type Error struct {
	Reason string
	// Param: the path is valid; an ESMTP parameter after it is not
	// (RFC 5321 section 4.1.2 esmtp-param syntax).
	Param bool
}

func (e *Error) Error() string { return e.Reason }

func fail(reason string) error { return &Error{Reason: reason} }

// Parse parses a whole text as a Mailbox (no angle brackets, no source
// route, nothing after it): for addresses stored in the queue or typed by
// an administrator.
func Parse(s string) (Mailbox, error) {
	if err := scan(s); err != nil {
		return Mailbox{}, err
	}
	p := &parser{s: s}
	m, err := p.mailbox()
	if err != nil {
		return Mailbox{}, err
	}
	if !p.done() {
		return Mailbox{}, fail("unexpected characters after the domain")
	}
	return m, nil
}

// Canonical returns the canonical text of s, or why it is not an address.
func Canonical(s string) (string, error) {
	m, err := Parse(s)
	if err != nil {
		return "", err
	}
	return m.String(), nil
}

// LocalPart prints a local part: as a Dot-string when it is a valid one,
// else as a Quoted-string in which only '"' and '\' are escaped (RFC 5321
// section 4.1.2: a Quoted-string should be used only when the local part
// is no Dot-string).
func LocalPart(local string) string {
	if isDotString(local) {
		return local
	}
	var b strings.Builder
	b.Grow(len(local) + 2)
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// scan refuses the bytes no address may hold, with a reason that names
// them: NUL, CR and LF (they end or split a command line and a log line)
// and non-ASCII (SMTPUTF8 is not offered).
func scan(s string) error {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0:
			return fail("NUL in address")
		case c == '\r' || c == '\n':
			return fail("CR or LF in address")
		case c >= 0x80:
			return fail("non-ASCII address (SMTPUTF8 is not offered)")
		}
	}
	return nil
}

// isAtext: RFC 5322 section 3.2.3 atext, as RFC 5321's Atom uses it.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// isDotString: Atom *("." Atom).
func isDotString(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && !isAtext(s[i]) {
			return false
		}
	}
	return true
}

// isQtext: qtextSMTP, printable ASCII but '"' and '\'.
func isQtext(c byte) bool { return c >= 32 && c <= 126 && c != '"' && c != '\\' }

// checkLengths applies the limits to the canonical text.
func checkLengths(m Mailbox) error {
	local := LocalPart(m.Local)
	if len(local) > MaxLocal {
		return fail("local part longer than 64 octets")
	}
	if len(local)+1+len(m.Domain) > MaxAddress {
		return fail("address longer than 254 octets")
	}
	return nil
}
