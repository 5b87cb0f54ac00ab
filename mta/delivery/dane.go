package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"seg/mta/counters"
	"seg/mta/dns"
)

// DANE for SMTP (RFC 7672): the TLSA records of an MX host, when DNSSEC
// vouches for them, say which certificate the host must present. seg
// looks them up for each MX host of a destination with dane
// opportunistic or mandatory, never for an SMTP route (SPEC 11: the
// administrator chose the host, and its name is not one the domain's
// owner published). Only authentic answers count: the AD bit from a
// resolver marked trusted (dnsconfig --dnssec-trusted yes, section
// 2.1.1).
//
// seg checks the TLSA RRset's authenticity alone; RFC 7672 sections
// 2.2.1 and 2.2.2 also want the MX and address records signed, which the
// Resolver seam does not report.

// DANE modes (destconfig dane).
const (
	daneOff           = "off"
	daneOpportunistic = "opportunistic"
	daneMandatory     = "mandatory"
)

// Certificate usages and what they mean for SMTP (RFC 7672 section 3.1).
const (
	usagePKIXTA = 0 // unusable for SMTP (section 3.1.3)
	usagePKIXEE = 1 // unusable for SMTP (section 3.1.3)
	usageDANETA = 2 // a trust anchor in the server's chain; names checked
	usageDANEEE = 3 // the server's own key; no name or expiry check
)

// danePlan is what DANE decided for one MX host.
type danePlan struct {
	// records are the host's authentic, usable TLSA records: TLS is
	// mandatory and the certificate must match one (section 2.2).
	records []dns.TLSA
	// tlsOnly: authentic TLSA records exist, none usable: TLS is
	// mandatory, without authentication (section 2.2).
	tlsOnly bool
	// names are the reference identifiers for DANE-TA(2): the MX host
	// and the destination domain (section 3.2.2).
	names []string
}

// usable keeps the records seg can verify against: DANE-TA(2) and
// DANE-EE(3) with a known selector and matching type whose data has the
// digest's length (RFC 6698 section 2.1; RFC 7672 section 3.1.3 makes
// the PKIX usages unusable for SMTP).
func usable(recs []dns.TLSA) []dns.TLSA {
	var out []dns.TLSA
	for _, r := range recs {
		if r.Usage != usageDANETA && r.Usage != usageDANEEE || r.Selector > 1 {
			continue
		}
		switch {
		case r.MatchingType == 0 && len(r.Data) > 0,
			r.MatchingType == 1 && len(r.Data) == sha256.Size,
			r.MatchingType == 2 && len(r.Data) == sha512.Size:
			out = append(out, r)
		}
	}
	return out
}

// tlsaMatches reports whether a certificate matches a record's selector
// and matching type (RFC 6698 sections 2.1.2 and 2.1.3).
func tlsaMatches(r dns.TLSA, c *x509.Certificate) bool {
	data := c.Raw
	if r.Selector == 1 {
		data = c.RawSubjectPublicKeyInfo
	}
	switch r.MatchingType {
	case 0:
		return bytes.Equal(data, r.Data)
	case 1:
		sum := sha256.Sum256(data)
		return bytes.Equal(sum[:], r.Data)
	case 2:
		sum := sha512.Sum512(data)
		return bytes.Equal(sum[:], r.Data)
	}
	return false
}

