package store

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// MemberKind is the form of a sender-group member.
type MemberKind int

// Member kinds (AsyncOS sender-group syntax, reference 2.7).
const (
	MemberIP      MemberKind = iota + 1 // one address: 10.1.1.1, 2001:db8::1
	MemberPrefix                        // CIDR or partial address: 10.1.1.0/24, 10.1.1., 2001:db8::/32
	MemberRange                         // address range: 10.1.1.1-50, 10.1.1-5., 2001:db8::1-2001:db8::9
	MemberHost                          // a host name (forward-confirmed PTR): mx.example.com
	MemberDomain                        // a partial domain (FCrDNS): .example.com
	MemberDNSList                       // a DNSBL zone: dnslist[zone]
	MemberSBRS                          // a reputation score range: sbrs[-10.0:-3.0], sbrs[none]
	MemberSBO                           // a SenderBase network owner: SBO:n (never matches in seg)
	MemberAll                           // ALL (only in the ALL row)
)

// Member is a parsed sender-group member. It is comparable: two members
// are the same when ==.
type Member struct {
	Kind   MemberKind
	Prefix netip.Prefix // MemberIP (full length) and MemberPrefix (masked)
	Lo, Hi netip.Addr   // MemberRange, Lo < Hi, same family
	Host   string       // MemberHost, MemberDomain (without the leading dot), MemberDNSList (the zone); lower case
	// SBRS range, inclusive. SBRSNone is sbrs[none]: hosts without a score.
	SBRSMin, SBRSMax float64
	SBRSNone         bool
	SBO              int // MemberSBO
}

// Errors worded as AsyncOS words them (reference, general conventions).
func errBadIP(s string) error { return fmt.Errorf("Invalid IP or IP range %s", Excerpt(s)) }
func errBadHost(s string) error {
	return fmt.Errorf("Invalid hostname format %s", Excerpt(s))
}

// ParseMember parses one HAT sender-group member in any AsyncOS form
// (reference 2.7): full, partial (10.1.1. or 10.1.1), ranged (10.1.1.1-50,
// 10.1.1-5.) and CIDR (10.1.1.0/24, 10/8) IPv4; IPv6 addresses, CIDR and
// ranges (lo-hi); host names; partial domains (.example.com);
// dnslist[zone]; sbrs[min:max] and sbrs[none]; SBO:n; ALL.
// Ranges that are exactly one address or one CIDR block come back as
// that, so every member has one canonical String().
func ParseMember(s string) (Member, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Member{}, fmt.Errorf("empty sender group member")
	}
	low := strings.ToLower(s)
	switch {
	case low == "all":
		return Member{Kind: MemberAll}, nil
	case strings.HasPrefix(low, "sbrs["):
		return parseSBRS(s, low)
	case strings.HasPrefix(low, "dnslist["):
		if !strings.HasSuffix(low, "]") {
			return Member{}, fmt.Errorf("Invalid DNS list %s: write dnslist[zone], for example dnslist[zen.spamhaus.org]", Excerpt(s))
		}
		zone := strings.TrimSuffix(strings.TrimSpace(low[len("dnslist["):len(low)-1]), ".")
		if !validHostname(zone) {
			return Member{}, errBadHost(zone)
		}
		return Member{Kind: MemberDNSList, Host: zone}, nil
	case strings.HasPrefix(low, "sbo:"):
		n, err := strconv.Atoi(strings.TrimSpace(s[4:]))
		if err != nil || n < 0 {
			return Member{}, fmt.Errorf("Invalid SenderBase network owner %s: write SBO:n with a number n", Excerpt(s))
		}
		return Member{Kind: MemberSBO, SBO: n}, nil
	case strings.Contains(s, "/"):
		return parseCIDR(s)
	case strings.Contains(s, ":"):
		return parseIPv6(s)
	case looksIPv4(s):
		return parseIPv4(s)
	case strings.HasPrefix(s, "."):
		h := strings.TrimSuffix(low[1:], ".")
		if !validHostname(h) {
			return Member{}, errBadHost(s)
		}
		return Member{Kind: MemberDomain, Host: h}, nil
	}
	h := strings.TrimSuffix(low, ".")
	if !validHostname(h) {
		return Member{}, errBadHost(s)
	}
	return Member{Kind: MemberHost, Host: h}, nil
}

// ParseMembers parses a list of members separated by commas and/or
// blanks, as typed at the shell ("10.1.1.1, .example.com").
func ParseMembers(s string) ([]Member, error) {
	var out []Member
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		m, err := ParseMember(f)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no sender group members given")
	}
	return out, nil
}

