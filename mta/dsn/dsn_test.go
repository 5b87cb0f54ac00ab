package dsn

import (
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func TestBuildParsesAsRFC3464(t *testing.T) {
	date := time.Date(2026, 3, 5, 14, 21, 4, 0, time.UTC)
	orig := "From: alice@src.test\r\nTo: bob@example.test\r\nSubject: hello\r\n\r\nsecret body\r\n"
	raw, err := Build(Report{
		ReportingMTA: "seg.test", To: "alice@src.test", Subject: "Échec de remise", Date: date,
		OrigMID: 42, Arrival: date.Add(-time.Hour), Original: []byte(orig),
		Recipients: []Recipient{
			{Final: "bob@example.test", Status: "5.1.1", RemoteMTA: "mx.example.test", Diagnostic: "smtp; 550 5.1.1 No such user", LastAttempt: date},
			{Final: "carol@example.test", Status: "5.4.7", Diagnostic: "X-seg; " + strings.Repeat("x", 2000)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\r\n") {
		if len(l) > 998 {
			t.Fatalf("line of %d octets", len(l))
		}
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("From"); got != "<MAILER-DAEMON@seg.test>" {
		t.Errorf("From = %q", got)
	}
	if got := msg.Header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil || subj != "Échec de remise" {
		t.Errorf("Subject = %q, %v", subj, err)
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(date) {
		t.Errorf("Date = %v, %v", d, err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	parts := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		parts[ct] = string(b)
	}
	if strings.Join(types, ",") != "text/plain,message/delivery-status,text/rfc822-headers" {
		t.Fatalf("parts = %v", types)
	}
	if !strings.Contains(parts["text/plain"], "<bob@example.test>: 550 5.1.1 No such user") {
		t.Errorf("human part:\n%s", parts["text/plain"])
	}
	// The delivery-status body is header-like blocks (RFC 3464 2.1):
	// per-message fields, then one block per recipient.
	blocks := strings.Split(strings.TrimRight(parts["message/delivery-status"], "\r\n"), "\r\n\r\n")
	if len(blocks) != 3 {
		t.Fatalf("%d blocks in the delivery-status:\n%s", len(blocks), parts["message/delivery-status"])
	}
	fields := func(b string) mail.Header {
		m, err := mail.ReadMessage(strings.NewReader(b + "\r\n\r\n"))
		if err != nil {
			t.Fatalf("block %q: %v", b, err)
		}
		return m.Header
	}
	pm := fields(blocks[0])
	if pm.Get("Reporting-MTA") != "dns; seg.test" || pm.Get("Arrival-Date") != "Thu, 05 Mar 2026 13:21:04 +0000" {
		t.Errorf("per-message fields = %v", pm)
	}
	r1, r2 := fields(blocks[1]), fields(blocks[2])
	for k, want := range map[string]string{
		"Final-Recipient": "rfc822; bob@example.test", "Action": "failed", "Status": "5.1.1",
		"Remote-MTA": "dns; mx.example.test", "Diagnostic-Code": "smtp; 550 5.1.1 No such user",
		"Last-Attempt-Date": "Thu, 05 Mar 2026 14:21:04 +0000",
	} {
		if got := r1.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if r2.Get("Status") != "5.4.7" || r2.Get("Remote-MTA") != "" || len(r2.Get("Diagnostic-Code")) != maxLine {
		t.Errorf("second recipient = %v", r2)
	}
	if h := parts["text/rfc822-headers"]; !strings.Contains(h, "Subject: hello") || strings.Contains(h, "secret body") {
		t.Errorf("headers part = %q", h)
	}
}

func TestBuildErrorsAndEdges(t *testing.T) {
	rc := []Recipient{{Final: "b@x", Status: "5.0.0"}}
	if _, err := Build(Report{ReportingMTA: "h", Recipients: rc}); err == nil {
		t.Error("no To accepted")
	}
	if _, err := Build(Report{ReportingMTA: "h", To: "a@x"}); err == nil {
		t.Error("no recipients accepted")
	}
	// Without the original, the headers part is left out.
	raw, err := Build(Report{ReportingMTA: "h", To: "a@x", Recipients: rc, Date: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "text/rfc822-headers") {
		t.Error("headers part without an original")
	}
	if !strings.Contains(string(raw), "Subject: Delivery Status Notification (Failure)") {
		t.Error("default subject missing")
	}
	// LF-only originals get CRLF headers.
	if got := headerOf([]byte("A: 1\nB: 2\n\nbody")); got != "A: 1\r\nB: 2\r\n" {
		t.Errorf("headerOf = %q", got)
	}
	if got := headerOf([]byte("no header here")); got != "" {
		t.Errorf("headerOf(body only) = %q", got)
	}
}
