package delivery

import (
	"sync/atomic"
	"testing"
	"time"

	"seg/mta/queue"
)

// bgQueue is a background Special queue ("the.bg.queue") for the hold
// tests: one connection at least, items held up to an hour.
type bgQueue struct{}

func (bgQueue) MinConns() int                                               { return 1 }
func (bgQueue) Linger() time.Duration                                       { return time.Second }
func (bgQueue) Hold() time.Duration                                         { return time.Hour }
func (bgQueue) NewConn(int64, string, string, int) string                   { return "bg new conn" }
func (bgQueue) ConnError(int64, string, int, string, string, string) string { return "bg conn error" }
func (bgQueue) DeliveryStart(int64, *queue.Message) string                  { return "bg start" }
func (bgQueue) Delivered(m *queue.Message) []string                         { return []string{"bg delivered"} }
func (bgQueue) Delayed(*queue.Message, *Failure, time.Time) []string        { return []string{"bg delayed"} }
func (bgQueue) Failed(*queue.Message, *Failure) []string                    { return []string{"bg failed"} }

const bgHost = "the.bg.queue"

// holdSetup: mail for example.test goes to a server whose DATA waits
// for its gate (an ordinary delivery under way for as long as the test
// wants), the.bg.queue's items for intake.test to another server.
func holdSetup(t *testing.T) (h *harness, busy *atomic.Bool, ordinary, intake *smtpServer, gate chan struct{}) {
	ordinary, intake = newSMTPServer(t, nil), newSMTPServer(t, nil)
	gate = make(chan struct{})
	ordinary.set(func(s *smtpServer) { s.gate = gate })
	t.Cleanup(func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	})
	h = newHarness(t, edits(viaRoute("example.test", ordinary), viaRoute("intake.test", intake)))
	busy = &atomic.Bool{}
	h.busy = busy.Load
	h.sp = func(dest string) Special {
		if dest == bgHost {
			return bgQueue{}
		}
		return nil
	}
	h.start()
	return
}

func (h *harness) sendBackground(to string) int64 {
	h.t.Helper()
	m := &queue.Message{MID: h.q.NextMID(), ICID: 1, From: "", Host: bgHost, Received: h.clk.Now(), Rcpts: []queue.Recipient{{RID: 0, Addr: to}}}
	if err := h.q.Enqueue(m, []byte("Subject: copy\r\n\r\ncopy\r\n")); err != nil {
		h.t.Fatal(err)
	}
	return m.MID
}

// heldFor asserts that mid is still undelivered after a few of the
// scheduler's hold polls.
func heldFor(t *testing.T, h *harness, mid int64) {
	t.Helper()
	// A negative: there is no event to poll for, so give the scheduler
	// a few of its hold polls to get it wrong.
	time.Sleep(5 * holdPoll)
	if st := h.q.state(mid, 0); st == queue.Delivered {
		t.Fatalf("MID %d delivered while the machine was busy with ordinary mail", mid)
	}
}

func TestBackgroundQueueWaitsForSpareCPU(t *testing.T) {
	h, busy, ordinary, intake, gate := holdSetup(t)
	busy.Store(true)
	orig := h.send("alice@src.test", "a@example.test")
	h.wait("the ordinary delivery under way", func() bool { _, _, _, in := ordinary.stats(); return in > 0 })
	first := h.sendBackground("journal@intake.test")
	h.waitFinished(first) // the queue's first connection is made, and carries one item
	second := h.sendBackground("journal@intake.test")
	heldFor(t, h, second)
	// The CPU frees up: the held item goes at once.
	busy.Store(false)
	h.waitFinished(second)
	close(gate)
	h.waitFinished(orig)
	if n := len(intake.received()); n != 2 {
		t.Errorf("intake received %d, want 2", n)
	}
}

func TestBackgroundHoldEndsWithOrdinaryMail(t *testing.T) {
	h, busy, ordinary, _, gate := holdSetup(t)
	busy.Store(true)
	orig := h.send("alice@src.test", "a@example.test")
	h.wait("the ordinary delivery under way", func() bool { _, _, _, in := ordinary.stats(); return in > 0 })
	first := h.sendBackground("journal@intake.test")
	h.waitFinished(first)
	second := h.sendBackground("journal@intake.test")
	heldFor(t, h, second)
	// Busy, but the ordinary mail is through: background work is all
	// that is left, and it must not wait on its own load.
	close(gate)
	h.waitFinished(orig)
	h.waitFinished(second)
}

func TestBackgroundHoldIsBounded(t *testing.T) {
	h, busy, ordinary, _, gate := holdSetup(t)
	busy.Store(true)
	h.send("alice@src.test", "a@example.test")
	h.wait("the ordinary delivery under way", func() bool { _, _, _, in := ordinary.stats(); return in > 0 })
	first := h.sendBackground("journal@intake.test")
	h.waitFinished(first)
	second := h.sendBackground("journal@intake.test")
	heldFor(t, h, second)
	// Still busy, ordinary mail still under way: the item goes once it
	// has waited its Hold.
	h.clk.Advance(time.Hour)
	h.waitFinished(second)
	close(gate)
}
