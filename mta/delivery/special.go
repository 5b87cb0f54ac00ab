package delivery

import (
	"context"
	"time"

	"seg/mta/queue"
)

// Special is one of the appliance's own destination queues with rules of
// its own: the.tdc.queue (SPEC 6), which mta/tdc describes. Delivery
// routes and attempts its items like any others; Special changes how many
// connections stay open and which mail_logs lines are written. Every line
// is the text after "Info: ".
type Special interface {
	// MinConns is how many connections the queue keeps open while it has
	// entries: its concurrency limit is never below it, and up to
	// MinConns connections stay open when nothing is due, until the
	// queue empties.
	MinConns() int
	// Linger is how long idle connections stay open once the queue is
	// empty, for copies that follow closely; 0 closes them at once.
	Linger() time.Duration
	// Hold is how long after it was queued an item may be held back
	// while the machine is busy delivering ordinary mail (Deps.Busy): the
	// queue is background work that uses spare CPU. 0 never holds.
	Hold() time.Duration
	// NewConn replaces "New SMTP DCID ...".
	NewConn(dcid int64, ifaceIP, ip string, port int) string
	// ConnError replaces "Connection Error: DCID ...".
	ConnError(dcid int64, ip string, port int, detail, ifaceIP, reason string) string
	// DeliveryStart replaces "Delivery start DCID ...".
	DeliveryStart(dcid int64, m *queue.Message) string
	// Delivered replaces "Message done ..." and the Response line.
	Delivered(m *queue.Message) []string
	// Delayed replaces "Delayed: ..." and "pending till ..." when the
	// failure f is retried at next.
	Delayed(m *queue.Message, f *Failure, next time.Time) []string
	// Failed replaces "Bounced: ...": f ended delivery, being final
	// itself or the last failure before the retries ran out.
	Failed(m *queue.Message, f *Failure) []string
}

// Deadliner is a RetryPolicy whose messages must leave the queue by a
// time (a journal copy's 120 s): an attempt still under way then is cut
// short, and fails as a connection error.
type Deadliner interface {
	Deadline(m *queue.Message) time.Time
}

// special returns the rules of a destination queue, nil for an ordinary
// one.
func (x *Delivery) special(dest string) Special {
	if x.d.Special == nil {
		return nil
	}
	return x.d.Special(dest)
}

// Wake makes the scheduler look again at what is due now, as it does on
// its timer; for a clock that jumps (a test's fake clock).
func (x *Delivery) Wake() { x.poke() }

// jobContext bounds an attempt by its policy's deadline, if it has one.
func jobContext(ctx context.Context, j *job, now time.Time) (context.Context, context.CancelFunc) {
	dl, ok := j.pol.(Deadliner)
	if !ok {
		return ctx, func() {}
	}
	// The deadline is on the Now clock; the context runs on real time,
	// so it gets what is left, not the instant.
	return context.WithTimeout(ctx, dl.Deadline(j.m).Sub(now))
}
