package tdc

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/mta/queue"
)

// journaled is a journal message taken apart with the standard library's
// parsers, as a receiver would.
type journaled struct {
	header   mail.Header
	text     []byte
	textType string
	orig     []byte
	origCTE  string
	origType string
}

func parseJournal(t testing.TB, raw []byte) journaled {
	t.Helper()
	for i, l := range bytes.Split(raw[:headerEnd(raw)], []byte("\r\n")) {
		if len(l) > 998 {
			t.Fatalf("header line %d is %d octets long", i, len(l))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("journal does not parse: %v\n%s", err, raw)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var j journaled
	j.header = msg.Header
	p, err := mr.NextRawPart()
	if err != nil {
		t.Fatalf("text part: %v", err)
	}
	j.textType = p.Header.Get("Content-Type")
	if j.text, err = io.ReadAll(p); err != nil {
		t.Fatalf("text part: %v", err)
	}
	if p, err = mr.NextRawPart(); err != nil {
		t.Fatalf("message/rfc822 part: %v", err)
	}
	j.origType = p.Header.Get("Content-Type")
	j.origCTE = p.Header.Get("Content-Transfer-Encoding")
	if j.orig, err = io.ReadAll(p); err != nil {
		t.Fatalf("message/rfc822 part: %v", err)
	}
	if _, err := mr.NextRawPart(); err != io.EOF {
		t.Fatalf("after two parts: got %v, want io.EOF", err)
	}
	return j
}

func headerEnd(raw []byte) int {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return i
	}
	return len(raw)
}

func testOrig(subject string) *queue.Message {
	return &queue.Message{
		MID: 42, ICID: 7, Kind: queue.KindNormal, From: "sender@example.org",
		Rcpts: []queue.Recipient{
			{RID: 0, Addr: "alice@example.com"},
			{RID: 1, Addr: "bob@example.com"},
			{RID: 2, Addr: "carol@example.com"},
		},
		RemoteIP: "192.0.2.25", Subject: subject, MessageID: "<orig@example.org>", Policy: "Sales",
	}
}

// zeroReader is a Rand that always gives the same bytes, so the first
// boundary candidates are known.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestJournalCarriesOriginalByteForByte(t *testing.T) {
	zeroBoundary := boundaryPrefix + strings.Repeat("0", 24)
	cases := []struct {
		name string
		body string
		cte  string
	}{
		{"CRLF", "From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\nworld\r\n", "7bit"},
		{"LF only", "From: a@example.org\nSubject: hi\n\nhello\nworld\n", "binary"},
		{"8-bit", "Subject: caf\xc3\xa9\r\n\r\nd\xe9j\xe0 vu \xff\xfe\r\n", "8bit"},
		{"long line", "Subject: x\r\n\r\n" + strings.Repeat("y", 5000) + "\r\n", "binary"},
		{"line of 998", "Subject: x\r\n\r\n" + strings.Repeat("y", 998) + "\r\n", "7bit"},
		{"bare CR", "Subject: x\r\n\r\na\rb\r\n", "binary"},
		{"NUL", "Subject: x\r\n\r\na\x00b\r\n", "binary"},
		{"no final newline", "Subject: x\r\n\r\nlast line", "7bit"},
		{"empty", "", "7bit"},
		{"only CRLF", "\r\n", "7bit"},
		{"ends in CR", "Subject: x\r\n\r\nabc\r", "binary"},
		{"dash lines", "Subject: x\r\n\r\n--\r\n--\r\n----\r\n-- \r\n--\r\n", "7bit"},
		{"ends with --", "Subject: x\r\n\r\nabc\r\n--", "7bit"},
		{"existing MIME", "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
			"--b1\r\nContent-Type: text/plain\r\n\r\none\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n" +
			"Content-Type: multipart/alternative; boundary=b2\r\n\r\n--b2\r\n\r\ntwo\r\n--b2--\r\n\r\n--b1--\r\n", "7bit"},
		{"journal boundaries inside", "Subject: x\r\n\r\n--" + zeroBoundary + "\r\n--" + zeroBoundary + "--\r\n" +
			"\r\n--" + zeroBoundary + ".0000000000000001\r\n", "7bit"},
		{"journal inside journal", string(mustJournal(t, "Subject: inner\r\n\r\nbody\r\n")), "7bit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(c.body)
			keep := bytes.Clone(body)
			now := time.Date(2026, 3, 5, 14, 21, 4, 0, time.UTC)
			m, raw := journal(testOrig("Quarterly report"), body, "intake@bcc-in.us.etd.example", JournalParams{
				MID: 99, Hostname: "seg.example.com", Now: now, Rand: zeroReader{},
			})
			if !bytes.Equal(body, keep) {
				t.Fatal("Journal modified the original body")
			}
			j := parseJournal(t, raw)
			if !bytes.Equal(j.orig, body) {
				t.Fatalf("rfc822 part differs from the original:\ngot  %q\nwant %q", j.orig, body)
			}
			if j.origType != "message/rfc822" || j.origCTE != c.cte {
				t.Errorf("rfc822 part: Content-Type %q, CTE %q; want message/rfc822, %s", j.origType, j.origCTE, c.cte)
			}
			if got := j.header.Get("Content-Transfer-Encoding"); got != c.cte {
				t.Errorf("journal CTE %q, want %q", got, c.cte)
			}
			if m.Size != int64(len(raw)) {
				t.Errorf("Size %d, body %d bytes", m.Size, len(raw))
			}
		})
	}
}

