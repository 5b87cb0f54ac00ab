package dsn

import (
	"strings"
	"testing"
	"time"
)

// TestDelayedReport: a report whose recipients are all "delayed" (a
// delay warning) says the message is still queued and until when,
// and carries Action: delayed and Will-Retry-Until (RFC 3464 2.3.3,
// 2.3.8); in both formats.
func TestDelayedReport(t *testing.T) {
	date := time.Date(2026, 3, 5, 14, 21, 4, 0, time.UTC)
	until := date.Add(72 * time.Hour)
	r := Report{
		ReportingMTA: "seg.test", To: "alice@src.test", Subject: "Delivery Status Notification (Delay)", Date: date,
		OrigMID: 42, Arrival: date.Add(-time.Hour), Original: []byte("Subject: hi\r\n\r\nbody\r\n"),
		Recipients: []Recipient{{Final: "bob@example.test", Action: "delayed", Status: "4.3.0",
			Diagnostic: "smtp; 451 4.3.0 try later", LastAttempt: date, WillRetryUntil: until}},
	}
	raw, err := Build(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{
		"Action: delayed\r\n", "Status: 4.3.0\r\n",
		"Will-Retry-Until: " + until.Format(time.RFC1123Z) + "\r\n",
		"has not yet been delivered", "tried again until " + until.Format(time.RFC1123Z),
	} {
		if !strings.Contains(s, want) {
			t.Errorf("delay report lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "could not be delivered") {
		t.Errorf("a delay report says the message failed:\n%s", s)
	}
	r.Plain = true
	raw, err = Build(r)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(raw); !strings.Contains(s, "has not yet been delivered") || !strings.Contains(s, "<bob@example.test>: 4.3.0 (451 4.3.0 try later)") {
		t.Errorf("plain delay report:\n%s", s)
	}
	// One failed recipient makes it a failure report.
	r.Plain = false
	r.Recipients = append(r.Recipients, Recipient{Final: "carol@example.test", Status: "5.1.1"})
	raw, _ = Build(r)
	if !strings.Contains(string(raw), "could not be delivered") {
		t.Errorf("a report with a failure does not say so:\n%s", raw)
	}
}
