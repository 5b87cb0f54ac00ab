package smtpd

import (
	"context"
	"net/netip"
	"slices"
	"testing"

	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/store"
)

// dnsWorld: 127.0.0.5 is mx.example.com both ways (FCrDNS); 127.0.0.6
// claims mx.example.com, which does not point back; 127.0.0.7 is
// a.mail.example.org, confirmed. bl.test lists 127.0.0.6 and 127.0.0.7,
// good.test lists 127.0.0.5 with an address outside 127/8 (not a
// listing, RFC 5782 section 5); broken.test fails.
func dnsWorld() *dns.Fake {
	a := netip.MustParseAddr
	return &dns.Fake{
		PTR: map[netip.Addr][]string{
			a("127.0.0.5"): {"MX.Example.COM."},
			a("127.0.0.6"): {"mx.example.com"},
			a("127.0.0.7"): {"other.test", "a.mail.example.org"},
		},
		IP: map[string][]netip.Addr{
			"mx.example.com":          {a("127.0.0.5")},
			"other.test":              {a("192.0.2.1")},
			"a.mail.example.org":      {a("127.0.0.7")},
			"6.0.0.127.bl.test":       {a("127.0.0.2")},
			"7.0.0.127.bl.test":       {a("127.0.0.4")},
			"5.0.0.127.good.test":     {a("10.0.0.1")},
			"7.0.0.127.good.test":     {a("127.0.0.2")},
			"6.0.0.127.weighted.test": {a("127.0.0.2")},
		},
		Errors: map[string]error{
			"5.0.0.127.broken.test": dns.TempFail("5.0.0.127.broken.test", "A"),
			"127.0.0.8":             dns.TempFail("8.0.0.127.in-addr.arpa", "PTR"),
		},
	}
}

func newHostDNS(res dns.Resolver, ip string, zones ...store.SBRSZone) (*hostDNS, *maillog.Memory) {
	log := &maillog.Memory{}
	return &hostDNS{ctx: context.Background(), res: res, ip: netip.MustParseAddr(ip), zones: zones, log: log}, log
}

func member(t *testing.T, s string) store.Member {
	t.Helper()
	m, err := store.ParseMember(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHostDNSMembers(t *testing.T) {
	res := dnsWorld()
	for _, tc := range []struct {
		ip, member string
		want       bool
	}{
		{"127.0.0.5", "mx.example.com", true},
		{"127.0.0.5", ".example.com", true},
		{"127.0.0.5", ".mx.example.com", false}, // a partial domain is a parent domain
		{"127.0.0.5", "other.example.com", false},
		{"127.0.0.6", "mx.example.com", false}, // PTR not confirmed
		{"127.0.0.6", ".example.com", false},
		{"127.0.0.7", ".example.org", true}, // the second PTR name confirms
		{"127.0.0.7", "other.test", false},
		{"127.0.0.9", "mx.example.com", false}, // no PTR
		{"127.0.0.8", ".example.com", false},   // PTR temporary failure
		{"127.0.0.6", "dnslist[bl.test]", true},
		{"127.0.0.5", "dnslist[bl.test]", false},      // NXDOMAIN
		{"127.0.0.5", "dnslist[good.test]", false},    // 10.0.0.1 is not a listing
		{"127.0.0.5", "dnslist[broken.test]", false},  // SERVFAIL never matches
		{"127.0.0.5", "dnslist[nowhere.test]", false}, // NXDOMAIN
		{"127.0.0.7", "dnslist[good.test]", true},
	} {
		h, _ := newHostDNS(res, tc.ip)
		if got := h.matches(member(t, tc.member), true); got != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.ip, tc.member, got, tc.want)
		}
	}
}

func TestHostDNSErrorsLogged(t *testing.T) {
	h, log := newHostDNS(dnsWorld(), "127.0.0.5")
	h.matches(member(t, "dnslist[broken.test]"), true)
	h.matches(member(t, "dnslist[broken.test]"), true)  // asked once per connection
	h.matches(member(t, "dnslist[nowhere.test]"), true) // NXDOMAIN: an answer, not logged
	want := []string{"Warning: DNS Error 5.0.0.127.broken.test A - SERVFAIL"}
	if got := log.Lines(); !slices.Equal(got, want) {
		t.Errorf("log %q, want %q", got, want)
	}
	h, log = newHostDNS(dnsWorld(), "127.0.0.8")
	if name, ok := h.reverse(); name != "" || ok {
		t.Errorf("PTR failure: %q %v", name, ok)
	}
	if got := log.Lines(); !slices.Equal(got, []string{"Warning: DNS Error 8.0.0.127.in-addr.arpa PTR - SERVFAIL"}) {
		t.Errorf("PTR failure log %q", got)
	}
}

