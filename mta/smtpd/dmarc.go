package smtpd

import (
	"context"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dmarc"

	"seg/internal/msgheader"
	"seg/mta/dkimverify"
	"seg/mta/dmarcreport"
	"seg/mta/dmarcverify"
	"seg/mta/dns"
	"seg/store"
)

// DMARC verification (SPEC 12, policy parameters dmarc_verification,
// dmarc_profile, dmarc_send_reports; RFC 7489). The author domain is the
// domain of the one address in the one From: field (section 6.6.1); a
// message without exactly that is not evaluated ("Verification skipped",
// dmarc=permerror): RFC 7489 leaves such messages to local policy, and
// seg delivers them as without DMARC. The record is _dmarc.DOMAIN's, else
// the organizational domain's (mta/dmarcverify). The message passes when
// an aligned identifier authenticated it: a DKIM signature that verified
// (dkimverify.go, run here silently when dkim_verification is off) or the
// SPF identity that passed (spfForDMARC, spf.go). A failure takes the
// record's policy, sampled by pct, and the policy's dmarc_profile turns it
// into an action: reject (the profile's reply to DATA), quarantine
// (delivered with X-DMARC-Quarantine: yes; seg has no quarantine store)
// or none. A DNS failure is temperror and no action, as AsyncOS's
// default profile accepts on temporary failure.

// dmarcTimeout bounds the record lookups of one message.
const dmarcTimeout = 10 * time.Second

// dmarcQuarantine is the trace field of a quarantined message.
const dmarcQuarantine = "X-DMARC-Quarantine: yes\r\n"

// dmarcVerify applies the From: domain's DMARC policy (SPEC 12).
func (s *session) dmarcVerify(data []byte) *smtpError {
	f := s.info.dec.Flow
	if !f.DMARCVerify {
		return nil
	}
	mid := s.mid
	from, why := authorDomain(data)
	if why != "" {
		s.log().Info("MID %d DMARC: Verification skipped (%s)", mid, why)
		s.auth.addResult("dmarc=permerror (" + commentSafe(why) + ")")
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), dmarcTimeout)
	defer cancel()
	rec, err := dmarcverify.Lookup(ctx, s.authResolver(), from)
	var pe *dmarcverify.PermError
	switch {
	case errors.As(err, &pe):
		s.log().Info("MID %d DMARC: Message from domain %s, DMARC permerror (invalid record: %s), no action taken", mid, logSafe(from), logSafe(pe.Error()))
		s.auth.addResult("dmarc=permerror (invalid record) header.from=" + headerSafe(from))
		return nil
	case err != nil:
		s.log().Info("MID %d DMARC: Message from domain %s, DMARC temperror (%s), no action taken", mid, logSafe(from), logSafe(err.Error()))
		s.auth.addResult("dmarc=temperror header.from=" + headerSafe(from))
		return nil
	case rec == nil:
		s.log().Info("MID %d DMARC: Verification skipped (no DMARC record for domain %s)", mid, logSafe(from))
		s.auth.addResult("dmarc=none header.from=" + headerSafe(from))
		return nil
	}

	s.dkimResults(data)
	spf := s.spfIdentity()
	spfAligned, dkimAligned := dmarcAlignment(rec, from, spf, s.auth.dkim.results)
	pass := dkimAligned || spfAligned
	verdict := "fail"
	if pass {
		verdict = "pass"
	}
	s.log().Info("MID %d DMARC: Message from domain %s, DMARC %s (SPF aligned %s, DKIM aligned %s)",
		mid, logSafe(from), verdict, pyBool(spfAligned), pyBool(dkimAligned))

	disposition := store.DMARCActionNone
	var reply *smtpError
	if pass {
		s.log().Info("MID %d DMARC: Verification passed", mid)
	} else {
		prof, ok := s.info.cfg.DMARC.Profile(f.DMARCProfile)
		if !ok {
			prof = store.DefaultDMARCProfile // commit validation names the profile; a tree built by hand may not
		}
		applied, sampled := rec.Applied(int(mid % 100))
		disposition = dmarcAction(prof, applied)
		note := ""
		if !sampled {
			note = " (pct=" + strconv.Itoa(rec.Pct()) + ": not sampled, policy " + string(applied) + " applied)"
		}
		s.log().Info("MID %d DMARC: Message from domain %s, policy %s, action %s%s", mid, logSafe(from), rec.Requested(), disposition, note)
		s.log().Info("MID %d DMARC: Verification failed", mid)
		switch disposition {
		case store.DMARCActionReject:
			reply = dmarcReject(prof)
		case store.DMARCActionQuarantine:
			s.auth.addTrace(dmarcQuarantine)
		}
	}
	s.auth.addResult("dmarc=" + verdict + " (p=" + string(rec.Requested()) + " dis=" + disposition + ") header.from=" + headerSafe(from))

	if f.DMARCSendReports && s.s.d.DMARCRecord != nil {
		s.s.d.DMARCRecord(s.dmarcRecord(rec, from, disposition, dkimAligned, spfAligned, spf))
	}
	return reply
}

// dmarcAlignment says whether an authenticated identifier aligns with
// the author domain from (RFC 7489 section 4.2): the SPF identity when it
// passed SPF, under aspf; a signature that verified, under adkim.
func dmarcAlignment(rec *dmarcverify.Record, from string, spf dmarcreport.SPFResult, dkim []dkimverify.Result) (spfAligned, dkimAligned bool) {
	spfAligned = spf.Result == "pass" && dmarcverify.Aligned(spf.Domain, from, rec.SPFAlignment)
	for _, r := range dkim {
		if r.Result == dkimverify.Pass && dmarcverify.Aligned(r.Domain, from, rec.DKIMAlignment) {
			dkimAligned = true
		}
	}
	return spfAligned, dkimAligned
}

