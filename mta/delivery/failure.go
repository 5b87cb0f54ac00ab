package delivery

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-smtp"

	"seg/mta/maillog"
)

// FailKind says where a delivery attempt failed.
type FailKind int

// Failure kinds.
const (
	FailSMTP    FailKind = iota // the remote server answered with an error
	FailConn                    // no connection, a lost connection or a timeout
	FailDNS                     // the route could not be looked up
	FailTLS                     // TLS was required and could not be negotiated
	FailExpired                 // out of retries or too long in the queue
	FailAdmin                   // bounced by an administrator (bouncerecipients)
	FailAddress                 // a queued address does not parse: never sent (address.go)
)

// Failure is why a recipient was not delivered. It carries the SMTP reply
// code and the enhanced status code (RFC 3463); temporariness is a
// property of the failure (STYLE 3), which a RetryPolicy may override.
type Failure struct {
	Kind      FailKind
	Code      int    // SMTP reply code; 0 when there was no reply ("000" in logs)
	Status    string // enhanced status code, e.g. "5.1.1"
	Text      string // reply lines as sent ("\n" between lines), or the error detail
	Permanent bool
	RemoteMTA string // the host that answered, for the DSN's Remote-MTA
}

func (f *Failure) Error() string {
	if f.Code != 0 {
		return fmt.Sprintf("%d %s", f.Code, strings.ReplaceAll(f.Text, "\n", " "))
	}
	return f.Text
}

// Temporary reports whether the failure is soft.
func (f *Failure) Temporary() bool { return !f.Permanent }

// smtpFailure turns an error from the SMTP client into a Failure: an SMTP
// reply keeps its codes; anything else is a connection problem.
func smtpFailure(err error, remote string) *Failure {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return &Failure{Kind: FailConn, Status: "4.4.2", Text: connDetail(err), RemoteMTA: remote}
	}
	class := se.Code / 100
	f := &Failure{Kind: FailSMTP, Code: se.Code, Permanent: class == 5, RemoteMTA: remote}
	lines := strings.Split(se.Message, "\n")
	ec := se.EnhancedCode
	if ec != (smtp.EnhancedCode{}) && ec != smtp.NoEnhancedCode && ec[0] >= 2 && ec[0] <= 5 {
		// go-smtp strips the enhanced code from the reply lines; put it
		// back so that logs show the reply as the server sent it.
		code := fmt.Sprintf("%d.%d.%d", ec[0], ec[1], ec[2])
		for i := range lines {
			lines[i] = code + " " + lines[i]
		}
		f.Status = fmt.Sprintf("%d.%d.%d", class, ec[1], ec[2])
	} else {
		// Without an enhanced code AsyncOS reports X.1.0.
		f.Status = fmt.Sprintf("%d.1.0", class)
	}
	if class != 4 && class != 5 {
		// A reply out of sequence (a 2xx or 3xx where none belongs) is a
		// protocol error: retry.
		f.Status, f.Permanent = "4.5.0", false
	}
	f.Text = strings.Join(lines, "\n")
	return f
}

// statusText is the wording of an enhanced status code in Bounced and
// Delayed lines: AsyncOS's where known, else RFC 3463's.
func statusText(status string) string {
	_, sd, ok := strings.Cut(status, ".")
	if !ok {
		return "Other or undefined status"
	}
	if t, ok := statusTexts[sd]; ok {
		return t
	}
	subject, _, _ := strings.Cut(sd, ".")
	if t, ok := statusTexts[subject+".0"]; ok {
		return t
	}
	return "Other or undefined status"
}

var statusTexts = map[string]string{
	"0.0":  "Other or undefined status",
	"1.0":  "Unknown address error",
	"1.1":  "Bad destination mailbox address",
	"1.2":  "Bad destination host",
	"1.3":  "Bad destination mailbox address syntax",
	"1.4":  "Destination mailbox address ambiguous",
	"1.6":  "Destination mailbox has moved",
	"1.7":  "Bad sender's mailbox address syntax",
	"1.8":  "Bad sender's system address",
	"1.10": "Recipient address has null MX",
	"2.0":  "Other or undefined mailbox status",
	"2.1":  "Mailbox disabled, not accepting messages",
	"2.2":  "Mailbox full",
	"2.3":  "Message length exceeds administrative limit",
	"3.0":  "Other or undefined mail system status",
	"3.1":  "Mail system full",
	"3.2":  "Not accepting messages at this time",
	"3.4":  "Message too big for system",
	"3.5":  "System incorrectly configured",
	"4.0":  "Other or undefined network or routing status",
	"4.1":  "No answer from host",
	"4.2":  "Bad connection",
	"4.3":  "Directory server failure",
	"4.4":  "Unable to route",
	"4.5":  "Mail system congestion",
	"4.6":  "Routing loop detected",
	"4.7":  "Delivery expired (message too old)",
	"5.0":  "Other or undefined protocol status",
	"5.1":  "Invalid command",
	"5.2":  "Syntax error",
	"5.3":  "Too many recipients",
	"5.4":  "Invalid command arguments",
	"6.0":  "Other or undefined media error",
	"7.0":  "Other or undefined security status",
	"7.1":  "Delivery not authorized, message refused",
}

// logTuple renders the failure as AsyncOS's Python tuple: ('550', ['text']).
func (f *Failure) logTuple() string {
	var b strings.Builder
	fmt.Fprintf(&b, "('%03d', [", f.Code)
	for i, l := range strings.Split(f.Text, "\n") {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(maillog.Repr(l))
	}
	b.WriteString("])")
	return b.String()
}

// reason is the "{status} - {text}" part of Bounced/Delayed lines.
func (f *Failure) reason() string { return f.Status + " - " + statusText(f.Status) }

// diagnostic is the DSN Diagnostic-Code value (RFC 3464 section 2.3.6).
func (f *Failure) diagnostic() string {
	if f.Code != 0 {
		return fmt.Sprintf("smtp; %d %s", f.Code, strings.ReplaceAll(f.Text, "\n", " "))
	}
	return "X-seg; " + strings.ReplaceAll(f.Text, "\n", " ")
}
