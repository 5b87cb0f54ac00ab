package smtpd

import (
	"seg/mta/ratelimit"
	"seg/store"
)

// The per-client and per-sender counters of SPEC 10. They live in the
// MTA (Deps.Rates), not in the snapshot: every listener counts into the
// same windows, and a commit changes the limits a new connection
// applies, never the counts.

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
