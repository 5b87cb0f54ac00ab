package address

import (
	"net/netip"
	"strings"

	"golang.org/x/net/idna"
)

// parser reads RFC 5321 section 4.1.2 syntax from s at i.
type parser struct {
	s string
	i int
}

func (p *parser) done() bool { return p.i >= len(p.s) }

func (p *parser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *parser) accept(c byte) bool {
	if !p.done() && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// mailbox: Local-part "@" ( Domain / address-literal ), within the limits.
func (p *parser) mailbox() (Mailbox, error) {
	local, err := p.localPart()
	if err != nil {
		return Mailbox{}, err
	}
	if !p.accept('@') {
		if p.done() {
			return Mailbox{}, fail("missing @domain")
		}
		return Mailbox{}, fail("invalid character in local part")
	}
	var m Mailbox
	m.Local = local
	if p.peek() == '[' {
		m.Domain, err = p.addressLiteral()
	} else {
		m.Domain, err = p.domain()
	}
	if err != nil {
		return Mailbox{}, err
	}
	if err := checkLengths(m); err != nil {
		return Mailbox{}, err
	}
	return m, nil
}

// localPart: Dot-string / Quoted-string; returns the string it denotes.
func (p *parser) localPart() (string, error) {
	if p.accept('"') {
		var b strings.Builder
		for {
			if p.done() {
				return "", fail("unterminated quoted string")
			}
			c := p.s[p.i]
			p.i++
			switch {
			case c == '"':
				if b.Len() == 0 {
					return "", fail("empty local part")
				}
				return b.String(), nil
			case c == '\\':
				// quoted-pairSMTP = %d92 %d32-126
				if p.done() || p.s[p.i] < 32 || p.s[p.i] > 126 {
					return "", fail("invalid quoted pair in local part")
				}
				b.WriteByte(p.s[p.i])
				p.i++
			case isQtext(c):
				b.WriteByte(c)
			default:
				return "", fail("control character in quoted local part")
			}
		}
	}
	start := p.i
	for !p.done() && (isAtext(p.s[p.i]) || p.s[p.i] == '.') {
		p.i++
	}
	local := p.s[start:p.i]
	switch {
	case local == "":
		return "", fail("empty local part")
	case !isDotString(local):
		return "", fail("empty atom in local part (leading, trailing or double dot)")
	}
	return local, nil
}

// domain: sub-domain *("." sub-domain), an LDH name. One trailing dot (an
// absolute name, as DNS writes it) is dropped: "example.com." is the
// domain example.com, and must reach the RAT, routes and destconfig as
// that (issue 8, point 6).
func (p *parser) domain() (string, error) {
	start := p.i
	for !p.done() && (isLDH(p.s[p.i]) || p.s[p.i] == '.') {
		p.i++
	}
	d := strings.TrimSuffix(p.s[start:p.i], ".")
	if err := checkDomain(d); err != nil {
		return "", err
	}
	return d, nil
}

func isLDH(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

// checkDomain checks an LDH domain name (RFC 5321 section 4.1.2, RFC 1035
// section 2.3.4): labels of 1 to 63 letters, digits and hyphens, no
// hyphen first or last; an A-label ("xn--") must be valid IDNA2008
// (RFC 5891 section 5.4), so that no label decodes to something else
// than what it says.
func checkDomain(d string) error {
	if d == "" {
		return fail("empty domain")
	}
	if len(d) > 253 {
		return fail("domain longer than 253 octets")
	}
	for _, l := range strings.Split(d, ".") {
		switch {
		case l == "":
			return fail("empty label in domain")
		case len(l) > 63:
			return fail("domain label longer than 63 octets")
		case l[0] == '-' || l[len(l)-1] == '-':
			return fail("domain label starts or ends with a hyphen")
		}
		for i := 0; i < len(l); i++ {
			if !isLDH(l[i]) {
				return fail("invalid character in domain")
			}
		}
		if len(l) >= 4 && strings.EqualFold(l[:4], "xn--") && !validALabel(l) {
			return fail("invalid IDNA A-label in domain")
		}
	}
	return nil
}

// idnaProfile checks A-labels as a registry would (RFC 5891 section 4):
// an A-label that a lookup would map to a different label is refused.
var idnaProfile = idna.New(idna.ValidateForRegistration(), idna.BidiRule())

func validALabel(l string) bool {
	lower := strings.ToLower(l)
	u, err := idnaProfile.ToUnicode(lower)
	if err != nil || u == lower {
		return false
	}
	a, err := idnaProfile.ToASCII(u)
	return err == nil && a == lower
}

// LiteralIP returns the IP address of an address-literal domain as
// Mailbox.Domain or DomainKey holds it ("[192.0.2.1]", "[IPv6:...]" in
// any case); ok is false for a domain name.
func LiteralIP(domain string) (netip.Addr, bool) {
	if len(domain) < 2 || domain[0] != '[' {
		return netip.Addr{}, false
	}
	p := &parser{s: domain}
	lit, err := p.addressLiteral()
	if err != nil || !p.done() {
		return netip.Addr{}, false
	}
	ip := strings.TrimPrefix(lit[1:len(lit)-1], "IPv6:")
	a, err := netip.ParseAddr(ip)
	return a, err == nil
}

// addressLiteral: "[" ( IPv4-address-literal / IPv6-address-literal ) "]"
// (RFC 5321 section 4.1.3), returned in canonical form. A
// General-address-literal names no standardised tag seg knows, and is
// refused.
func (p *parser) addressLiteral() (string, error) {
	p.accept('[')
	end := strings.IndexByte(p.s[p.i:], ']')
	if end < 0 {
		return "", fail("unterminated address literal")
	}
	lit := p.s[p.i : p.i+end]
	p.i += end + 1
	if len(lit) >= 5 && strings.EqualFold(lit[:5], "IPv6:") {
		a, err := netip.ParseAddr(lit[5:])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", fail("invalid IPv6 address literal")
		}
		return "[IPv6:" + a.String() + "]", nil
	}
	if strings.IndexByte(lit, ':') >= 0 {
		return "", fail("unsupported address literal")
	}
	a, err := netip.ParseAddr(lit)
	if err != nil || !a.Is4() {
		return "", fail("invalid IPv4 address literal")
	}
	return "[" + a.String() + "]", nil
}
