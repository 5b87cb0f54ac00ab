package spf

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"seg/mta/dns"
)

// FuzzRecord: SPF and Sender ID records come from the sender's DNS, so
// any TXT text must give a verdict, never a panic, and a verdict names
// the record version it evaluated only when one was published.
func FuzzRecord(f *testing.F) {
	for _, r := range []string{
		"v=spf1 ip4:192.0.2.0/24 -all", "v=spf1 include:x.test ~all", "spf2.0/mfrom,pra ip4:192.0.2.1 -all",
		"v=spf1 ip4:192.0.2.0/99 -all", "spf2.0/pra", "v=spf1 a:%{l}.%{d} exists:%{i}._spf.%{d2} redirect=x.test",
		"v=spf1 ip6:2001:db8::/200 mx/24//64 ptr", "spf2.0/ include:fuzz.test",
	} {
		f.Add(r, "user@fuzz.test")
	}
	f.Fuzz(func(t *testing.T, record, from string) {
		r := &dns.Fake{
			TXT: map[string][]string{"fuzz.test": {record}, "x.test": {record}},
			MX:  map[string][]dns.MX{"fuzz.test": {{Host: "mx.fuzz.test", Pref: 1}}},
			IP:  map[string][]netip.Addr{"mx.fuzz.test": {clientIP}},
		}
		c := &Checker{Resolver: r}
		ctx := context.Background()
		for _, lvl := range []Level{LevelSPF, LevelSIDFCompatible, LevelSIDF} {
			v := c.MailFrom(ctx, clientIP, "fuzz.test", from, lvl)
			if v.Version != "" && !strings.Contains(strings.ToLower(record), strings.ToLower(v.Version)) {
				t.Fatalf("%q: version %q was not published", record, v.Version)
			}
		}
		_ = c.HELO(ctx, clientIP, "fuzz.test")
		_ = c.PRA(ctx, clientIP, "fuzz.test", []byte("From: "+from+"\r\n\r\n"), LevelSIDF, true)
	})
}

// FuzzPRA: the Purported Responsible Address is read from a header the
// client wrote; when one is found it is an address with a domain, taken
// from one of the four fields RFC 4407 names.
func FuzzPRA(f *testing.F) {
	f.Add([]byte("From: a@b.test\r\nSender: c@d.test\r\n\r\n"))
	f.Add([]byte("Resent-From: x@y.test\r\nReceived: z\r\nResent-Sender: <q@r.test>\r\n\r\n"))
	f.Add([]byte("From: \"n\" <a@b.test>, c@d.test\r\n\r\n"))
	f.Add([]byte("From: =?utf-8?q?x?= <@route:a@b>\r\n\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		addr, field, ok := PRA(msg)
		if !ok {
			return
		}
		switch field {
		case "Resent-Sender", "Resent-From", "Sender", "From":
		default:
			t.Fatalf("PRA from field %q", field)
		}
		if domainOf(addr) == "" {
			t.Fatalf("PRA %q has no domain", addr)
		}
	})
}