func mustJournal(t *testing.T, body string) []byte {
	_, raw := journal(testOrig("inner"), []byte(body), "intake@example.net", JournalParams{MID: 5, Rand: zeroReader{}})
	return raw
}

func TestJournalMessageAndHeaders(t *testing.T) {
	orig := testOrig("Quarterly report")
	now := time.Date(2026, 3, 5, 14, 21, 4, 0, time.FixedZone("CET", 3600))
	next := int64(1000)
	m, raw := journal(orig, []byte("Subject: Quarterly report\r\n\r\nnumbers\r\n"), "intake@bcc-in.us.etd.example", JournalParams{
		NewMID:   func() int64 { next++; return next },
		From:     "MAILER-DAEMON@seg.example.com",
		Hostname: "seg.example.com",
		Now:      now,
	})
	if m.MID != 1001 || m.Kind != queue.KindTDC || m.Host != "the.tdc.queue" || m.OrigMID != 42 ||
		m.From != "MAILER-DAEMON@seg.example.com" || m.ICID != 0 || !m.Received.Equal(now) || m.Policy != "Sales" {
		t.Errorf("queue message = %+v", m)
	}
	if len(m.Rcpts) != 1 || m.Rcpts[0] != (queue.Recipient{RID: 0, Addr: "intake@bcc-in.us.etd.example", State: queue.Unattempted}) {
		t.Errorf("recipients = %+v", m.Rcpts)
	}
	j := parseJournal(t, raw)
	want := map[string]string{
		"From":                "MAILER-DAEMON@seg.example.com",
		"To":                  "intake@bcc-in.us.etd.example",
		"Subject":             "Journal: Quarterly report",
		"Mime-Version":        "1.0",
		"X-Ironport-Remoteip": "192.0.2.25",
		"Message-Id":          m.MessageID,
	}
	for k, v := range want {
		if got := j.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if m.Subject != "Journal: Quarterly report" {
		t.Errorf("Subject field %q", m.Subject)
	}
	if !strings.HasPrefix(m.MessageID, "<") || !strings.HasSuffix(m.MessageID, "@seg.example.com>") || m.MessageID == orig.MessageID {
		t.Errorf("Message-ID %q: want a new <...@seg.example.com>", m.MessageID)
	}
	if d, err := j.header.Date(); err != nil || !d.Equal(now) {
		t.Errorf("Date %q: %v, want %v", j.header.Get("Date"), err, now)
	}
	if j.textType != "text/plain; charset=us-ascii" {
		t.Errorf("text part Content-Type %q", j.textType)
	}
	wantText := "Original MID: 42\r\nEnvelope sender: <sender@example.org>\r\nEnvelope recipients:\r\n" +
		"    <alice@example.com>\r\n    <bob@example.com>\r\n    <carol@example.com>\r\n"
	if string(j.text) != wantText {
		t.Errorf("text part:\n%q\nwant\n%q", j.text, wantText)
	}

	// Two copies never share a Message-ID or, by chance, a boundary.
	m2, raw2 := journal(orig, []byte("x"), "intake@bcc-in.us.etd.example", JournalParams{MID: 1002})
	if m2.MessageID == m.MessageID {
		t.Errorf("two journals share Message-ID %s", m.MessageID)
	}
	if m2.From != "MAILER-DAEMON@localhost" {
		t.Errorf("default From %q", m2.From)
	}
	parseJournal(t, raw2)
}

func TestJournalListsOnlyThePartsRecipients(t *testing.T) {
	_, raw := journal(testOrig("s"), []byte("x\r\n"), "i@example.net", JournalParams{MID: 3, RIDs: []int{2, 0}})
	j := parseJournal(t, raw)
	want := "Original MID: 42\r\nEnvelope sender: <sender@example.org>\r\nEnvelope recipients:\r\n" +
		"    <alice@example.com>\r\n    <carol@example.com>\r\n"
	if string(j.text) != want {
		t.Errorf("text part:\n%q\nwant\n%q", j.text, want)
	}

	// The null sender and an address with UTF-8 (SMTPUTF8).
	orig := testOrig("s")
	orig.From = ""
	orig.Rcpts = []queue.Recipient{{RID: 0, Addr: "jörg@example.de"}}
	orig.RemoteIP = ""
	_, raw = journal(orig, []byte("x\r\n"), "i@example.net", JournalParams{MID: 3})
	j = parseJournal(t, raw)
	if j.textType != "text/plain; charset=utf-8" || !bytes.Contains(j.text, []byte("Envelope sender: <>\r\n")) ||
		!bytes.Contains(j.text, []byte("    <jörg@example.de>\r\n")) {
		t.Errorf("text part %q (%s)", j.text, j.textType)
	}
	if _, ok := j.header["X-Ironport-Remoteip"]; ok {
		t.Error("X-IronPort-RemoteIP without a remote IP")
	}
}

func TestJournalSubject(t *testing.T) {
	dec := new(mime.WordDecoder)
	long := strings.Repeat("word ", 400) + strings.Repeat("z", 2000)
	cases := []struct{ orig, want string }{
		{"Hello", "Journal: Hello"},
		{"", "Journal:"},
		{"café crème", "Journal: café crème"},
		{"=?utf-8?q?caf=C3=A9?=", "Journal: café"},
		{"bad \xff byte", "Journal: bad \uFFFD byte"},
		{"one\r\nBcc: victim@example.com", "Journal: oneBcc: victim@example.com"},
		{"  spaced \t out  ", "Journal: spaced out"},
	}
	for _, c := range cases {
		orig := testOrig(c.orig)
		m, raw := journal(orig, []byte("x"), "i@example.net", JournalParams{MID: 1})
		j := parseJournal(t, raw)
		got, err := dec.DecodeHeader(j.header.Get("Subject"))
		if err != nil || got != c.want {
			t.Errorf("subject %q: header %q decodes to %q (%v), want %q", c.orig, j.header.Get("Subject"), got, err, c.want)
		}
		if m.Subject != j.header.Get("Subject") {
			t.Errorf("Subject field %q, header %q", m.Subject, j.header.Get("Subject"))
		}
		if len(j.header["Bcc"]) != 0 {
			t.Errorf("subject %q injected a header", c.orig)
		}
	}
	// A very long subject is folded and cut, never a line over 998.
	_, raw := journal(testOrig(long), []byte("x"), "i@example.net", JournalParams{MID: 1})
	j := parseJournal(t, raw)
	if s := j.header.Get("Subject"); !strings.HasPrefix(s, "Journal: word word") || len(s) > 1000 {
		t.Errorf("long subject became %d bytes: %.80q", len(s), s)
	}
}

func TestChooseBoundaryAvoidsClashes(t *testing.T) {
	first := boundaryPrefix + strings.Repeat("0", 24)
	second := first + ".0000000000000001"
	third := first + ".0000000000000002"
	body := []byte("a " + first + " b " + second)
	if got := chooseBoundary(zeroReader{}, body, ""); got != third {
		t.Errorf("boundary %q, want %q", got, third)
	}
	if got := chooseBoundary(zeroReader{}, nil, "text "+first); got != second {
		t.Errorf("boundary %q, want %q (clash with the text part)", got, second)
	}
	// A reader that fails gives zero bytes and still ends.
	if got := chooseBoundary(strings.NewReader(""), body, ""); got != third {
		t.Errorf("failing reader: boundary %q, want %q", got, third)
	}
	if n := len(third); n > 70 {
		t.Errorf("boundary of %d characters exceeds RFC 2046's 70", n)
	}
}

func FuzzJournal(f *testing.F) {
	zeroBoundary := boundaryPrefix + strings.Repeat("0", 24)
	f.Add([]byte("Subject: x\r\n\r\nbody\r\n"), "x", false)
	f.Add([]byte("a\nb\n--\n"), "s\xff", true)
	f.Add([]byte("--"+zeroBoundary+"\r\n--"+zeroBoundary+"--\r\n"), "", true)
	f.Add([]byte("\r\n--\r\n\r\n"), "\r\n", false)
	f.Add([]byte{0, 0x80, '\r', '\r', '\n'}, "=?x?q?y?=", false)
	f.Fuzz(func(t *testing.T, body []byte, subject string, zero bool) {
		p := JournalParams{MID: 9, Hostname: "seg.example.com"}
		if zero {
			p.Rand = zeroReader{}
		}
		orig := testOrig(subject)
		_, raw := journal(orig, body, "intake@example.net", p)
		j := parseJournal(t, raw)
		if !bytes.Equal(j.orig, body) {
			t.Fatalf("rfc822 part differs:\ngot  %q\nwant %q", j.orig, body)
		}
		if !bytes.HasPrefix(j.text, []byte("Original MID: 42\r\n")) {
			t.Fatalf("text part %q", j.text)
		}
		if len(j.header) != 10 {
			t.Fatalf("journal has %d header fields, want 10: %v", len(j.header), j.header)
		}
	})
}

// journal is Journal with the body whole, as the intake receives it.
func journal(orig *queue.Message, body []byte, intake string, p JournalParams) (*queue.Message, []byte) {
	m, prefix, suffix := Journal(orig, body, intake, p)
	return m, slices.Concat(prefix, body, suffix)
}
