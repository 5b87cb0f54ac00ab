package dsn

import (
	"strings"
	"testing"
	"time"
)

// TestHeaderOf: the header block ends at the empty line, or at the first
// line that is neither a field nor a continuation: a message without the
// empty line does not make its body header.
func TestHeaderOf(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"A: 1\r\nB: 2\r\n\r\nbody\r\n", "A: 1\r\nB: 2\r\n"},
		{"A: 1\nB: 2\n folded\n\nbody\n", "A: 1\r\nB: 2\r\n folded\r\n"},
		{"Subject: x\r\nthis is body text\r\nX: y\r\n", "Subject: x\r\n"},
		{"Subject: x\r\nBody: looks like a field\r\n", "Subject: x\r\nBody: looks like a field\r\n"},
		{"no header at all\r\n", ""},
		{" continuation first\r\nA: 1\r\n", ""},
		{"Bad Name: x\r\n", ""},
		{"", ""},
	} {
		if got := headerOf([]byte(c.in)); got != c.want {
			t.Errorf("headerOf(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestUntrustedReport: a report to a sender seg cannot vouch for quotes
// the original's Message-ID and Date only, never its Subject, other
// fields or body, under seg's Subject.
func TestUntrustedReport(t *testing.T) {
	orig := "Received: from helo-text\r\n\tby seg\r\nFrom: \"SPAM-FROM\" <victim@src.test>\r\nSubject: SPAM-SUBJECT\r\n" +
		"Message-ID:\r\n <m1@src.test>\r\nX-Spam: SPAM-HEADER\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nSPAM-BODY\r\n"
	raw, err := Build(Report{
		ReportingMTA: "seg.test", To: "victim@src.test", Date: time.Unix(1, 0), OrigMID: 5,
		Recipients: []Recipient{{Final: "bad\x00@example.test", Status: "5.1.1", Diagnostic: "smtp; 550 no"}},
		Original:   []byte(orig), Untrusted: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	if strings.Contains(s, "SPAM") || strings.Contains(s, "helo-text") || strings.Contains(s, "\x00") {
		t.Errorf("untrusted report carries the original's content:\n%s", s)
	}
	for _, want := range []string{"Subject: Delivery Status Notification (Failure)\r\n", "Message-ID:\r\n <m1@src.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n", "Final-Recipient: rfc822; bad?@example.test"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
}
