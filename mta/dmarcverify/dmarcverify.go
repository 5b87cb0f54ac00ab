// Package dmarcverify finds the DMARC policy of an author domain (RFC
// 7489 section 6.6.3), through seg's resolver seam, with go-msgauth's
// record parser, and evaluates a message against it: identifier
// alignment (section 3.1), pass or fail (section 4.2), the policy that
// applies (p or sp, section 6.3) and its sampling by pct (section 6.6.4).
package dmarcverify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"

	"seg/mta/dns"
)

// Record is the DMARC record that applies to an author domain.
type Record struct {
	// Domain is where it was found: the author domain, or its
	// organizational domain.
	Domain string
	// Org: found at the organizational domain, not at the author domain
	// itself (then sp, when present, is the policy).
	Org bool
	*dmarc.Record
}

// ErrTemporary wraps a DNS failure that stopped policy discovery: the
// result is temperror.
var ErrTemporary = errors.New("DNS failure")

// PermError is a record that cannot be used (RFC 7489 section 6.6.3:
// more than one record, or one with a syntax error): the result is
// permerror.
type PermError struct{ Domain, Reason string }

func (e *PermError) Error() string { return "_dmarc." + e.Domain + ": " + e.Reason }

// Lookup finds the record for the author domain from: at _dmarc.FROM,
// else at the organizational domain's _dmarc name. (nil, nil): none
// published, DMARC does not apply. A temporary DNS failure wraps
// ErrTemporary; an unusable record is a *PermError. A nil r fails
// temporarily.
func Lookup(ctx context.Context, r dns.Resolver, from string) (*Record, error) {
	from = strings.ToLower(strings.TrimSuffix(from, "."))
	rec, err := lookupAt(ctx, r, from)
	if rec != nil || err != nil {
		return rec, err
	}
	org := OrgDomain(from)
	if org == from {
		return nil, nil
	}
	rec, err = lookupAt(ctx, r, org)
	if rec != nil {
		rec.Org = true
	}
	return rec, err
}

// lookupAt asks _dmarc.domain and keeps the records that start with
// v=DMARC1 (section 6.6.3 step 2); exactly one must remain.
func lookupAt(ctx context.Context, r dns.Resolver, domain string) (*Record, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: no DNS resolver", ErrTemporary)
	}
	txts, err := r.LookupTXT(ctx, "_dmarc."+domain)
	if dns.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemporary, err)
	}
	var found []string
	for _, t := range txts {
		if isDMARC(t) {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, &PermError{domain, fmt.Sprintf("%d DMARC records", len(found))}
	}
	rec, err := dmarc.Parse(found[0])
	if err != nil {
		return nil, &PermError{domain, strings.TrimPrefix(err.Error(), "dmarc: ")}
	}
	return &Record{Domain: domain, Record: rec}, nil
}

// isDMARC: the record begins with the version tag v=DMARC1 (section 6.4:
// v must come first), spaces around the '=' allowed.
func isDMARC(txt string) bool {
	tag, rest, ok := strings.Cut(strings.TrimSpace(txt), "=")
	if !ok || strings.TrimSpace(tag) != "v" {
		return false
	}
	v, _, _ := strings.Cut(rest, ";")
	return strings.TrimSpace(v) == "DMARC1"
}

// IsRecord reports whether a TXT record is a DMARC record (begins with
// v=DMARC1): also what the external report destination check of section
// 7.1 looks for (mta/dmarcreport).
func IsRecord(txt string) bool { return isDMARC(txt) }

// OrgDomain is the organizational domain of d (RFC 7489 section 3.2):
// the public suffix (golang.org/x/net/publicsuffix) plus one label; d
// itself when d is a public suffix or malformed.
func OrgDomain(d string) string {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}

// Aligned reports whether an authenticated domain aligns with the author
// domain (section 3.1): the same name in strict mode, the same
// organizational domain in relaxed mode.
func Aligned(authenticated, author string, mode dmarc.AlignmentMode) bool {
	a := strings.ToLower(strings.TrimSuffix(authenticated, "."))
	f := strings.ToLower(strings.TrimSuffix(author, "."))
	if a == "" || f == "" {
		return false
	}
	if mode == dmarc.AlignmentStrict {
		return a == f
	}
	return OrgDomain(a) == OrgDomain(f)
}

// Requested is the policy the record asks for mail from the author
// domain: sp when the record is the organizational domain's and says
// sp, else p (section 6.3).
func (r *Record) Requested() dmarc.Policy {
	if r.Org && r.SubdomainPolicy != "" {
		return r.SubdomainPolicy
	}
	return r.Policy
}

// Pct is the record's pct, 100 when absent.
func (r *Record) Pct() int {
	if r.Percent == nil {
		return 100
	}
	return *r.Percent
}

// Applied is the policy to apply to a message that failed DMARC: the
// requested one for the messages pct selects, the next lower one for the
// rest (section 6.6.4: reject becomes quarantine, quarantine becomes
// none). sample picks the message: a number 0-99 that spreads evenly
// over messages (seg uses the MID modulo 100, so that exactly pct of
// every hundred consecutive messages are selected and tests need no
// random source). sampled is false when pct left the message out.
func (r *Record) Applied(sample int) (p dmarc.Policy, sampled bool) {
	p = r.Requested()
	if sample < r.Pct() {
		return p, true
	}
	switch p {
	case dmarc.PolicyReject:
		return dmarc.PolicyQuarantine, false
	case dmarc.PolicyQuarantine:
		return dmarc.PolicyNone, false
	}
	return p, false
}
