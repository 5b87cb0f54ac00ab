package dmarcreport

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"seg/internal/address"
	"seg/mta/dmarcverify"
	"seg/mta/dns"
)

// dest is one rua destination: a mailto: address and its size limit.
type dest struct {
	uri   string // as published
	addr  string
	limit int64 // octets; 0: none
}

// parseRUA reads one dmarc-uri of RFC 7489 section 6.4: "mailto:" then
// the address (URI-encoded), then an optional "!" size limit with a unit
// k, m, g or t (powers of two). Other schemes are refused: seg sends
// reports by mail only.
func parseRUA(uri string) (dest, error) {
	u := strings.TrimSpace(uri)
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok || !strings.EqualFold(scheme, "mailto") {
		return dest{}, fmt.Errorf("%q is not a mailto: URI; seg sends reports by mail only", uri)
	}
	var limit int64
	if i := strings.LastIndexByte(rest, '!'); i >= 0 {
		n, err := parseSize(rest[i+1:])
		if err != nil {
			return dest{}, fmt.Errorf("%q: %v", uri, err)
		}
		rest, limit = rest[:i], n
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i] // mailto headers (RFC 6068) are ignored
	}
	a, err := url.PathUnescape(rest)
	if err != nil {
		return dest{}, fmt.Errorf("%q: %v", uri, err)
	}
	mb, err := address.Parse(a)
	if err != nil {
		return dest{}, fmt.Errorf("%q: %v", uri, err)
	}
	return dest{uri: uri, addr: mb.String(), limit: limit}, nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size limit", s)
	}
	return n * mult, nil
}

// needsVerification reports whether a report about policyDomain may go
// to addr only after the external destination check of RFC 7489 section
// 7.1: the address is outside the policy domain's organizational domain.
func needsVerification(policyDomain, addr string) bool {
	_, dom, _ := strings.Cut(addr, "@")
	return dmarcverify.OrgDomain(dom) != dmarcverify.OrgDomain(policyDomain)
}

// verifyExternal does the check of RFC 7489 section 7.1: the
// destination's domain must publish a TXT record at
// POLICY-DOMAIN._report._dmarc.DEST-DOMAIN that starts with v=DMARC1.
// ok false with err nil: the destination does not accept the domain's
// reports; err: a temporary DNS failure. A record's own rua= (which
// section 7.1 lets override the destination) is not used: the report
// goes to the published address or nowhere.
func verifyExternal(ctx context.Context, r dns.Resolver, policyDomain, addr string) (ok bool, err error) {
	if r == nil {
		return false, fmt.Errorf("no DNS resolver configured")
	}
	_, dom, _ := strings.Cut(addr, "@")
	name := strings.ToLower(policyDomain) + "._report._dmarc." + strings.ToLower(dom)
	txts, err := r.LookupTXT(ctx, name)
	if err != nil {
		if dns.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	for _, t := range txts {
		if dmarcverify.IsRecord(t) {
			return true, nil
		}
	}
	return false, nil
}