func TestHostDNSReverse(t *testing.T) {
	for ip, want := range map[string]struct {
		name string
		ok   bool
	}{
		"127.0.0.5": {"mx.example.com", true},
		"127.0.0.6": {"mx.example.com", false},
		"127.0.0.7": {"a.mail.example.org", true},
		"127.0.0.9": {"", false},
	} {
		h, _ := newHostDNS(dnsWorld(), ip)
		if name, ok := h.reverse(); name != want.name || ok != want.ok {
			t.Errorf("%s: %q %v, want %q %v", ip, name, ok, want.name, want.ok)
		}
	}
	// No resolver: nothing is known and nothing is asked.
	h := &hostDNS{ip: netip.MustParseAddr("127.0.0.5")}
	if name, ok := h.reverse(); name != "" || ok {
		t.Errorf("no resolver: %q %v", name, ok)
	}
}

func TestHostDNSSBRS(t *testing.T) {
	zones := []store.SBRSZone{{Zone: "bl.test", Weight: -4}, {Zone: "good.test", Weight: 2.5}, {Zone: "weighted.test", Weight: -7.25}}
	for _, tc := range []struct {
		ip    string
		zones []store.SBRSZone
		useSB bool
		text  string
		match []string // of sbrs[-10:-3], sbrs[-3:0], sbrs[0:10], sbrs[none]
	}{
		{"127.0.0.6", zones, true, "-10.0", []string{"sbrs[-10.0:-3.0]"}}, // -11.25 clamped
		{"127.0.0.7", zones, true, "-1.5", []string{"sbrs[-3.0:0.0]"}},
		{"127.0.0.5", zones, true, "0.0", []string{"sbrs[-3.0:0.0]", "sbrs[0.0:10.0]"}},
		{"127.0.0.7", nil, true, "None", []string{"sbrs[none]"}},           // no zones
		{"127.0.0.7", zones, false, "not enabled", []string{"sbrs[none]"}}, // use_sb off
		// A zone that fails: no score, no sbrs member matches.
		{"127.0.0.5", append([]store.SBRSZone{{Zone: "broken.test", Weight: 1}}, zones...), true, "None", nil},
	} {
		h, _ := newHostDNS(dnsWorld(), tc.ip, tc.zones...)
		f := flow(store.Params{"use_sb": map[bool]string{true: "on", false: "off"}[tc.useSB]})
		if got := h.sbrsText(f); got != tc.text {
			t.Errorf("%s %v: SBRS %q, want %q", tc.ip, tc.zones, got, tc.text)
		}
		var got []string
		for _, m := range []string{"sbrs[-10.0:-3.0]", "sbrs[-3.0:0.0]", "sbrs[0.0:10.0]", "sbrs[none]"} {
			if h.matches(member(t, m), tc.useSB) {
				got = append(got, m)
			}
		}
		if !slices.Equal(got, tc.match) {
			t.Errorf("%s %v use_sb %v: matched %q, want %q", tc.ip, tc.zones, tc.useSB, got, tc.match)
		}
	}
}

func TestHATMatchDNS(t *testing.T) {
	h := store.NewPublicHAT()
	h.SenderGroups = []store.SenderGroup{
		{Name: "ADDR", Members: []string{"127.0.0.9"}, Policy: "$TRUSTED"},
		{Name: "BLOCKED_LIST", Members: []string{"dnslist[bl.test]"}, Policy: "$BLOCKED"},
		{Name: "ALLOWED_LIST", Members: []string{".example.com"}, Policy: "$TRUSTED"},
		{Name: "ALL", Members: []string{"ALL"}, Policy: "$ACCEPTED"},
	}
	hat := compileHAT(&h)
	for ip, want := range map[string]string{"127.0.0.6": "BLOCKED_LIST", "127.0.0.5": "ALLOWED_LIST", "127.0.0.9": "ADDR", "127.0.0.10": "ALL"} {
		res := dnsWorld()
		hd, _ := newHostDNS(res, ip)
		if d := hat.match(netip.MustParseAddr(ip), hd); d.Group != want {
			t.Errorf("%s: %s, want %s", ip, d.Group, want)
		}
		// An address member decides before any lookup.
		if ip == "127.0.0.9" && len(res.Queries()) != 0 {
			t.Errorf("127.0.0.9 asked %q", res.Queries())
		}
	}
}

func TestDNSListName(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.99":                "99.2.0.192.bl.test",
		"::ffff:192.0.2.99":         "99.2.0.192.bl.test",                                                      // IPv4-mapped: asked as IPv4
		"2001:db8:1:2:3:4:567:89ab": "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.test", // RFC 5782 section 2.4
	} {
		if got, ok := dnslistName(netip.MustParseAddr(ip), "bl.test"); !ok || got != want {
			t.Errorf("%s: %q %v, want %q", ip, got, ok, want)
		}
	}
}
