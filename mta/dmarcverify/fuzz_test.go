package dmarcverify

import (
	"context"
	"testing"

	"github.com/emersion/go-msgauth/dmarc"

	"seg/mta/dns"
)

// FuzzLookup: a DMARC record is text the author domain publishes; any
// TXT answer gives a record, none, or an error, never a panic, and a
// record seg acts on asks for a known policy at a percentage of 0 to 100
// (RFC 7489 section 6.3), whatever the message's sample.
func FuzzLookup(f *testing.F) {
	for _, r := range []string{
		"v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:agg@example.test",
		"v=DMARC1; p=none", "v = DMARC1 ;p=quarantine;pct=0", "v=DMARC1; p=sometimes", "v=DMARC1; pct=150; p=reject",
		"v=DMARC1; p=reject; adkim=s; aspf=r; fo=1:d; ri=86400; rf=afrf",
	} {
		f.Add(r, "mail.example.test")
	}
	f.Fuzz(func(t *testing.T, txt, from string) {
		r := &dns.Fake{TXT: map[string][]string{"_dmarc.example.test": {txt}, "_dmarc.mail.example.test": {txt}}}
		rec, err := Lookup(context.Background(), r, from)
		if err != nil || rec == nil {
			return
		}
		switch rec.Requested() {
		case dmarc.PolicyNone, dmarc.PolicyQuarantine, dmarc.PolicyReject:
		default:
			t.Fatalf("%q: requested policy %q", txt, rec.Requested())
		}
		if p := rec.Pct(); p < 0 || p > 100 {
			t.Fatalf("%q: pct %d", txt, p)
		}
		for _, s := range []int{0, 50, 99} {
			if p, _ := rec.Applied(s); p != dmarc.PolicyNone && p != dmarc.PolicyQuarantine && p != dmarc.PolicyReject {
				t.Fatalf("%q: applied policy %q", txt, p)
			}
		}
		_ = Aligned(from, rec.Domain, dmarc.AlignmentRelaxed)
	})
}
