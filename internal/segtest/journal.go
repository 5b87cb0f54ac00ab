package segtest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"testing"
)

// Journal is a Threat Defense Connector journal copy taken apart with
// the standard library's parsers, as a message intake reads it: a
// multipart/mixed message whose first part is text and whose second is
// the original, as delivered, in a message/rfc822 part.
type Journal struct {
	Header mail.Header
	Text   string // the first part
	Orig   []byte // the message/rfc822 part
}

// ParseJournal takes a journal copy apart; a copy of any other shape
// fails the test.
func ParseJournal(t testing.TB, raw []byte) Journal {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("journal does not parse: %v\n%s", err, raw)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("journal Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	j := Journal{Header: msg.Header}
	p, err := mr.NextRawPart()
	if err != nil {
		t.Fatalf("journal text part: %v", err)
	}
	text, err := io.ReadAll(p)
	if err != nil {
		t.Fatalf("journal text part: %v", err)
	}
	j.Text = string(text)
	if p, err = mr.NextRawPart(); err != nil {
		t.Fatalf("journal message/rfc822 part: %v", err)
	}
	if ct := p.Header.Get("Content-Type"); ct != "message/rfc822" {
		t.Fatalf("journal second part is %q, want message/rfc822", ct)
	}
	if j.Orig, err = io.ReadAll(p); err != nil {
		t.Fatalf("journal message/rfc822 part: %v", err)
	}
	return j
}
