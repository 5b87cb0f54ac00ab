package smtpd

import (
	"fmt"
	"strconv"
)

// enhancedCode is an RFC 3463 status code: class.subject.detail.
type enhancedCode [3]int

// noEnhancedCode leaves the reply without one: for replies whose text
// already carries one (a RAT entry's "#5.1.1 ..."), and for the replies
// RFC 2034 gives none (354).
var noEnhancedCode = enhancedCode{-1, -1, -1}

// smtpError is a reply a session decision ends in: the code, the
// enhanced code and the text the client is given, exactly. A session
// method returns one (errors included: a 250 is one too, for DATA) and
// the command loop writes it as is. Operators see the details in
// mail_logs; the text here is what the client may know (STYLE 3).
type smtpError struct {
	Code         int
	EnhancedCode enhancedCode
	Message      string
}

func (e *smtpError) Error() string { return fmt.Sprintf("SMTP %d: %s", e.Code, e.Message) }

// Temporary reports whether the client may try again later (4yz).
func (e *smtpError) Temporary() bool { return e.Code/100 == 4 }

// line is the reply as sent, CRLF included. A zero enhanced code
// becomes class.0.0, as every 2yz, 4yz and 5yz reply carries one once
// ENHANCEDSTATUSCODES is offered (RFC 2034 section 3).
func (e *smtpError) line() string {
	ec := e.EnhancedCode
	if ec == (enhancedCode{}) {
		switch c := e.Code / 100; c {
		case 2, 4, 5:
			ec = enhancedCode{c, 0, 0}
		default:
			ec = noEnhancedCode
		}
	}
	code := strconv.Itoa(e.Code)
	if ec == noEnhancedCode {
		return code + " " + e.Message + "\r\n"
	}
	return code + " " + strconv.Itoa(ec[0]) + "." + strconv.Itoa(ec[1]) + "." + strconv.Itoa(ec[2]) + " " + e.Message + "\r\n"
}
