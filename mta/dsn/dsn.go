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
}

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
	// The original header (RFC 6522 section 3, third part, headers only).
	if hdr := headerOf(r.Original); hdr != "" {
		if err := writePart(mw, "text/rfc822-headers", hdr); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&out, "%s: %s\r\n", k, v) }
	h("From", "<"+from+">")
	h("To", "<"+r.To+">")
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", r.Date.Format(time.RFC1123Z))
	h("Message-ID", "<"+msgID+">")
	h("Auto-Submitted", "auto-replied") // RFC 3834 section 5
	h("MIME-Version", "1.0")
	h("Content-Type", fmt.Sprintf("multipart/report; report-type=delivery-status;\r\n\tboundary=%q", boundary))
	out.WriteString("\r\n")
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

func humanText(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "This is the mail system at host %s.\r\n\r\n", r.ReportingMTA)
	b.WriteString("Your message could not be delivered to one or more recipients.\r\n")
	b.WriteString("The details and the header of your message follow.\r\n\r\n")
	for _, rc := range r.Recipients {
		fmt.Fprintf(&b, "<%s>: %s\r\n", rc.Final, clip(stripType(rc.Diagnostic)))
	}
	return b.String()
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

// headerOf returns the header block of a message (up to the first empty
// line), with CRLF line endings.
func headerOf(msg []byte) string {
	s := strings.ReplaceAll(string(msg), "\r\n", "\n")
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i+1]
	} else if !strings.Contains(s, ":") {
		return ""
	}
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return strings.ReplaceAll(s, "\n", "\r\n") + "\r\n"
}

// stripType drops the "smtp; " type of a diagnostic for the human text.
func stripType(d string) string {
	if _, v, ok := strings.Cut(d, "; "); ok {
		return v
	}
	return d
}

func clip(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
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