// dmarcAction is what the profile does with a failed message under the
// policy applied (RFC 7489 section 6.3 p): its reject action for reject,
// its quarantine action for quarantine, nothing for none.
func dmarcAction(prof store.DMARCProfile, applied dmarc.Policy) string {
	switch applied {
	case dmarc.PolicyReject:
		return prof.RejectAction
	case dmarc.PolicyQuarantine:
		return prof.QuarantineAction
	}
	return store.DMARCActionNone
}

// dmarcReject is the profile's reply; X.7.1 (delivery not authorized,
// RFC 3463) unless the text carries its own code, as the default
// "#5.7.1 DMARC unauthenticated mail is prohibited" does.
func dmarcReject(prof store.DMARCProfile) *smtpError {
	code, text := prof.Code, prof.Text
	if code < 400 || code > 599 {
		code = store.DefaultDMARCProfile.Code
	}
	if text == "" {
		text = "DMARC unauthenticated mail is prohibited"
	}
	ec := enhancedCode{code / 100, 7, 1}
	if hasEnhancedCode(text) {
		ec = noEnhancedCode
	}
	return &smtpError{Code: code, EnhancedCode: ec, Message: text}
}

// spfIdentity is the SPF result DMARC aligns on (spfForDMARC). When the
// SPF check names no domain, the identity is still the one RFC 7489
// section 4.1 names, for the report: the MAIL FROM domain, or the HELO
// name for the null sender.
func (s *session) spfIdentity() dmarcreport.SPFResult {
	domain, scope, result := s.spfForDMARC()
	if domain == "" {
		domain, scope = domainOf(s.from), "mfrom"
		if s.from == "" {
			domain, scope = s.helo, "helo"
		}
	}
	return dmarcreport.SPFResult{Domain: strings.ToLower(domain), Scope: scope, Result: result}
}

// dmarcRecord is the message's row of the aggregate report.
func (s *session) dmarcRecord(rec *dmarcverify.Record, from, disposition string, dkimAligned, spfAligned bool, spf dmarcreport.SPFResult) dmarcreport.Record {
	r := dmarcreport.Record{
		Time:         s.s.d.Now(),
		MID:          s.mid,
		PolicyDomain: rec.Domain,
		RUA:          append([]string(nil), rec.ReportURIAggregate...),
		Published: dmarcreport.Published{
			Domain: rec.Domain,
			ADKIM:  string(rec.DKIMAlignment),
			ASPF:   string(rec.SPFAlignment),
			P:      string(rec.Policy),
			SP:     string(rec.SubdomainPolicy),
			Pct:    rec.Pct(),
			FO:     failureOptions(rec.FailureOptions),
		},
		SourceIP:     s.info.ip.String(),
		HeaderFrom:   from,
		EnvelopeFrom: strings.ToLower(domainOf(s.from)),
		Disposition:  disposition,
		DKIMAligned:  dkimAligned,
		SPFAligned:   spfAligned,
		SPF:          spf,
	}
	for _, d := range s.auth.dkim.results {
		r.DKIM = append(r.DKIM, dmarcreport.DKIMResult{Domain: d.Domain, Selector: d.Selector, Result: d.Result})
	}
	return r
}

// authorDomain is the RFC5322.From domain (RFC 7489 section 6.6.1): the
// domain of the single address of the single From: field, lower case;
// why says what is wrong when there is none.
func authorDomain(data []byte) (domain, why string) {
	froms := msgheader.All(data, "From")
	switch len(froms) {
	case 0:
		return "", "no From: header"
	case 1:
	default:
		return "", strconv.Itoa(len(froms)) + " From: headers"
	}
	addrs, err := mail.ParseAddressList(froms[0].Value())
	if err != nil {
		return "", "From: header cannot be parsed"
	}
	if len(addrs) != 1 {
		return "", "From: header has " + strconv.Itoa(len(addrs)) + " addresses"
	}
	d := strings.ToLower(strings.TrimSuffix(domainOf(addrs[0].Address), "."))
	if d == "" {
		return "", "From: address has no domain"
	}
	return d, ""
}

// domainOf is the part of an address after its last '@'; "" for none.
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return addr[i+1:]
}

// pyBool writes a boolean as AsyncOS (a Python program) does.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// authResolver is the configuration's resolver for the sender
// authentication lookups; nil (no DNS wired) makes every lookup a
// temperror in mta/dkimverify and mta/dmarcverify.
func (s *session) authResolver() dns.Resolver {
	if s.s.d.Resolver == nil {
		return nil
	}
	return s.s.d.Resolver(s.info.cfg)
}

// failureOptions writes a record's fo= back as published ("0", "1:d"),
// "" when it had none, for the report's policy_published.
func failureOptions(fo dmarc.FailureOptions) string {
	var out []string
	for _, o := range []struct {
		bit dmarc.FailureOptions
		tag string
	}{{dmarc.FailureAll, "0"}, {dmarc.FailureAny, "1"}, {dmarc.FailureDKIM, "d"}, {dmarc.FailureSPF, "s"}} {
		if fo&o.bit != 0 {
			out = append(out, o.tag)
		}
	}
	return strings.Join(out, ":")
}
