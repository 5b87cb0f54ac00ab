package smtpd

import (
	"errors"
	"strings"

	"github.com/emersion/go-smtp"

	"seg/internal/address"
)

// envelopePath parses the MAIL FROM: or RCPT TO: command being answered
// with seg's own address parser (internal/address), from the line as the
// client sent it. go-smtp's parser has accepted the line by now, but it
// unquotes a quoted local part and lets NUL through: the address it hands
// the Session is not the one the client named, and printed raw it names
// another one, with parameters, to the next hop (issue 8, point 5). The
// address the RAT, the queue and every later stage see is the canonical
// text of this parse.
//
// A refused address is answered 501 (RFC 5321 section 4.2.2, syntax
// error in parameters) with RFC 3463's code for it: 5.1.7, bad sender's
// mailbox address syntax, for MAIL; 5.1.3, bad destination mailbox
// address syntax, for RCPT.
func (s *session) envelopePath(verb string) (address.Path, error) {
	prefix, ec, what := "FROM:", smtp.EnhancedCode{5, 1, 7}, "sender"
	if verb == "RCPT" {
		prefix, ec, what = "TO:", smtp.EnhancedCode{5, 1, 3}, "recipient"
	}
	line := strings.TrimSuffix(strings.TrimSuffix(s.c.commandLine(), "\n"), "\r")
	arg, ok := commandArg(line, verb, prefix)
	if !ok {
		// go-smtp answers only the line it has just read; anything else
		// is a bug, and the address is not trusted.
		s.log().Warning("ICID %d %s: the command line does not match the command being answered", s.info.icid, verb)
		return address.Path{}, smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Internal error, try again later")
	}
	p, err := address.ParseReversePath(arg)
	if verb == "RCPT" {
		p, err = address.ParseForwardPath(arg)
	}
	if err != nil {
		var ae *address.Error
		reason := "bad address"
		if errors.As(err, &ae) {
			reason = ae.Reason
		}
		// The reason never quotes the input: it is safe in logs.
		s.log().Info("ICID %d %s refused: bad %s address syntax: %s", s.info.icid, verb, what, reason)
		return address.Path{}, smtpErr(501, ec, "Bad "+what+" address syntax: "+reason)
	}
	return p, nil
}

// commandArg returns what follows "VERB PREFIX" (case-insensitive, spaces
// after the verb allowed, as go-smtp allows them) in line.
func commandArg(line, verb, prefix string) (string, bool) {
	if len(line) < 5 || !strings.EqualFold(line[:4], verb) || line[4] != ' ' {
		return "", false
	}
	rest := strings.TrimLeft(line[5:], " \t")
	if len(rest) < len(prefix) || !strings.EqualFold(rest[:len(prefix)], prefix) {
		return "", false
	}
	return rest[len(prefix):], true
}