// daneVerify checks a server's chain (leaf first, as sent) against the
// usable TLSA records and returns the record that matched. DANE-EE(3)
// matches the leaf alone: no name, no expiry (section 3.1.1).
// DANE-TA(2) matches a certificate of the chain, which must then issue
// the leaf for one of names (section 3.1.2, 3.2.2).
func daneVerify(chain []*x509.Certificate, recs []dns.TLSA, names []string, now time.Time) (dns.TLSA, error) {
	if len(chain) == 0 {
		return dns.TLSA{}, errors.New("the server sent no certificate")
	}
	leaf := chain[0]
	var taErr error
	for _, r := range recs {
		switch r.Usage {
		case usageDANEEE:
			if tlsaMatches(r, leaf) {
				return r, nil
			}
		case usageDANETA:
			for i, ta := range chain {
				if !tlsaMatches(r, ta) {
					continue
				}
				if i == 0 {
					// A trust anchor must issue the leaf, not be it.
					continue
				}
				roots := x509.NewCertPool()
				roots.AddCert(ta)
				inter := x509.NewCertPool()
				for _, c := range chain[1:i] {
					inter.AddCert(c)
				}
				for _, n := range names {
					_, err := leaf.Verify(x509.VerifyOptions{DNSName: n, Roots: roots, Intermediates: inter,
						CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
					if err == nil {
						return r, nil
					}
					taErr = err
				}
			}
		}
	}
	if taErr != nil {
		return dns.TLSA{}, fmt.Errorf("no TLSA record matches the certificate chain (DANE-TA: %v)", taErr)
	}
	return dns.TLSA{}, errors.New("no TLSA record matches the certificate chain")
}

// tlsaName is the TLSA owner name of an SMTP server (RFC 7672 section
// 2.2.3: port 25 over TCP).
func tlsaName(host string) string { return "_25._tcp." + strings.TrimSuffix(host, ".") }

// planDANE looks up the TLSA records of an MX host when the destination
// asks for DANE and the route is by MX. It returns nil when DANE does
// not apply (use_tls alone decides), or a failure when the host must not
// be used: mandatory without authentic usable records, or a lookup that
// failed other than by non-existence (section 2.2: a validation failure
// looks like a SERVFAIL; the host is skipped, not used without DANE).
func (w *worker) planDANE(ctx context.Context, j *job, rt *route, t target, mode string) (*danePlan, *connFail) {
	x := w.x
	if mode == "" || mode == daneOff {
		return nil, nil
	}
	if rt.relay {
		x.gauge(j.dest, func(h *counters.Host) { h.LastDANE = "not applied (SMTP route)" })
		return nil, nil
	}
	outcome := func(s string) { x.gauge(j.dest, func(h *counters.Host) { h.LastDANE = s }) }
	name := tlsaName(t.host)
	var recs []dns.TLSA
	var authentic bool
	var err error
	if _, ipErr := netip.ParseAddr(t.host); ipErr == nil {
		// An address literal has no name to publish TLSA records under.
		err = &dns.Error{Name: name, Type: "TLSA", Code: dns.NoRecords}
	} else {
		lctx, cancel := context.WithTimeout(ctx, x.t.DNS)
		recs, authentic, err = x.d.Resolver(j.cfg).LookupTLSA(lctx, name)
		cancel()
	}
	fail := func(text string) *connFail {
		return &connFail{Failure: &Failure{Kind: FailTLS, Status: "4.7.5", Text: text, RemoteMTA: t.host}}
	}
	switch {
	case err != nil && !dns.IsNotFound(err):
		x.d.Log.Info("DANE: TLSA lookup for %s failed: %v; host %s skipped", name, err, t.host)
		outcome("failed: TLSA lookup " + errCode(err))
		return nil, fail("DANE: TLSA lookup for " + name + " failed")
	case err == nil && !authentic:
		x.d.Log.Info("DANE: TLSA records for %s are not authentic (no AD bit from a trusted resolver): ignored", name)
		recs = nil
	}
	ok := usable(recs)
	if len(ok) > 0 {
		return &danePlan{records: ok, names: []string{t.host, j.domain}}, nil
	}
	if mode == daneMandatory {
		x.d.Log.Info("DANE: no authentic usable TLSA records for %s: no delivery to %s (dane mandatory)", name, t.host)
		outcome("failed: no authentic TLSA records for " + t.host)
		return nil, fail("DANE mandatory: no authentic usable TLSA records for " + t.host)
	}
	if len(recs) > 0 {
		// Authentic but unusable: TLS without authentication (section 2.2).
		return &danePlan{tlsOnly: true}, nil
	}
	outcome("no authentic TLSA records for " + t.host + " (use_tls applies)")
	return nil, nil
}

func errCode(err error) string {
	var de *dns.Error
	if errors.As(err, &de) {
		return de.Code.String()
	}
	return err.Error()
}
