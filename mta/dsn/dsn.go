// Package dsn builds delivery status notifications (bounces) in the RFC
// 3464 format: a multipart/report (RFC 6522) of a human-readable part, a
// message/delivery-status part and the original message's header.
package dsn

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"
	"time"
)

// Recipient is one recipient the report is about.
type Recipient struct {
	Final       string // Final-Recipient address
	Action      string // "failed" (default), "delayed", "delivered", ...
	Status      string // enhanced status code, e.g. "5.1.1"
	RemoteMTA   string // the host that answered, if any
	Diagnostic  string // "smtp; 550 5.1.1 user unknown", or another type
	LastAttempt time.Time
	// WillRetryUntil is when a "delayed" recipient's delivery will be
	// given up (RFC 3464 section 2.3.8); zero: not said.
	WillRetryUntil time.Time
}

// Report is what a DSN says.
type Report struct {
	ReportingMTA string // our host name
	From         string // header From address; default MAILER-DAEMON@ReportingMTA
	To           string // who gets the report (the envelope sender)
	Subject      string
	Date         time.Time
	MessageID    string // without angle brackets; default made from OrigMID and Date
	OrigMID      int64  // the queue ID of the original, quoted in the report
	Arrival      time.Time
	Recipients   []Recipient
	Original     []byte // the original message; only its header is included
	// Untrusted says the report goes to a sender seg cannot vouch for
	// (mail from outside: the sender may be forged, and the report would
	// carry an attacker's text to a victim, backscatter). Only the
	// original's Message-ID and Date are quoted then, enough to identify
	// it; its Subject and other fields are not.
	Untrusted bool
	// Plain renders the report as one text/plain message (the human
	// text, then the original header) for senders whose software does not
	// read multipart/report: AsyncOS's "use DSN bounce format: no".
	Plain bool
}

// untrustedFields are the header fields quoted for an untrusted sender.
var untrustedFields = []string{"Message-ID", "Date"}

// maxLine keeps generated header lines well under the 998 octets of RFC
// 5322 section 2.1.1; a long diagnostic is cut there.
const maxLine = 900

// Build renders the report as a message, CRLF line endings.
func Build(r Report) ([]byte, error) {
	if r.To == "" {
		return nil, fmt.Errorf("dsn: no recipient for the report")
	}
	if len(r.Recipients) == 0 {
		return nil, fmt.Errorf("dsn: no recipients to report on")
	}
	from := r.From
	if from == "" {
		from = "MAILER-DAEMON@" + r.ReportingMTA
	}
	msgID := r.MessageID
	if msgID == "" {
		msgID = fmt.Sprintf("%d.%d.dsn@%s", r.Date.UnixNano(), r.OrigMID, r.ReportingMTA)
	}
	subject := r.Subject
	if subject == "" {
		subject = "Delivery Status Notification (Failure)"
	}

	if r.Plain {
		return plain(r, from, msgID, subject), nil
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	boundary := fmt.Sprintf("=_seg-dsn-%d-%d", r.OrigMID, r.Date.UnixNano())
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, err
	}

	// Human-readable part (RFC 6522 section 3, first part).
	human := humanText(r)
	if err := writePart(mw, "text/plain; charset="+charset(human), human); err != nil {
		return nil, err
	}
	// Machine-readable part (RFC 3464 section 2).
	status := statusFields(r)
	if err := writePart(mw, "message/delivery-status", status); err != nil {
		return nil, err
	}
	// The original header (RFC 6522 section 3, third part; RFC 3464
	// section 2's text/rfc822-headers: headers only, never the body).
	hdr := headerOf(r.Original)
	if r.Untrusted {
		hdr = onlyFields(hdr, untrustedFields)
	}
	if hdr != "" {
		if err := writePart(mw, "text/rfc822-headers", hdr); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	writeHeader(&out, r, from, msgID, subject)
	fmt.Fprintf(&out, "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=%q\r\n", boundary)
	out.WriteString("\r\n")
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

// writeHeader writes the report's header fields but Content-Type.
func writeHeader(out *bytes.Buffer, r Report, from, msgID, subject string) {
	h := func(k, v string) { fmt.Fprintf(out, "%s: %s\r\n", k, v) }
	h("From", "<"+from+">")
	h("To", "<"+r.To+">")
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", r.Date.Format(time.RFC1123Z))
	h("Message-ID", "<"+msgID+">")
	h("Auto-Submitted", "auto-replied") // RFC 3834 section 5
	h("MIME-Version", "1.0")
}

// plain is the report as one text/plain message: the human text, each
// recipient's status, and the original header (only its Message-ID and
// Date for an untrusted sender), after a separator line.
func plain(r Report, from, msgID, subject string) []byte {
	var text strings.Builder
	text.WriteString(humanText(r))
	for _, rc := range r.Recipients {
		fmt.Fprintf(&text, "\r\n<%s>: %s (%s)\r\n", clip(rc.Final), clip(rc.Status), clip(stripType(rc.Diagnostic)))
	}
	hdr := headerOf(r.Original)
	if r.Untrusted {
		hdr = onlyFields(hdr, untrustedFields)
	}
	if hdr != "" {
		text.WriteString("\r\n--- The header of your message ---\r\n\r\n")
		text.WriteString(hdr)
	}
	body := text.String()
	var out bytes.Buffer
	writeHeader(&out, r, from, msgID, subject)
	out.WriteString("Content-Type: text/plain; charset=" + charset(body) + "\r\n")
	if !isASCII(body) {
		out.WriteString("Content-Transfer-Encoding: 8bit\r\n")
	}
	out.WriteString("\r\n")
	out.WriteString(body)
	return out.Bytes()
}

func humanText(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "This is the mail system at host %s.\r\n\r\n", r.ReportingMTA)
	if until, ok := delayedOnly(r); ok {
		// A delay warning: nothing failed yet.
		b.WriteString("Your message has not yet been delivered to one or more recipients.\r\n")
		b.WriteString("It stays queued and delivery will be tried again")
		if !until.IsZero() {
			fmt.Fprintf(&b, " until %s", until.Format(time.RFC1123Z))
		}
		b.WriteString(";\r\nyou do not need to send it again.\r\n")
	} else {
		b.WriteString("Your message could not be delivered to one or more recipients.\r\n")
	}
	if r.Untrusted {
		b.WriteString("The details and your message's Message-ID and Date follow.\r\n\r\n")
	} else {
		b.WriteString("The details and the header of your message follow.\r\n\r\n")
	}
	for _, rc := range r.Recipients {
		fmt.Fprintf(&b, "<%s>: %s\r\n", clip(rc.Final), clip(stripType(rc.Diagnostic)))
	}
	return b.String()
}

// delayedOnly reports whether every recipient of r is "delayed" (the
// report is a delay warning), and the latest Will-Retry-Until.
func delayedOnly(r Report) (until time.Time, ok bool) {
	for _, rc := range r.Recipients {
		if rc.Action != "delayed" {
			return time.Time{}, false
		}
		if rc.WillRetryUntil.After(until) {
			until = rc.WillRetryUntil
		}
	}
	return until, len(r.Recipients) > 0
}

func statusFields(r Report) string {
	var b strings.Builder
	f := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, clip(v)) }
	// Per-message fields (RFC 3464 section 2.2).
	f("Reporting-MTA", "dns; "+r.ReportingMTA)
	if r.OrigMID != 0 {
		f("X-Original-MID", fmt.Sprint(r.OrigMID))
	}
	if !r.Arrival.IsZero() {
		f("Arrival-Date", r.Arrival.Format(time.RFC1123Z))
	}
	// Per-recipient fields (RFC 3464 section 2.3), each block after a
	// blank line.
	for _, rc := range r.Recipients {
		b.WriteString("\r\n")
		f("Final-Recipient", "rfc822; "+rc.Final)
		action := rc.Action
		if action == "" {
			action = "failed"
		}
		f("Action", action)
		f("Status", rc.Status)
		if rc.RemoteMTA != "" {
			f("Remote-MTA", "dns; "+rc.RemoteMTA)
		}
		if rc.Diagnostic != "" {
			f("Diagnostic-Code", rc.Diagnostic)
		}
		if !rc.LastAttempt.IsZero() {
			f("Last-Attempt-Date", rc.LastAttempt.Format(time.RFC1123Z))
		}
		if !rc.WillRetryUntil.IsZero() {
			f("Will-Retry-Until", rc.WillRetryUntil.Format(time.RFC1123Z))
		}
	}
	return b.String()
}

