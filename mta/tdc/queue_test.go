package tdc

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"seg/mta/delivery"
	"seg/mta/queue"
	"seg/store"
)

func TestSpecialFor(t *testing.T) {
	if _, ok := SpecialFor("The.TDC.Queue").(Queue); !ok {
		t.Error("the.tdc.queue has no rules")
	}
	for _, d := range []string{"example.com", "tdc.queue", "the.tdc.queue.example.com", ""} {
		if sp := SpecialFor(d); sp != nil {
			t.Errorf("SpecialFor(%q) = %#v, want nil", d, sp)
		}
	}
	q := Queue{}
	if q.MinConns() != MinConnections || q.Linger() != IdleLinger || q.Hold() != HoldWhileBusy {
		t.Errorf("MinConns %d, Linger %v, Hold %v", q.MinConns(), q.Linger(), q.Hold())
	}
}

// TestQueueLines: the lines of the.tdc.queue carry the copy's own MID,
// never the journaled message's (its OrigMID), and a failure's line
// follows SPEC 6's table of outcomes.
func TestQueueLines(t *testing.T) {
	copyOf := &queue.Message{MID: 12, OrigMID: 7, Kind: queue.KindTDC}
	var q delivery.Special = Queue{}
	smtp := func(code int, status, text string) *delivery.Failure {
		return &delivery.Failure{Kind: delivery.FailSMTP, Code: code, Status: status, Text: text, Permanent: code >= 500}
	}
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"new connection", []string{q.NewConn(3, "127.0.0.1", "127.0.0.9", 2525)},
			[]string{"TDC: New SMTP DCID 3 interface 127.0.0.1 address 127.0.0.9 port 2525"}},
		{"connection error", []string{q.ConnError(4, "127.0.0.9", 25, "dial tcp 127.0.0.9:25: connect: connection refused", "0.0.0.0", "connection refused")},
			[]string{"TDC: Connection Error: DCID 4 domain: the.tdc.queue IP: 127.0.0.9 port: 25 details: dial tcp 127.0.0.9:25: connect: connection refused interface: 0.0.0.0 reason: connection refused"}},
		{"delivery start", []string{q.DeliveryStart(3, copyOf)}, []string{"TDC: Delivery start DCID 3 MID 12"}},
		{"delivered", q.Delivered(copyOf),
			[]string{"TDC: MID 12 successfully delivered for scanning with Cisco Secure Email Threat Defense."}},
		{"5xx with enhanced codes put back", q.Failed(copyOf, smtp(550, "5.1.1", "5.1.1 No such user\n5.1.1 here")),
			[]string{"TDC: Hard bounced - 5.1.1 - No such user here",
				"TDC: MID 12 delivery failed to Cisco Secure Email Threat Defense: Hard Bounced."}},
		{"503 after its retry", q.Failed(copyOf, smtp(503, "5.5.1", "Bad sequence")),
			[]string{"TDC: Hard bounced - 5.5.1 - Bad sequence",
				"TDC: MID 12 delivery failed to Cisco Secure Email Threat Defense: Hard Bounced."}},
		{"TLS", q.Failed(copyOf, &delivery.Failure{Kind: delivery.FailTLS, Status: "4.7.0", Text: "TLS negotiation failed"}),
			[]string{"TDC: MID 12 delivery failed to Cisco Secure Email Threat Defense:TLS Error."}},
		{"4xx after its retry", q.Failed(copyOf, smtp(451, "4.3.0", "Try later")),
			[]string{"TDC: MID 12 delivery failed to Cisco Secure Email Threat Defense: Expired."}},
		{"connection after its retry", q.Failed(copyOf, &delivery.Failure{Kind: delivery.FailConn, Status: "4.4.1", Text: "connection refused"}),
			[]string{"TDC: MID 12 delivery failed to Cisco Secure Email Threat Defense: Expired."}},
		{"120 s", q.Failed(copyOf, &delivery.Failure{Kind: delivery.FailExpired, Status: "5.4.7", Text: "timeout", Permanent: true}),
			[]string{"TDC: MID 12 delivery failed to Cisco Secure Email Threat Defense: Expired."}},
		{"bouncerecipients", q.Failed(copyOf, &delivery.Failure{Kind: delivery.FailAdmin, Status: "5.0.0", Permanent: true}),
			[]string{"TDC: MID 12 delivery failed to Cisco Secure Email Threat Defense: Bounced by administrator."}},
	}
	for _, c := range cases {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, c.got, c.want)
		}
	}
	next := time.Date(2026, 3, 5, 14, 21, 34, 0, time.Local)
	got := q.Delayed(copyOf, smtp(451, "4.3.0", "4.3.0 Try later"), next)
	want := []string{"TDC: MID 12 delivery delayed to Cisco Secure Email Threat Defense: 4.3.0 - Try later. Retry at Thu Mar  5 14:21:34 2026."}
	if !slices.Equal(got, want) {
		t.Errorf("Delayed:\n got %q\nwant %q", got, want)
	}
}