// String is the canonical form: what the shell stores and the HAT text
// shows. It parses back to the same Member.
func (m Member) String() string {
	switch m.Kind {
	case MemberIP:
		return m.Prefix.Addr().String()
	case MemberPrefix:
		return m.Prefix.String()
	case MemberRange:
		return rangeString(m.Lo, m.Hi)
	case MemberHost:
		return m.Host
	case MemberDomain:
		return "." + m.Host
	case MemberDNSList:
		return "dnslist[" + m.Host + "]"
	case MemberSBRS:
		if m.SBRSNone {
			return "sbrs[none]"
		}
		return "sbrs[" + score(m.SBRSMin) + ":" + score(m.SBRSMax) + "]"
	case MemberSBO:
		return "SBO:" + strconv.Itoa(m.SBO)
	case MemberAll:
		return "ALL"
	}
	return ""
}

// NeedsDNS reports whether matching needs DNS (host names, partial
// domains, DNS lists, reputation scores): the MTA decides those.
func (m Member) NeedsDNS() bool {
	switch m.Kind {
	case MemberHost, MemberDomain, MemberDNSList, MemberSBRS:
		return true
	}
	return false
}

// MatchIP reports whether ip matches an address-based member (IP, CIDR,
// range, ALL). Other kinds report false: see NeedsDNS. IPv4-mapped IPv6
// client addresses match as IPv4.
func (m Member) MatchIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch m.Kind {
	case MemberAll:
		return true
	case MemberIP:
		return m.Prefix.Addr() == ip
	case MemberPrefix:
		return m.Prefix.Contains(ip)
	case MemberRange:
		return ip.Is4() == m.Lo.Is4() && m.Lo.Compare(ip) <= 0 && ip.Compare(m.Hi) <= 0
	}
	return false
}

func parseSBRS(s, low string) (Member, error) {
	bad := fmt.Errorf("Invalid SBRS range %s: write sbrs[min:max] with scores from -10.0 to 10.0, or sbrs[none]", Excerpt(s))
	if !strings.HasSuffix(low, "]") {
		return Member{}, bad
	}
	body := strings.TrimSpace(low[len("sbrs[") : len(low)-1])
	if body == "none" {
		return Member{Kind: MemberSBRS, SBRSNone: true}, nil
	}
	a, b, ok := strings.Cut(body, ":")
	if !ok {
		return Member{}, bad
	}
	lo, err1 := parseScore(a)
	hi, err2 := parseScore(b)
	if err1 != nil || err2 != nil || lo > hi {
		return Member{}, bad
	}
	return Member{Kind: MemberSBRS, SBRSMin: lo, SBRSMax: hi}, nil
}

func parseScore(s string) (float64, error) {
	s = strings.TrimSpace(s)
	// Only plain decimals: ParseFloat would also take hex, exponents and
	// underscores, none of which AsyncOS writes.
	for i, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || (r == '-' || r == '+') && i == 0) {
			return 0, fmt.Errorf("bad score")
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < -10 || f > 10 {
		return 0, fmt.Errorf("bad score")
	}
	if f == 0 {
		f = 0 // no -0
	}
	return f, nil
}

