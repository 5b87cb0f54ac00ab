package smtpd

import (
	"time"

	"seg/mta/ratelimit"
	"seg/store"
)

// The per-client and per-sender counters of SPEC 10. They live in the
// MTA (Deps.Rates), not in the snapshot: every listener counts into the
// same windows, and a commit changes the limits a new connection
// applies, never the counts.

// rateLimits applies max_rcpts_per_hour and then the sender's
// sender_rate_limit to a recipient about to be accepted; one refused by
// the second is taken back from the first, so that a refused recipient
// counts nowhere.
func (s *session) rateLimits(to string, rat *store.RATEntry) *smtpError {
	if err := s.hourlyLimit(to, rat); err != nil {
		return err
	}
	if err := s.senderLimit(to, rat); err != nil {
		if !(rat != nil && rat.BypassReceivingControl) {
			s.s.d.Rates.HostRcpts.Add(s.rateKey(), -1)
		}
		return err
	}
	return nil
}

// senderLimit counts a recipient against the envelope sender's
// sender_rate_limit over sender_rate_minutes (SPEC 10). The null sender
// is not limited: it is every bounce from everywhere, not one sender. A
// sender or client address in one of the sender_rate_exceptions address
// lists is neither limited nor counted.
func (s *session) senderLimit(to string, rat *store.RATEntry) *smtpError {
	in, f := s.info, s.info.dec.Flow
	if s.from == "" || (rat != nil && rat.BypassReceivingControl) {
		return nil
	}
	for _, name := range f.SenderRateExceptions {
		if l := in.cfg.AddressList(name); l != nil && l.Matches(s.from, in.ip) {
			return nil
		}
	}
	w := s.s.d.Rates.Senders(time.Duration(f.SenderRateMinutes) * time.Minute)
	if w.Allow(ratelimit.SenderKey(s.from), f.SenderRateLimit) {
		return nil
	}
	s.log().Info("MID %d ICID %d To: <%s> Rejected by rate limit: sender=<%s>, sender_rate_limit=%d, sender_rate_minutes=%d, sender_group=%s",
		s.mid, in.icid, logSafe(to), logSafe(s.from), f.SenderRateLimit, f.SenderRateMinutes, in.dec.Group)
	return policyReply(f.SenderRateCode, enhancedCode{f.SenderRateCode / 100, 5, 3}, f.SenderRateText)
}

// rateKey is the client's counter key: its address, or its sig_bits
// block when the policy's use_sb is off.
func (s *session) rateKey() string {
	f := s.info.dec.Flow
	return ratelimit.HostKey(s.info.ip, f.UseSB, f.SigBits)
}

// hourlyLimit counts a recipient the session is about to accept against
// the client's max_rcpts_per_hour, and refuses the one that goes over
// with the policy's code and text; the recipients accepted before it stay
// accepted (SPEC 10). A refused recipient is not counted. A recipient
// whose RAT entry bypasses receiving control (SPEC 4.4, AsyncOS's
// "bypass receiving control") is neither limited nor counted.
func (s *session) hourlyLimit(to string, rat *store.RATEntry) *smtpError {
	if rat != nil && rat.BypassReceivingControl {
		return nil
	}
	in, f := s.info, s.info.dec.Flow
	key := s.rateKey()
	if s.s.d.Rates.HostRcpts.Allow(key, f.MaxRcptsPerHour) {
		return nil
	}
	s.log().Info("MID %d ICID %d To: <%s> Rejected by rate limit: host=%s, max_rcpts_per_hour=%d, sender_group=%s",
		s.mid, in.icid, logSafe(to), key, f.MaxRcptsPerHour, in.dec.Group)
	return policyReply(f.MaxRcptsPerHourCode, enhancedCode{f.MaxRcptsPerHourCode / 100, 5, 3}, f.MaxRcptsPerHourText)
}

// invalidRecipient counts a recipient the RAT refused toward directory
// harvest prevention (SPEC 10) and returns the reply: ratReply until the
// client's invalid recipients this hour pass dhap_limit, then the
// policy's dhap_code and dhap_text, and with dhap_drop on the connection
// is closed after that reply. The count is kept with dhap_limit 0 too,
// so that a limit a commit turns on sees the hour behind it.
func (s *session) invalidRecipient(ratReply *smtpError) *smtpError {
	in, f := s.info, s.info.dec.Flow
	key := s.rateKey()
	n := s.s.d.Rates.Invalid.Add(key, 1)
	if f.DHAPLimit <= 0 || n < f.DHAPLimit {
		return ratReply
	}
	if !s.dhapLogged {
		s.dhapLogged = true
		s.log().Info("Potential Directory Harvest Attack from host=%s, dhap_limit=%d, sender_group=%s", in.ip, f.DHAPLimit, in.dec.Group)
	}
	if n == f.DHAPLimit {
		return ratReply
	}
	if f.DHAPDrop {
		s.log().Info("Dropping connection due to potential Directory Harvest Attack from host=%s, dhap_limit=%d, sender_group=%s", in.ip, f.DHAPLimit, in.dec.Group)
		s.c.hangUpAfterReply()
	}
	return policyReply(f.DHAPCode, enhancedCode{f.DHAPCode / 100, 7, 1}, f.DHAPText)
}

// policyReply is a reply with an administrator's code and text: the text
// keeps its own enhanced code when it starts with one.
func policyReply(code int, ec enhancedCode, text string) *smtpError {
	if hasEnhancedCode(text) {
		ec = noEnhancedCode
	}
	return smtpErr(code, ec, text)
}
