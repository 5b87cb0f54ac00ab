package tdc

import (
	"bytes"
	"crypto/rand"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"

	"seg/mta/queue"
)

// JournalParams is what Journal needs besides the original message.
type JournalParams struct {
	// MID is the copy's MID; when 0, NewMID is called (pass the queue's
	// NextMID). The queue refuses a copy without one.
	MID    int64
	NewMID func() int64
	// From is the envelope sender and From header: the appliance's bounce
	// address. "" means MAILER-DAEMON@Hostname.
	From string
	// Hostname names the appliance in From and Message-ID.
	Hostname string
	// Now is the copy's Date and queue time; zero means time.Now(). The
	// copy's 120 s lifetime counts from it.
	Now time.Time
	// Rand makes the MIME boundary and Message-ID; nil means crypto/rand.
	Rand io.Reader
	// RIDs limits the recipients listed to these (a policy's part when
	// the original was not split); nil lists all of orig's.
	RIDs []int
}

// Journal builds the journal copy of orig (SPEC 6) for intake address
// intake: a new queue.KindTDC message from the bounce address to intake,
// queued for Host, whose body is a multipart/mixed message holding a
// text/plain part (orig's MID, envelope sender and recipients) and a
// message/rfc822 part with body, orig's message, byte for byte. The body
// comes in three: prefix, body itself (not copied: the queue stores the
// copy beside its original without a second copy of it, queue.Derived),
// suffix. body is not modified and is not retained.
func Journal(orig *queue.Message, body []byte, intake string, p JournalParams) (m *queue.Message, prefix, suffix []byte) {
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	rnd := p.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	host := p.Hostname
	if host == "" {
		host = "localhost"
	}
	from := p.From
	if from == "" {
		from = "MAILER-DAEMON@" + host
	}
	mid := p.MID
	if mid == 0 && p.NewMID != nil {
		mid = p.NewMID()
	}

	text := summary(orig, p.RIDs)
	boundary := chooseBoundary(rnd, body, text)
	msgID := "<" + randHex(rnd, 8) + ".tdc." + strconv.FormatInt(orig.MID, 10) + "@" + host + ">"
	subject := journalSubject(orig.Subject)
	textCharset, textCTE := "us-ascii", "7bit"
	if !isASCII(text) {
		textCharset, textCTE = "utf-8", "8bit"
	}
	cte := transferEncoding(body)

	var b bytes.Buffer
	b.Grow(len(text) + 1024)
	header(&b, "From", from)
	header(&b, "To", intake)
	header(&b, "Date", now.Format(time.RFC1123Z))
	header(&b, "Message-ID", msgID)
	header(&b, "Subject", subject)
	header(&b, "MIME-Version", "1.0")
	if orig.RemoteIP != "" {
		header(&b, "X-IronPort-RemoteIP", orig.RemoteIP)
	}
	// The journal is machine-made: no autoresponder should answer it
	// (RFC 3834 section 5).
	header(&b, "Auto-Submitted", "auto-generated")
	header(&b, "Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary}))
	// A multipart entity's encoding is its most demanding part's (RFC
	// 2045 section 6.4): the original decides.
	header(&b, "Content-Transfer-Encoding", cte)
	b.WriteString("\r\n")

	b.WriteString("--" + boundary + "\r\n")
	header(&b, "Content-Type", "text/plain; charset="+textCharset)
	header(&b, "Content-Transfer-Encoding", textCTE)
	b.WriteString("\r\n")
	b.WriteString(text)

	// The CRLF before each delimiter belongs to the delimiter (RFC 2046
	// section 5.1.1), so the original needs no line ending of its own
	// and is carried exactly as received. message/rfc822 allows only
	// 7bit, 8bit and binary (RFC 2046 section 5.2.1): never re-encoded.
	b.WriteString("\r\n--" + boundary + "\r\n")
	header(&b, "Content-Type", "message/rfc822")
	header(&b, "Content-Transfer-Encoding", cte)
	header(&b, "Content-Description", "Original message")
	b.WriteString("\r\n")
	prefix = b.Bytes()
	suffix = []byte("\r\n--" + boundary + "--\r\n")

	m = &queue.Message{
		MID:       mid,
		Kind:      queue.KindTDC,
		From:      from,
		Rcpts:     []queue.Recipient{{RID: 0, Addr: intake, State: queue.Unattempted}},
		Received:  now,
		Size:      int64(len(prefix) + len(body) + len(suffix)),
		MessageID: msgID,
		Subject:   subject,
		Host:      Host,
		OrigMID:   orig.MID,
		Policy:    orig.Policy,
	}
	return m, prefix, suffix
}

// summary is the text/plain part: who the original was from and for.
func summary(orig *queue.Message, rids []int) string {
	var b strings.Builder
	b.WriteString("Original MID: " + strconv.FormatInt(orig.MID, 10) + "\r\n")
	b.WriteString("Envelope sender: <" + textSafe(orig.From) + ">\r\n")
	b.WriteString("Envelope recipients:\r\n")
	for _, r := range orig.Rcpts {
		if rids != nil && !containsInt(rids, r.RID) {
			continue
		}
		b.WriteString("    <" + textSafe(r.Addr) + ">\r\n")
	}
	return b.String()
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// journalSubject is "Journal: " and the original subject, made safe for
// a header: one line, ASCII (RFC 2047 encoded words for anything else),
// and short enough that folding keeps every line under 998 octets.
func journalSubject(orig string) string {
	s := strings.Join(strings.Fields(textSafe(orig)), " ")
	if s == "" {
		return "Journal:"
	}
	const maxSubject = 900
	if len(s) > maxSubject {
		s = strings.ToValidUTF8(s[:maxSubject], "")
	}
	if !isASCII(s) {
		s = mime.QEncoding.Encode("utf-8", s)
	}
	return "Journal: " + s
}

// textSafe drops control characters (no CR or LF may reach a header or
// break a line of the summary) and makes s valid UTF-8.
func textSafe(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			if r == '\t' {
				return ' '
			}
			return -1
		}
		return r
	}, s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// header writes "Name: value" CRLF, folding at spaces so that lines stay
// near 78 characters (RFC 5322 section 2.1.1). value is one line.
func header(b *bytes.Buffer, name, value string) {
	const width = 78
	b.WriteString(name + ":")
	n := len(name) + 1
	for i, w := range strings.Split(value, " ") {
		if i > 0 && n+1+len(w) > width {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteString(" " + w)
		n += 1 + len(w)
	}
	b.WriteString("\r\n")
}
