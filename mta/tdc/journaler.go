package tdc

import (
	"sync"
	"time"

	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/store"
)

// Enqueuer is what the Journaler needs of the durable queue (mta/queue).
type Enqueuer interface {
	NextMID() int64
	Enqueue(m *queue.Message, body []byte) error
}

// Journaler makes and queues journal copies off the SMTP session's path:
// the session hands over a message once it is durable and answers 250 at
// once; the copy follows (SPEC 6: it never delays the original). Copies
// being made when the appliance stops are finished by Close; a crash
// between the 250 and a copy's Enqueue loses that copy.
type Journaler struct {
	q   Enqueuer
	log maillog.Logger
	now func() time.Time

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// NewJournaler returns a Journaler queueing copies in q; now (nil:
// time.Now) stamps them, which starts their Lifetime.
func NewJournaler(q Enqueuer, log maillog.Logger, now func() time.Time) *Journaler {
	if now == nil {
		now = time.Now
	}
	return &Journaler{q: q, log: log, now: now}
}

// Submit journals m, a message (or split part) that is durable in the
// queue, with body, the bytes it is stored and delivered with, to the
// message intake address intake. It does not wait for the copy. body must
// not change afterwards.
func (j *Journaler) Submit(cfg *store.Config, m *queue.Message, body []byte, intake string) {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		j.log.Warning("TDC: MID %d was not journaled: the mail system is shutting down", m.MID)
		return
	}
	j.wg.Add(1)
	j.mu.Unlock()
	host := cfg.System.Hostname
	go func() {
		defer j.wg.Done()
		j.journal(m, body, intake, host)
	}()
}

func (j *Journaler) journal(m *queue.Message, body []byte, intake, hostname string) {
	jm, jb := Journal(m, body, intake, JournalParams{NewMID: j.q.NextMID, Hostname: hostname, Now: j.now()})
	// Logged first: once Enqueue has handed the copy to delivery, its
	// delivery lines may come before Enqueue returns.
	j.log.Info("%s", LogEnqueued(m.MID, m.MessageID, intake))
	if err := j.q.Enqueue(jm, jb); err != nil {
		// The original is unaffected; only its copy is lost.
		j.log.Warning("TDC: MID %d could not be enqueued for forwarding to Cisco Secure Email Threat Defense: %v", m.MID, err)
	}
}

// Close waits until the copies submitted so far are queued (or failed);
// later Submits are refused. Call it before closing the queue.
func (j *Journaler) Close() {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.wg.Wait()
}
