package smtpd

import (
	"context"
	"net/netip"
	"testing"

	"seg/mta/dns"
)

func TestMalformedSenderDomain(t *testing.T) {
	for d, want := range map[string]bool{
		"example.com": false, "mx.example.co.uk": false, "a.b4": false, "xn--bcher-kva.example": false,
		"": true, "localhost": true, "[192.0.2.1]": true, "[IPv6:2001:db8::1]": true, "1.2.3.4": true, "example.123": true,
	} {
		if got := malformedSenderDomain(d); got != want {
			t.Errorf("malformedSenderDomain(%q) = %v, want %v", d, got, want)
		}
	}
}

func TestDomainExists(t *testing.T) {
	f := &dns.Fake{
		MX:     map[string][]dns.MX{"mx.test": {{Host: "mail.mx.test", Pref: 10}}, "nomx.test": nil},
		IP:     map[string][]netip.Addr{"a.test": {netip.MustParseAddr("192.0.2.1")}, "nomx.test": nil},
		Errors: map[string]error{"fail.test": dns.TempFail("fail.test", "MX")},
	}
	ctx := context.Background()
	for d, want := range map[string]string{"mx.test": "ok", "a.test": "ok", "nx.test": "permanent", "nomx.test": "permanent", "fail.test": "temporary"} {
		err := domainExists(ctx, f, d)
		got := "ok"
		if err != nil {
			got = "temporary"
			if isPermanent(err) {
				got = "permanent"
			}
		}
		if got != want {
			t.Errorf("%s: %s (%v), want %s", d, got, err, want)
		}
	}
	// A lookup cut short by the deadline is temporary.
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := domainExists(done, f, "mx.test"); err == nil || isPermanent(err) {
		t.Errorf("cancelled lookup: %v, want a temporary failure", err)
	}
}