func writePart(mw *multipart.Writer, ctype, content string) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", ctype)
	if !isASCII(content) {
		h.Set("Content-Transfer-Encoding", "8bit")
	}
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = w.Write([]byte(content))
	return err
}

// headerOf returns the header block of a message with CRLF line endings:
// its header fields and their continuation lines, up to the empty line
// or the first line that is neither (RFC 5322 section 2.2: a field is a
// name of printable characters but ':' then ':'). A message without the
// empty line does not make its body header.
func headerOf(msg []byte) string {
	var b strings.Builder
	for len(msg) > 0 {
		line := msg
		next := []byte(nil)
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line, next = msg[:i], msg[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		cont := len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
		if len(line) == 0 || (!cont && !isFieldStart(line)) || (cont && b.Len() == 0) {
			break
		}
		b.Write(line)
		b.WriteString("\r\n")
		msg = next
	}
	return b.String()
}

// isFieldStart reports whether line starts a header field: a non-empty
// name of printable ASCII but ':' (RFC 5322 section 2.2) and a ':'.
func isFieldStart(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// onlyFields keeps the fields of hdr (headerOf's output) named in names,
// with their continuation lines.
func onlyFields(hdr string, names []string) string {
	var b strings.Builder
	keep := false
	for _, line := range strings.SplitAfter(hdr, "\r\n") {
		if line == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			name, _, _ := strings.Cut(line, ":")
			keep = false
			for _, n := range names {
				keep = keep || strings.EqualFold(name, n)
			}
		}
		if keep {
			b.WriteString(line)
		}
	}
	return b.String()
}

// stripType drops the "smtp; " type of a diagnostic for the human text.
func stripType(d string) string {
	if _, v, ok := strings.Cut(d, "; "); ok {
		return v
	}
	return d
}

// clip makes s one safe field line: CR and LF become spaces, other
// control characters '?', and it is cut at maxLine.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\n':
			return ' '
		case r < 0x20 && r != '\t' || r == 0x7f:
			return '?'
		}
		return r
	}, s)
	if len(s) > maxLine {
		s = strings.ToValidUTF8(s[:maxLine], "")
	}
	return s
}

func charset(s string) string {
	if isASCII(s) {
		return "us-ascii"
	}
	return "utf-8"
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
