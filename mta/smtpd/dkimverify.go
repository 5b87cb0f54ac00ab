package smtpd

import (
	"context"
	"strings"
	"time"

	"seg/mta/dkimverify"
)

// DKIM verification (SPEC 12, policy parameter dkim_verification): every
// DKIM-Signature of the message as the client sent it, up to
// dkimverify.MaxSignatures, is verified (mta/dkimverify); each gets a
// mail_logs line in AsyncOS's words and a dkim clause in the
// Authentication-Results header (RFC 8601 section 2.7.1). The outcome
// never refuses the message: DMARC (dmarc.go) decides what a failure
// means.

// dkimVerifyTimeout bounds the key lookups of one message, so that a DNS
// server that never answers gives temperror, not a stuck session.
const dkimVerifyTimeout = 10 * time.Second

// dkimState is what DKIM verification found, for DMARC.
type dkimState struct {
	done    bool                // verified (with or without lines and clauses)
	results []dkimverify.Result // one per signature verified, header order
}

// dkimVerify verifies the signatures when the policy says so.
func (s *session) dkimVerify(data []byte) *smtpError {
	if !s.info.dec.Flow.DKIMVerify {
		return nil
	}
	skipped := s.dkimResults(data)
	mid := s.mid
	res := s.auth.dkim.results
	if len(res) == 0 {
		s.log().Info("MID %d DKIM: no signature", mid)
		s.auth.addResult("dkim=none")
		return nil
	}
	for _, r := range res {
		s.log().Info("MID %d DKIM: %s (d=%s s=%s i=%s)", mid, dkimLogVerdict(r),
			logSafe(r.Domain), logSafe(r.Selector), logSafe(r.Identifier))
		s.auth.addResult(dkimClause(r))
	}
	if skipped > 0 {
		s.log().Info("MID %d DKIM: %d more signatures not verified (at most %d are)", mid, skipped, dkimverify.MaxSignatures)
	}
	return nil
}

// dkimResults verifies once per transaction and returns how many
// signatures were over the cap; DMARC calls it too when the policy
// verifies DMARC without dkim_verification (silently: no lines, no
// clauses).
func (s *session) dkimResults(data []byte) (skipped int) {
	if s.auth.dkim.done {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), dkimVerifyTimeout)
	defer cancel()
	s.auth.dkim.results, skipped = dkimverify.Verify(ctx, s.authResolver(), data)
	s.auth.dkim.done = true
	return skipped
}

// dkimLogVerdict is the verdict as AsyncOS logs it: "pass signature
// verified", "permfail body hash did not verify [final]", "permfail no
// key for signature [final]", "temperror key unavailable". A signature
// that fails or cannot be verified is a permanent failure ("[final]": no
// later attempt changes it); a key lookup that failed for now is not.
func dkimLogVerdict(r dkimverify.Result) string {
	reason := logSafe(r.Reason)
	switch r.Result {
	case dkimverify.Pass:
		return "pass " + reason
	case dkimverify.TempError:
		return "temperror " + reason
	}
	return "permfail " + reason + " [final]"
}

// dkimClause is the Authentication-Results resinfo (RFC 8601 section
// 2.7.1: header.d, header.s and header.i), with the reason as a comment
// when the signature did not pass.
func dkimClause(r dkimverify.Result) string {
	var b strings.Builder
	b.WriteString("dkim=" + r.Result)
	if r.Result != dkimverify.Pass {
		b.WriteString(" (" + commentSafe(r.Reason) + ")")
	}
	for _, p := range [][2]string{{"header.d", r.Domain}, {"header.s", r.Selector}, {"header.i", r.Identifier}} {
		if p[1] != "" {
			b.WriteString(" " + p[0] + "=" + headerSafe(p[1]))
		}
	}
	return b.String()
}

// commentSafe keeps text inside an RFC 5322 comment: no parentheses or
// backslashes (which would end or escape it) and no control characters.
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < ' ', r == 0x7f, r == '(', r == ')', r == '\\':
			return ' '
		}
		return r
	}, s)
}
