package spf

import (
	"context"
	"strings"
)

// Sender ID (RFC 4406) publishes its records beside SPF's, with another
// version token and a scope list: "spf2.0/mfrom,pra ip4:192.0.2.0/24 -all".
// The mechanisms and modifiers are SPF's (RFC 4406 section 3), so rather
// than parse them here, scopeView hands the library the domain's record
// of the scope being checked with its version token rewritten to v=spf1,
// and the library evaluates it as any other. Every TXT lookup of the
// check goes through the view, so include: and redirect= targets are
// read in the same scope, as RFC 4406 section 3.3 wants.

// scopeView is the resolver one check sees.
type scopeView struct {
	libResolver
	// scope is "mfrom" or "pra" for a Sender ID check; "" for SPF, which
	// reads v=spf1 records alone (RFC 7208 section 4.5).
	scope string
	// spf1 lets a v=spf1 record stand in when the domain publishes no
	// spf2.0 record of the scope (RFC 4406 section 3.4 reads v=spf1 as
	// "spf2.0/mfrom,pra"; AsyncOS's compatible level as "spf2.0/mfrom").
	spf1 bool

	// What the lookup of the identity's own domain (the first) found.
	looked  bool
	nx      bool   // NXDOMAIN
	version string // the version token of the record used, as published
	sid     bool   // that record is a Sender ID (spf2.0) record
}

func (v *scopeView) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, timedOut(name)
	}
	txts, err := v.r.LookupTXT(ctx, name)
	first := !v.looked
	v.looked = true
	if err != nil {
		if first {
			v.nx = nxdomain(err)
		}
		return nil, dnsError(name, err)
	}
	recs, version, sid := selectRecords(txts, v.scope, v.spf1)
	if first {
		v.version, v.sid = version, sid
	}
	return recs, nil
}

// selectRecords returns the records of txts the library should read for
// scope: the spf2.0 records of the scope, rewritten; or, when there are
// none and spf1 allows it (or scope is SPF's), the v=spf1 records. It
// returns the version token of the first as published ("" when none) and
// whether it is a Sender ID record. More than one record is passed on as
// is: the library's PermError for two records is RFC 4406 section 3's as
// well.
func selectRecords(txts []string, scope string, spf1 bool) (recs []string, version string, sid bool) {
	var v1 []string
	for _, t := range txts {
		tok, rest, _ := strings.Cut(t, " ")
		switch {
		case strings.EqualFold(tok, "v=spf1"):
			v1 = append(v1, t)
		case scope != "" && lowerPrefix(tok, "spf2.0/") && hasScope(tok[len("spf2.0/"):], scope):
			if version == "" {
				version = tok
			}
			recs = append(recs, strings.TrimSpace("v=spf1 "+rest))
		}
	}
	if len(recs) > 0 {
		return recs, version, true
	}
	if (scope == "" || spf1) && len(v1) > 0 {
		return v1, "v=spf1", false
	}
	return nil, "", false
}

// hasScope reports whether a comma-separated scope list (RFC 4406
// section 3: "mfrom,pra") names scope.
func hasScope(list, scope string) bool {
	for s := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(strings.TrimSpace(s), scope) {
			return true
		}
	}
	return false
}
