package tdc

import (
	"time"

	"seg/mta/queue"
	"seg/store"
)

// Copier makes journal copies for mta/smtpd (smtpd.Deps.Journal): each is
// a queue.Derived, enqueued in the same write as the message it copies
// (queue.EnqueueWith), so the copy is durable exactly when the original
// is, and the original's body is written once. Building it is a scan of
// the body for a MIME boundary and its transfer encoding; delivering it
// is the.tdc.queue's business, and the original never waits for that.
type Copier struct {
	NewMID func() int64     // the queue's NextMID
	Now    func() time.Time // stamps the copy, which starts its Lifetime; nil: time.Now
}

// Copy returns the journal copy of m, a message (or split part) with
// body, the bytes it is stored and delivered with, for the message intake
// address intake.
func (c Copier) Copy(cfg *store.Config, m *queue.Message, body []byte, intake string) queue.Derived {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	jm, prefix, suffix := Journal(m, body, intake, JournalParams{NewMID: c.NewMID, Hostname: cfg.System.Hostname, Now: now()})
	return queue.Derived{Msg: jm, Prefix: prefix, Suffix: suffix}
}
