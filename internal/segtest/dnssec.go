package segtest

import (
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

// NewDNSSEC is NewDNS playing a validating resolver: answers about names
// in or under one of the signed zones carry the AD bit (RFC 4035 section
// 3.2.3) when the query asks for DNSSEC (the DO or AD bit, RFC 6840
// section 5.7); other answers never do. It signs nothing: what a test
// needs of it is the bit a trusted resolver would set (DANE, RFC 7672).
func NewDNSSEC(t testing.TB, signed []string, records ...string) string {
	t.Helper()
	var zones []string
	for _, z := range signed {
		zones = append(zones, strings.ToLower(mdns.Fqdn(z)))
	}
	auth := func(name string) bool {
		for _, z := range zones {
			if mdns.IsSubDomain(z, name) {
				return true
			}
		}
		return false
	}
	return newDNS(t, dnsFaults{authentic: auth}, records)
}

// wantsDNSSEC reports whether a query asks for DNSSEC data or status.
func wantsDNSSEC(req *mdns.Msg) bool {
	if req.AuthenticatedData {
		return true
	}
	opt := req.IsEdns0()
	return opt != nil && opt.Do()
}
