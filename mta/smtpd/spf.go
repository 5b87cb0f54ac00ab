package smtpd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"seg/internal/address"
	"seg/mta/dns"
	"seg/mta/spf"
	"seg/store"
)

// SPF/SIDF verification (SPEC 12), per mail flow policy (spf on): the
// HELO identity (spf_helo_test) and the MAIL FROM identity at MAIL, the
// PRA (RFC 4407) at DATA for the Sender ID levels (spf_conformance). Each
// identity checked gets a mail_logs line, a Received-SPF field (RFC 7208
// section 9.1) and an Authentication-Results clause (RFC 8601). With
// spf_fail_action reject, a Fail refuses the message: at MAIL for HELO
// and MAIL FROM, after DATA for the PRA. The checks are in mta/spf.

// spfTimeout bounds each identity's check, as senderVerifyTimeout does
// sender verification: a silent DNS server costs this client this long
// and gives TempError.
const spfTimeout = 10 * time.Second

// spfState is what the SPF/SIDF check keeps between MAIL and DATA.
type spfState struct {
	// helo and mailfrom are the checks spfAtMail ran (nil: not run).
	helo, mailfrom *spf.Verdict
	// dmarc is the RFC 7208 result DMARC aligns on, once worked out.
	dmarc *spfDMARC
}

// spfDMARC is spfForDMARC's answer.
type spfDMARC struct{ domain, scope, result string }

// spfAtMail checks the HELO and MAIL FROM identities (SPEC 12).
func (s *session) spfAtMail(path address.Path) *smtpError {
	f := s.info.dec.Flow
	if !f.SPF {
		return nil
	}
	c := s.spfChecker()
	ctx := context.Background()
	st := &s.auth.spf
	if f.SPFHELOTest {
		v := c.HELO(ctx, s.info.ip, s.helo)
		st.helo = &v
		s.log().Info("MID %d SPF: helo identity %s %s", s.mid, logSafe(v.Identity), v.Result.Title())
		s.spfRecord("helo", v)
	}
	from := ""
	if !path.Null {
		from = path.Mailbox.String()
	}
	v := c.MailFrom(ctx, s.info.ip, s.helo, from, spfLevel(f.SPFConformance))
	st.mailfrom = &v
	version := v.Version
	if version == "" {
		version = "v=spf1"
	}
	s.log().Info("MID %d SPF: mailfrom identity %s %s (%s)", s.mid, logSafe(v.Identity), v.Result.Title(), logSafe(version))
	s.spfRecord("mailfrom", v)
	if f.SPFFailAction == store.SPFFailReject &&
		(v.Result == spf.Fail || (st.helo != nil && st.helo.Result == spf.Fail)) {
		return spfRejected()
	}
	return nil
}

// spfAtData checks the PRA identity (SIDF conformance levels).
func (s *session) spfAtData(data []byte) *smtpError {
	f := s.info.dec.Flow
	level := spfLevel(f.SPFConformance)
	if !f.SPF || level == spf.LevelSPF {
		return nil
	}
	v := s.spfChecker().PRA(context.Background(), s.info.ip, s.helo, data, level, f.SPFDowngradePRA)
	who := v.Identity
	if who == "" {
		who = "unknown" // RFC 4407 section 2 step 6: the header names none
	}
	s.log().Info("MID %d SPF: pra identity %s %s", s.mid, logSafe(who), v.Result.Title())
	s.spfRecord("pra", v)
	if f.SPFFailAction == store.SPFFailReject && v.Result == spf.Fail {
		return spfRejected()
	}
	return nil
}

// spfForDMARC is the SPF result DMARC aligns on (RFC 7489 section 4.1):
// the MAIL FROM identity, or the HELO identity for a null sender. domain
// is the domain checked, scope "mfrom" or "helo", result RFC 7208's word
// in lower case ("pass", "fail", "softfail", "neutral", "none",
// "temperror", "permerror"). It runs the check when the policy's spf is
// off, without a header or log line, and caches the result in s.auth.
func (s *session) spfForDMARC() (domain, scope, result string) {
	st := &s.auth.spf
	if st.dmarc == nil {
		st.dmarc = s.spfDMARCResult()
	}
	return st.dmarc.domain, st.dmarc.scope, st.dmarc.result
}

// spfDMARCResult works out spfForDMARC's answer, from the MAIL FROM check
// when that was RFC 7208's (a Sender ID record or rule may have decided
// it instead), else with a check of its own.
func (s *session) spfDMARCResult() *spfDMARC {
	scope := "mfrom"
	if s.from == "" {
		scope = "helo"
	}
	v := s.auth.spf.mailfrom
	if v == nil || !v.RFC7208 {
		r := s.spfChecker().MailFrom(context.Background(), s.info.ip, s.helo, s.from, spf.LevelSPF)
		v = &r
	}
	return &spfDMARC{domain: v.Domain, scope: scope, result: string(v.Result)}
}

func (s *session) spfChecker() *spf.Checker {
	var r dns.Resolver
	if s.s.d.Resolver != nil {
		r = s.s.d.Resolver(s.info.cfg)
	}
	return &spf.Checker{Resolver: r, Timeout: spfTimeout}
}

