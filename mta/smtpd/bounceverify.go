package smtpd

import (
	"seg/internal/address"
	"seg/mta/bounceverify"
)

// bounceVerify applies inbound bounce verification (SPEC 10) to a
// recipient of a <> message, before the RAT: with at least one bvconfig
// key, the recipient must carry a valid, unexpired prvs= tag, which is
// removed here, so that the RAT judges and the queue stores the address
// that will leave. An untagged recipient passes when the policy's
// accept_untagged_bounces is on; a tag that does not verify is refused
// whatever that setting (AsyncOS's "Consider Untagged Bounces to be
// Valid" speaks of untagged bounces only). It returns the recipient to
// use, or the refusal.
func (s *session) bounceVerify(rcpt address.Mailbox) (address.Mailbox, error) {
	in := s.info
	bv := &in.cfg.BounceVerification
	if s.from != "" || len(bv.Keys) == 0 {
		return rcpt, nil
	}
	addr := rcpt.Local + "@" + rcpt.Domain
	orig, ok, reason := bounceverify.Verify(bv, addr, s.s.d.Now())
	if ok {
		rcpt.Local = orig[:len(orig)-len(rcpt.Domain)-1]
		return rcpt, nil
	}
	if reason == bounceverify.ReasonUntagged && in.dec.Flow.AcceptUntaggedBounces {
		return rcpt, nil
	}
	// AsyncOS's line (reference/mail_logs.sample), which gives no reason.
	s.log().Info("MID %d ICID %d invalid bounce, rcpt address <%s> rejected by bounce verification.", s.mid, in.icid, logSafe(rcpt.String()))
	return rcpt, smtpErr(550, enhancedCode{5, 7, 1}, "Bounce verification failed")
}