// TestTracker: message tracking's line is about the journaled message,
// read from its enqueued line and from its copy's outcome, which carries
// the copy's MID (the generated line, read first, names the original);
// an outcome whose generated line was not read keeps its own MID.
func TestTracker(t *testing.T) {
	cases := []struct {
		line  string
		mid   int64
		track string
	}{
		{"Thu Mar  5 14:21:04 2026 Info: " + LogEnqueued(7, "<a@b>", "i@intake.example"), 7, TrackQueued(7)},
		{"Thu Mar  5 14:21:04 2026 Info: " + LogGenerated(17, 7), 0, ""},
		{"Info: " + LogGenerated(18, 8), 0, ""},
		{LogGenerated(19, 9), 0, ""},
		{"Info: " + LogDelivered(17), 7, TrackDelivered(7)},
		{LogDelivered(123456), 123456, TrackDelivered(123456)},
		{"Thu Mar  5 14:21:04 2026 Info: " + LogHardBounced(18), 8, TrackFailed(8, "Hard Bounced")},
		{"Info: " + LogTLSFailed(19), 9, TrackFailed(9, "TLS Error")},
		{"Info: " + LogFailed(10, ReasonExpired), 10, TrackFailed(10, "Expired")},
	}
	var tr Tracker
	for _, c := range cases {
		mid, track, ok := tr.Line(c.line)
		if ok != (c.mid != 0) || mid != c.mid || track != c.track {
			t.Errorf("Line(%q) = %d, %q, %v; want %d, %q", c.line, mid, track, ok, c.mid, c.track)
		}
	}
	for _, l := range []string{
		"Info: " + LogDeliveryStart(3, 7),
		"Info: " + LogDelayed(7, "4.3.0", "later", time.Now()),
		"Info: " + LogNewConn(3, "127.0.0.1", "127.0.0.2", 25),
		"Info: MID 7 Subject 'TDC: MID 8 successfully delivered for scanning'",
		"Info: Message finished MID 7 done",
		"Info: MID 20 was generated based on MID 4 by bcc filter 'x'",
	} {
		if mid, track, ok := tr.Line(l); ok {
			t.Errorf("Line(%q) = %d, %q: not an outcome line", l, mid, track)
		}
	}
	if _, _, ok := ParseGenerated("Info: MID 20 was generated based on MID 4 by bcc filter 'x'"); ok {
		t.Error("ParseGenerated read another generator's line")
	}
	if c, o, ok := ParseGenerated("Info: " + LogGenerated(20, 4)); !ok || c != 20 || o != 4 {
		t.Errorf("ParseGenerated = %d, %d, %v", c, o, ok)
	}
}

// recQueue is an Enqueuer that records, and can fail or hold Enqueue.
func TestCopier(t *testing.T) {
	now := time.Date(2026, 3, 5, 14, 21, 4, 0, time.UTC)
	cfg := store.Default("seg.example.com", "")
	orig := testOrig("Quarterly report")
	body := []byte("Subject: Quarterly report\r\n\r\nnumbers\r\n")
	next := int64(100)
	c := Copier{NewMID: func() int64 { next++; return next }, Now: func() time.Time { return now }}
	cfg.TDC = store.TDC{Enabled: true, IntakeAddress: "intake@etd.example"}
	d, made, queued, ok := c.Copy(cfg, orig, &store.MailPolicy{Name: "DEFAULT", TDC: store.TDCDefault}, body)
	m := d.Msg
	if !ok {
		t.Fatal("not journaled")
	}
	// The copy's life up to its queueing, as AsyncOS logs a message it
	// generates (reference/mail_logs.sample S:141-147), then the
	// original's enqueued line (SPEC 6).
	wantMade := []string{
		"Start MID 101 ICID 0",
		"MID 101 was generated based on MID 42 by tdc filter 'Threat Defense Connector'",
		"MID 101 ICID 0 From: <MAILER-DAEMON@seg.example.com>",
		"MID 101 ICID 0 RID 0 To: <intake@etd.example>",
		fmt.Sprintf("MID 101 ready %d bytes from <MAILER-DAEMON@seg.example.com>", m.Size),
	}
	wantQueued := []string{
		"MID 101 queued for delivery",
		LogEnqueued(42, orig.MessageID, "intake@etd.example"),
	}
	if !slices.Equal(made, wantMade) || !slices.Equal(queued, wantQueued) {
		t.Errorf("Copy's lines:\n%q\n%q\nwant\n%q\n%q", made, queued, wantMade, wantQueued)
	}
	if m.MID != 101 || m.Kind != queue.KindTDC || m.Host != Host || m.OrigMID != 42 || !m.Received.Equal(now) ||
		m.From != "MAILER-DAEMON@seg.example.com" || len(m.Rcpts) != 1 || m.Rcpts[0].Addr != "intake@etd.example" {
		t.Errorf("copy %+v", m)
	}
	// The queue stores prefix, the original's body, suffix: the size is
	// theirs together.
	whole := slices.Concat(d.Prefix, body, d.Suffix)
	if m.Size != int64(len(whole)) {
		t.Errorf("Size %d, body %d bytes", m.Size, len(whole))
	}
}

func TestRetryDeadline(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := &queue.Message{Received: t0, Kind: queue.KindTDC}
	if got := (Retry{}).Deadline(m); !got.Equal(t0.Add(Lifetime)) {
		t.Errorf("Deadline = %v", got)
	}
	if got := (Retry{Lifetime: time.Second}).Deadline(m); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("Deadline with a 1 s lifetime = %v", got)
	}
}