// spfLevel maps spf_conformance to mta/spf's level.
func spfLevel(conformance string) spf.Level {
	switch conformance {
	case store.SPFOnly:
		return spf.LevelSPF
	case store.SIDFStrict:
		return spf.LevelSIDF
	}
	return spf.LevelSIDFCompatible
}

// spfRejected is spf_fail_action reject's reply (SPEC 12).
func spfRejected() *smtpError {
	return smtpErr(550, enhancedCode{5, 7, 1}, "SPF check failed")
}

// spfRecord adds one identity's Received-SPF field and its
// Authentication-Results clause: spf with smtp.helo or smtp.mailfrom
// (RFC 8601 section 2.7.2), sender-id with the PRA's header field (the
// IANA registry's header.<field name>).
func (s *session) spfRecord(identity string, v spf.Verdict) {
	s.auth.addTrace(s.receivedSPF(identity, v))
	switch identity {
	case "helo":
		s.auth.addResult("spf=" + string(v.Result) + " smtp.helo=" + arValue(s.helo))
	case "mailfrom":
		s.auth.addResult("spf=" + string(v.Result) + " smtp.mailfrom=" + arValue(v.Identity))
	case "pra":
		clause := "sender-id=" + string(v.Result)
		if v.Field != "" {
			clause += " header." + strings.ToLower(v.Field) + "=" + arValue(v.Identity)
		}
		if v.Downgraded {
			clause += " (pass downgraded: the PRA came from " + v.Field + ")"
		}
		s.auth.addResult(clause)
	}
}

// receivedSPF is the Received-SPF field for one identity (RFC 7208
// section 9.1): the result, a comment that explains it, and the
// key-value pairs, with AsyncOS's x-sender (the identity checked) and
// x-conformance (the level).
func (s *session) receivedSPF(identity string, v spf.Verdict) string {
	in := s.info
	ip := in.ip.String()
	who := v.Identity
	if who == "" {
		who = "the message (no purported responsible address)"
	}
	var why string
	switch v.Result {
	case spf.Pass:
		why = fmt.Sprintf("domain of %s designates %s as permitted sender", who, ip)
	case spf.Fail:
		why = fmt.Sprintf("domain of %s does not designate %s as permitted sender", who, ip)
	case spf.SoftFail:
		why = fmt.Sprintf("domain of transitioning %s does not designate %s as permitted sender", who, ip)
	case spf.Neutral:
		why = fmt.Sprintf("%s is neither permitted nor denied by domain of %s", ip, who)
	case spf.TempError:
		why = fmt.Sprintf("temporary error in processing during lookup of %s", who)
	case spf.PermError:
		why = fmt.Sprintf("permanent error in processing domain of %s", who)
	default:
		why = fmt.Sprintf("domain of %s does not designate permitted sender hosts", who)
	}
	if v.Downgraded {
		why += "; PRA pass downgraded to none: the PRA came from " + v.Field
	}
	pairs := []string{
		"identity=" + identity,
		"client-ip=" + kvValue(ip),
		"receiver=" + kvValue(in.hostname),
		"envelope-from=" + quoted(s.from),
		"helo=" + kvValue(s.helo),
		"x-sender=" + quoted(v.Identity),
		"x-conformance=" + kvValue(in.dec.Flow.SPFConformance),
	}
	return "Received-SPF: " + v.Result.Title() + " (" + comment(in.hostname+": "+why) + ")\r\n\t" +
		strings.Join(pairs, ";\r\n\t") + "\r\n"
}

// kvValue writes a Received-SPF value as a dot-atom when it is one, else
// as a quoted-string (RFC 7208 section 9.1, RFC 5322 section 3.2.3): an
// IPv6 address or an address-literal HELO is not.
func kvValue(v string) string {
	if isDotAtom(v) {
		return v
	}
	return quoted(v)
}

// arValue writes an Authentication-Results pvalue: an address or a
// domain as is when it is dot-atoms, else a quoted-string (RFC 8601
// section 2.2).
func arValue(v string) string {
	local, domain, ok := strings.Cut(v, "@")
	if !ok && isDotAtom(v) || ok && isDotAtom(local) && isDotAtom(domain) {
		return v
	}
	return quoted(v)
}

func isDotAtom(v string) bool {
	if v == "" || strings.HasPrefix(v, ".") || strings.HasSuffix(v, ".") || strings.Contains(v, "..") {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '.' && !isAtext(c) {
			return false
		}
	}
	return true
}

// isAtext is RFC 5322's atext in ASCII.
func isAtext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// quoted is a quoted-string: backslash before " and \, control
// characters (which no header may carry) as '?'.
func quoted(v string) string {
	return `"` + escape(v, `"\`) + `"`
}

// comment is the text of a comment: backslash before ( ) and \.
func comment(v string) string { return escape(v, `()\`) }

func escape(v, specials string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r < ' ' || r == 0x7f:
			r = '?'
		case strings.ContainsRune(specials, r):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
