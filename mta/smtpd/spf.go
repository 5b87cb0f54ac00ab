package smtpd

import "seg/internal/address"

// spfState is what the SPF/SIDF check keeps between MAIL and DATA.
type spfState struct{}

// spfAtMail checks the HELO and MAIL FROM identities (SPEC 12).
func (s *session) spfAtMail(path address.Path) *smtpError { return nil }

// spfAtData checks the PRA identity (SIDF conformance levels).
func (s *session) spfAtData(data []byte) *smtpError { return nil }
