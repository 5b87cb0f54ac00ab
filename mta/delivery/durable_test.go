package delivery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/mta/queue"
)

// TestWithDurableQueue runs delivery on the real mta/queue: a DSN carries
// the original header although the original's last recipient became final
// in the same update, and an attempt abandoned at shutdown is retried from
// the reopened queue.
func TestWithDurableQueue(t *testing.T) {
	dir := t.TempDir()
	srv := newSMTPServer(t, nil)
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(to string) error {
			if strings.HasPrefix(to, "bad@") {
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "No such user")
			}
			return nil
		}
	})
	h := newHarness(t, edits(viaRoute("example.test", srv), viaRoute("src.test", srv)))
	q, err := queue.Open(dir, queue.Options{Now: h.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	h.real = q
	h.start(q.Recovered()...)
	enqueue := func(rcpts ...string) int64 {
		m := &queue.Message{MID: q.NextMID(), ICID: 1, From: "alice@src.test", Subject: "report", Relayed: true}
		for i, r := range rcpts {
			m.Rcpts = append(m.Rcpts, queue.Recipient{RID: i, Addr: r})
		}
		if err := q.Enqueue(m, []byte("Subject: report\r\nMessage-ID: <r@src.test>\r\n\r\nbody\r\n")); err != nil {
			t.Fatal(err)
		}
		return m.MID
	}
	mid := enqueue("good@example.test", "bad@example.test")
	h.waitFinished(mid)
	h.wait("the DSN delivered", func() bool {
		for _, r := range srv.received() {
			if r.from == "" {
				return true
			}
		}
		return false
	})
	for _, r := range srv.received() {
		if r.from == "" && (!strings.Contains(r.data, "text/rfc822-headers") || !strings.Contains(r.data, "Subject: report")) {
			t.Errorf("DSN without the original header:\n%s", r.data)
		}
	}
	h.waitIdle("idle", func() bool { return true })
	if _, ok := q.Get(mid); ok {
		t.Error("finished message still in the queue")
	}

	// Abandon an attempt in DATA, then restart on the reopened queue.
	gate := make(chan struct{})
	defer close(gate)
	srv.set(func(s *smtpServer) { s.gate = gate })
	mid = enqueue("late@example.test")
	h.wait("DATA", func() bool { _, _, _, in := srv.stats(); return in == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.x.Close(ctx)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q2, err := queue.Open(dir, queue.Options{Now: h.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q2.Close() }) // after h2's delivery has closed (cleanups run last first)
	var rec *queue.Message
	for _, m := range q2.Recovered() {
		if m.MID == mid {
			rec = m
		}
	}
	if rec == nil || rec.Rcpts[0].State != queue.Attempted || rec.Rcpts[0].Attempts != 1 {
		t.Fatalf("recovered = %+v, want the recipient Attempted once", rec)
	}
	srv.set(func(s *smtpServer) { s.gate = nil })
	h2 := newHarness(t, viaRoute("example.test", srv))
	h2.clk, h2.real = h.clk, q2
	h2.start(q2.Recovered()...)
	h2.tick(time.Minute)
	h2.waitFinished(mid)
	if _, ok := q2.Get(mid); ok {
		t.Error("delivered message still in the queue")
	}
}
