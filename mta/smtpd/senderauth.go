package smtpd

import (
	"strings"

	"seg/internal/address"
)

// txAuth is one transaction's sender authentication (SPEC 12): the
// results each check found, for the Authentication-Results header (RFC
// 8601) and for DMARC, which needs the SPF and DKIM outcomes. Session
// resets it with the transaction.
//
// The checks each live in a file of their own: SPF/SIDF (spf.go) at MAIL
// and DATA, DKIM verification (dkimverify.go) and DMARC (dmarc.go) at
// DATA, DKIM signing of relayed mail (dkimsign.go) last of all, once
// every header seg adds is in place.
type txAuth struct {
	// results are the Authentication-Results resinfo clauses in order
	// ("spf=pass smtp.mailfrom=a@b.example"), RFC 8601 section 2.2.
	results []string
	// trace are the header fields the checks add above seg's Received
	// header, each ending in CRLF (Received-SPF, RFC 7208 section 9.1).
	trace []string

	spf  spfState  // spf.go
	dkim dkimState // dkimverify.go: each signature's result, for DMARC
}

// addResult records one Authentication-Results clause.
func (a *txAuth) addResult(clause string) { a.results = append(a.results, clause) }

// addTrace records one header field to prepend; field ends in CRLF.
func (a *txAuth) addTrace(field string) { a.trace = append(a.trace, field) }

// authAtMail runs the checks that need only the envelope (SPF's HELO and
// MAIL FROM identities) once the transaction has its MID; an error is
// the reply that refuses MAIL.
func (s *session) authAtMail(path address.Path) *smtpError {
	return s.spfAtMail(path)
}

// authAtData runs the checks that need the message (PRA, DKIM, DMARC)
// on data as the client sent it and returns the header fields to put
// above seg's Received header; an error is the reply that refuses the
// message.
func (s *session) authAtData(data []byte) ([]byte, *smtpError) {
	if err := s.spfAtData(data); err != nil {
		return nil, err
	}
	if err := s.dkimVerify(data); err != nil {
		return nil, err
	}
	if err := s.dmarcVerify(data); err != nil {
		return nil, err
	}
	return s.auth.header(s.info.hostname), nil
}

// header is the Authentication-Results field (RFC 8601 section 2.2:
// authserv-id, then one resinfo per method) followed by the trace
// fields; nothing when no check ran.
func (a *txAuth) header(authservID string) []byte {
	var b strings.Builder
	if len(a.results) > 0 {
		b.WriteString("Authentication-Results: " + headerSafe(authservID))
		for _, r := range a.results {
			b.WriteString(";\r\n\t" + r)
		}
		b.WriteString("\r\n")
	}
	for _, t := range a.trace {
		b.WriteString(t)
	}
	if b.Len() == 0 {
		return nil
	}
	return []byte(b.String())
}