func score(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func looksIPv4(s string) bool {
	if s == "" || s[0] == '.' || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// parseIPv4 handles full, partial and ranged dotted forms: the range, if
// any, is in the last octet written; octets not written cover 0-255.
func parseIPv4(s string) (Member, error) {
	if lo, hi, ok := strings.Cut(s, "-"); ok && strings.Count(lo, ".") == 3 && strings.Count(hi, ".") == 3 {
		// Lenient extra: a full lo-hi range.
		a, err1 := parseOctets(lo)
		b, err2 := parseOctets(hi)
		if err1 != nil || err2 != nil || len(a) != 4 || len(b) != 4 {
			return Member{}, errBadIP(s)
		}
		return makeRange(s, netip.AddrFrom4([4]byte(a)), netip.AddrFrom4([4]byte(b)))
	}
	body := s
	trailingDot := strings.HasSuffix(body, ".")
	if trailingDot {
		body = body[:len(body)-1]
	}
	parts := strings.Split(body, ".")
	if len(parts) > 4 || len(parts) == 4 && trailingDot {
		return Member{}, errBadIP(s)
	}
	var lo, hi [4]byte
	for i := range hi {
		hi[i] = 255
	}
	for i, p := range parts {
		a, b, isRange := strings.Cut(p, "-")
		if isRange && i != len(parts)-1 {
			return Member{}, errBadIP(s)
		}
		x, ok := octet(a)
		if !ok {
			return Member{}, errBadIP(s)
		}
		y := x
		if isRange {
			if y, ok = octet(b); !ok || y < x {
				return Member{}, errBadIP(s)
			}
		}
		lo[i], hi[i] = x, y
	}
	return makeRange(s, netip.AddrFrom4(lo), netip.AddrFrom4(hi))
}

func parseOctets(s string) ([]byte, error) {
	var out []byte
	for _, p := range strings.Split(s, ".") {
		x, ok := octet(p)
		if !ok {
			return nil, fmt.Errorf("bad octet")
		}
		out = append(out, x)
	}
	return out, nil
}

func octet(s string) (byte, bool) {
	if s == "" || len(s) > 3 {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	if n > 255 {
		return 0, false
	}
	return byte(n), true
}

// makeRange returns the simplest member covering lo..hi: an address, a
// CIDR block, or a range.
func makeRange(orig string, lo, hi netip.Addr) (Member, error) {
	if lo.Is4() != hi.Is4() || hi.Less(lo) {
		return Member{}, errBadIP(orig)
	}
	if lo == hi {
		return Member{Kind: MemberIP, Prefix: netip.PrefixFrom(lo, lo.BitLen())}, nil
	}
	if p, ok := exactPrefix(lo, hi); ok {
		return Member{Kind: MemberPrefix, Prefix: p}, nil
	}
	return Member{Kind: MemberRange, Lo: lo, Hi: hi}, nil
}

// exactPrefix reports whether lo..hi is exactly one CIDR block.
func exactPrefix(lo, hi netip.Addr) (netip.Prefix, bool) {
	a, b := lo.AsSlice(), hi.AsSlice()
	bits := 0
	for bits < len(a)*8 {
		byteI, bit := bits/8, 7-bits%8
		if (a[byteI]>>bit)&1 != (b[byteI]>>bit)&1 {
			break
		}
		bits++
	}
	p := netip.PrefixFrom(lo, bits).Masked()
	if p.Addr() != lo || lastAddr(p) != hi {
		return netip.Prefix{}, false
	}
	return p, true
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().AsSlice()
	for i := p.Bits(); i < len(a)*8; i++ {
		a[i/8] |= 1 << (7 - i%8)
	}
	r, _ := netip.AddrFromSlice(a)
	return r
}

// rangeString writes an IPv4 range in the shortest AsyncOS form
// (10.1.1.1-50, 10.1.1-5., 10.1-5., 10-20.), else lo-hi.
func rangeString(lo, hi netip.Addr) string {
	if !lo.Is4() {
		return lo.String() + "-" + hi.String()
	}
	a, b := lo.As4(), hi.As4()
	// k: the octet holding the range; before it equal, after it 0 / 255.
	for k := 3; k >= 0; k-- {
		ok := true
		for i := 0; i < k; i++ {
			ok = ok && a[i] == b[i]
		}
		for i := k + 1; i < 4; i++ {
			ok = ok && a[i] == 0 && b[i] == 255
		}
		if !ok {
			continue
		}
		var sb strings.Builder
		for i := 0; i < k; i++ {
			fmt.Fprintf(&sb, "%d.", a[i])
		}
		fmt.Fprintf(&sb, "%d-%d", a[k], b[k])
		if k < 3 {
			sb.WriteString(".")
		}
		return sb.String()
	}
	return lo.String() + "-" + hi.String()
}

func parseCIDR(s string) (Member, error) {
	addr, bitsStr, _ := strings.Cut(s, "/")
	max := 32
	if strings.Contains(addr, ":") {
		max = 128
	}
	bits, err := strconv.Atoi(bitsStr)
	if err != nil || bits < 0 || bits > max || strings.ContainsAny(bitsStr, "+- ") {
		if max == 128 {
			return Member{}, fmt.Errorf("A CIDR address is an IP followed by / and a number from 0 to 128: %s", Excerpt(s))
		}
		return Member{}, fmt.Errorf("A CIDR address is an IP followed by / and a number from 0 to 32: %s", Excerpt(s))
	}
	var a netip.Addr
	if max == 128 {
		a, err = netip.ParseAddr(addr)
		if err != nil || a.Zone() != "" {
			return Member{}, errBadIP(s)
		}
		if a.Is4In6() && bits == 128 {
			a = a.Unmap()
			bits = 32
		}
	} else {
		o, err := parseOctets(strings.TrimSuffix(addr, "."))
		if err != nil || len(o) > 4 || len(o) == 4 && strings.HasSuffix(addr, ".") {
			return Member{}, errBadIP(s)
		}
		var b [4]byte
		copy(b[:], o)
		a = netip.AddrFrom4(b)
	}
	p := netip.PrefixFrom(a, bits).Masked()
	if bits == a.BitLen() {
		return Member{Kind: MemberIP, Prefix: p}, nil
	}
	return Member{Kind: MemberPrefix, Prefix: p}, nil
}

func parseIPv6(s string) (Member, error) {
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(lo))
		b, err2 := netip.ParseAddr(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || a.Zone() != "" || b.Zone() != "" {
			return Member{}, errBadIP(s)
		}
		return makeRange(s, a.Unmap(), b.Unmap())
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return Member{}, errBadIP(s)
	}
	a = a.Unmap()
	return Member{Kind: MemberIP, Prefix: netip.PrefixFrom(a, a.BitLen())}, nil
}

// validHostname checks a DNS name written as labels of letters, digits,
// '-' and '_' (RFC 1123 section 2.1, plus '_' which DNSBL zones use).
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
