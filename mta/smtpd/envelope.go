package smtpd

import (
	"errors"

	"seg/internal/address"
)

// envelopePath parses what follows MAIL FROM: or RCPT TO: with seg's own
// address parser (internal/address), as the client sent it. The address
// the RAT, the queue and every later stage see is the canonical text of
// this parse: a quoted local part stays quoted and NUL never gets
// through (issue 8, point 5).
//
// A refused address is answered 501 (RFC 5321 section 4.2.2, syntax
// error in parameters) with RFC 3463's code for it: 5.1.7, bad sender's
// mailbox address syntax, for MAIL; 5.1.3, bad destination mailbox
// address syntax, for RCPT. A valid path followed by a malformed ESMTP
// parameter is 501 5.5.4 (invalid command arguments).
func (s *session) envelopePath(verb, arg string) (address.Path, error) {
	ec, what := enhancedCode{5, 1, 7}, "sender"
	if verb == "RCPT" {
		ec, what = enhancedCode{5, 1, 3}, "recipient"
	}
	p, err := address.ParseReversePath(arg)
	if verb == "RCPT" {
		p, err = address.ParseForwardPath(arg)
	}
	if err != nil {
		var ae *address.Error
		reason := "bad address"
		if errors.As(err, &ae) {
			if ae.Param {
				return address.Path{}, smtpErr(501, enhancedCode{5, 5, 4}, "Unable to parse "+verb+" ESMTP parameters")
			}
			reason = ae.Reason
		}
		// The reason never quotes the input: it is safe in logs.
		s.log().Info("ICID %d %s refused: bad %s address syntax: %s", s.info.icid, verb, what, reason)
		return address.Path{}, smtpErr(501, ec, "Bad "+what+" address syntax: "+reason)
	}
	return p, nil
}
