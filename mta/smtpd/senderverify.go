package smtpd

import (
	"context"
	"errors"
	"strings"
	"time"

	"seg/internal/address"
	"seg/mta/dns"
	"seg/store"
)

// Envelope sender verification (SPEC 10, policy parameter
// sender_verification): at MAIL FROM, before the transaction starts, the
// sender's domain must be well formed and exist in the DNS. The null
// reverse-path <> is never checked: bounces must get through (RFC 5321
// section 4.5.5).
//
// Three classes, each with its policy code and text:
//   - malformed: the parser (envelope.go) already answered 501 to an
//     address that is not RFC 5321 syntax; what reaches here is a valid
//     path whose domain cannot be a sender's domain on the Internet: an
//     address literal (no domain to verify), a single label (RFC 5321
//     section 2.3.5 wants a fully-qualified name) or an all-numeric
//     top-level label (RFC 3696 section 2: no TLD is all-numeric, so
//     "1.2.3.4" is an IP address written without brackets);
//   - nxdomain: the domain has no MX and no A/AAAA record (NXDOMAIN, or
//     a name without those records);
//   - tempfail: a lookup failed temporarily (SERVFAIL, REFUSED, timeout,
//     no server reachable), or the deadline passed.
//
// With sender_verification_exceptions on, the exception table
// (exceptionconfig) is consulted first: ACCEPT skips the lookups, REJECT
// refuses with the entry's reply.

// senderVerifyTimeout bounds all the lookups for one MAIL FROM, so that a
// DNS server that never answers holds up only this client, only this long.
const senderVerifyTimeout = 10 * time.Second

// Sender verification outcomes, as the log line writes them.
const (
	svMalformed = "malformed"
	svNXDomain  = "domain does not exist"
	svTempfail  = "temporary DNS failure"
	svException = "rejected by the exception table"
)

// verifySender returns nil when the policy lets from in, or the reply
// that refuses it.
func (s *session) verifySender(path address.Path) *smtpError {
	f := s.info.dec.Flow
	if !f.SenderVerify || path.Null {
		return nil
	}
	in := s.info
	mb := path.Mailbox
	from := mb.String()
	if f.UseSenderExceptions {
		if e := in.cfg.MatchSenderException(mb.Local, mb.Domain); e != nil {
			if e.Action == store.RATAccept {
				return nil
			}
			code, text := e.Reply()
			return s.senderRefused(from, svException, e.Match, code, text, 7, 1)
		}
	}
	if malformedSenderDomain(mb.Domain) {
		return s.senderRefused(from, svMalformed, "", int(f.SenderMalformedCode), f.SenderMalformedText, 1, 7)
	}
	if s.s.d.Resolver == nil {
		// No DNS wired (unit tests of other things): nothing to verify with.
		return s.senderRefused(from, svTempfail, "no resolver", int(f.SenderTempfailCode), f.SenderTempfailText, 1, 8)
	}
	ctx, cancel := context.WithTimeout(context.Background(), senderVerifyTimeout)
	defer cancel()
	switch err := domainExists(ctx, s.s.d.Resolver(in.cfg), mb.Domain); {
	case err == nil:
		return nil
	case isPermanent(err):
		return s.senderRefused(from, svNXDomain, err.Error(), int(f.SenderNXDomainCode), f.SenderNXDomainText, 1, 8)
	default:
		return s.senderRefused(from, svTempfail, err.Error(), int(f.SenderTempfailCode), f.SenderTempfailText, 1, 8)
	}
}

// senderRefused logs the refusal and builds its reply; $EnvelopeSender in
// the text is the sender, as in AsyncOS's texts. A text without its own
// RFC 3463 code gets class.subject.detail: X.1.7 bad sender address
// syntax, X.1.8 bad sender's system address, X.7.1 refused by policy.
func (s *session) senderRefused(from, class, detail string, code int, text string, subject, det int) *smtpError {
	line := "ICID %d Sender Verification: <%s> " + class
	args := []any{s.info.icid, logSafe(from)}
	if detail != "" {
		line += " (%s)"
		args = append(args, logSafe(detail))
	}
	s.log().Info(line, args...)
	if text == "" {
		text = "Sender address rejected"
	}
	text = strings.ReplaceAll(text, "$EnvelopeSender", from)
	ec := enhancedCode{code / 100, subject, det}
	if hasEnhancedCode(text) {
		ec = noEnhancedCode // the text carries its own
	}
	return &smtpError{Code: code, EnhancedCode: ec, Message: text}
}

// malformedSenderDomain reports a domain that parses but cannot be a
// sender's domain (see the top of this file).
func malformedSenderDomain(d string) bool {
	if d == "" || strings.HasPrefix(d, "[") {
		return true
	}
	i := strings.LastIndexByte(d, '.')
	if i < 0 {
		return true
	}
	return strings.Trim(d[i+1:], "0123456789") == ""
}

// domainExists asks for MX first, then A/AAAA: a domain exists for mail
// when it has either (RFC 5321 section 5.1, implicit MX). A permanent
// answer (NXDOMAIN, no records) from both is permanent; a temporary
// failure of either, when the other did not show the domain exists, is
// temporary.
func domainExists(ctx context.Context, r dns.Resolver, domain string) error {
	mx, err := r.LookupMX(ctx, domain)
	if err == nil && len(mx) > 0 {
		return nil
	}
	if err != nil && !isPermanent(err) {
		return err
	}
	ips, err := r.LookupIP(ctx, domain)
	if err == nil && len(ips) > 0 {
		return nil
	}
	if err == nil {
		err = &dns.Error{Name: domain, Type: "A/AAAA", Code: dns.NoRecords}
	}
	return err
}

// isPermanent: NXDOMAIN or no records; anything else (other codes, a
// context error, an error that is not a *dns.Error) may pass.
func isPermanent(err error) bool {
	var de *dns.Error
	return errors.As(err, &de) && (de.Code == dns.NXDomain || de.Code == dns.NoRecords)
}
