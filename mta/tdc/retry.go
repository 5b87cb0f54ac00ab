package tdc

import (
	"time"

	"seg/mta/delivery"
	"seg/mta/queue"
	"seg/store"
)

// Journal copies' delivery queue and its limits (SPEC 6).
const (
	// Host is the destination every journal copy is queued under
	// (queue.Message.Host), shown as such by tophosts and hoststatus.
	Host = "the.tdc.queue"
	// MinConnections is how many connections the.tdc.queue keeps open
	// while it has entries; the destination controls may add more.
	MinConnections = 3
	// IdleLinger is how long the.tdc.queue's idle connections stay open
	// once it has emptied: a steady stream of copies, each delivered
	// before the next is queued, would otherwise open a connection per
	// copy.
	IdleLinger = time.Second
	// Lifetime is how long a copy may stay queued.
	Lifetime = 120 * time.Second
	// HoldWhileBusy is how long after it was queued a copy may wait
	// while the machine's CPU is saturated by ordinary mail: copies use
	// spare CPU, so that journaling does not slow the mail it copies
	// (SPEC 6: the original never waits for its copy). Half of Lifetime
	// leaves the other half for the attempt and its retry, RetryWait
	// later.
	HoldWhileBusy = 60 * time.Second
	// MaxRetries is how many times a soft failure is retried.
	MaxRetries = 1
	// RetryWait is the pause before the retry. SPEC 6 does not say; it
	// leaves room for the retry well inside Lifetime.
	RetryWait = 30 * time.Second
)

// Retry is the retry table of journal copies (SPEC 6), a
// delivery.RetryPolicy:
//
//	SMTP 5xx except 503 and 552   no retry
//	SMTP 4xx, 503, 552            1 retry
//	TLS errors                    no retry
//	network, connection, DNS      1 retry
//
// A copy leaves the queue when its retries are used up or it has been
// queued Lifetime, and never causes a DSN. Time comes from delivery (the
// now arguments) and the copy's Received, so tests need no clock.
// The zero value uses the constants above.
type Retry struct {
	Lifetime time.Duration // 0: Lifetime
	Wait     time.Duration // 0: RetryWait
}

var (
	_ delivery.RetryPolicy = Retry{}
	_ delivery.Deadliner   = Retry{}
)

// Permanent reports whether f ends the copy at once. The table is the
// copy's own and overrides f.Permanent: a DNS answer that would be a hard
// bounce for ordinary mail (no such domain) still gets its one retry.
func (Retry) Permanent(f *delivery.Failure) bool {
	switch f.Kind {
	case delivery.FailSMTP:
		// 503 (bad sequence of commands) may clear on a new connection,
		// and RFC 5321 section 4.5.3.1.10 asks clients to treat 552 as
		// temporary (RFC 821 misused it for "too many recipients").
		// Other 5xx are final.
		return f.Code/100 == 5 && f.Code != 503 && f.Code != 552
	case delivery.FailTLS:
		return true
	case delivery.FailConn, delivery.FailDNS:
		return false
	}
	// Expiry and administrator bounces are final by nature.
	return true
}

// NextRetry allows one retry, RetryWait after the first failure and never
// after the copy's Lifetime; when the wait would run past it, the retry is
// made at once instead of being lost.
func (r Retry) NextRetry(m *queue.Message, attempts int, now time.Time) (time.Time, bool) {
	deadline := m.Received.Add(r.lifetime())
	if attempts > MaxRetries || !now.Before(deadline) {
		return time.Time{}, false
	}
	next := now.Add(r.wait())
	if !next.Before(deadline) {
		next = now
	}
	return next, true
}

// Expired reports whether a copy that is due must leave the queue: its
// retry is used up, or it has been queued Lifetime.
func (r Retry) Expired(m *queue.Message, attempts int, now time.Time) bool {
	return attempts > MaxRetries || !now.Before(m.Received.Add(r.lifetime()))
}

// Deadline is when a copy must have left the queue: an attempt still
// under way then is cut short (delivery.Deadliner), so that a server
// that accepts the connection and never answers cannot hold a copy past
// Lifetime.
func (r Retry) Deadline(m *queue.Message) time.Time { return m.Received.Add(r.lifetime()) }

// Bounces: a failed copy never sends a DSN to anyone (SPEC 6).
func (Retry) Bounces() delivery.BounceSpec { return delivery.BounceSpec{} }

// Name is shown in "pending till ... [TDC]" lines.
func (Retry) Name() string { return "TDC" }

func (r Retry) lifetime() time.Duration {
	if r.Lifetime > 0 {
		return r.Lifetime
	}
	return Lifetime
}

func (r Retry) wait() time.Duration {
	if r.Wait > 0 {
		return r.Wait
	}
	return RetryWait
}

// RetryFor wraps a delivery.Deps.Retry function so that journal copies
// (queue.KindTDC) get Retry and everything else what next gives; a nil
// next means the destination's bounce profile (delivery.NewProfilePolicy).
//
//	deps.Retry = tdc.RetryFor(nil)
func RetryFor(next func(cfg *store.Config, m *queue.Message, dest string) delivery.RetryPolicy) func(cfg *store.Config, m *queue.Message, dest string) delivery.RetryPolicy {
	return func(cfg *store.Config, m *queue.Message, dest string) delivery.RetryPolicy {
		if m != nil && m.Kind == queue.KindTDC {
			return Retry{}
		}
		if next != nil {
			return next(cfg, m, dest)
		}
		return delivery.NewProfilePolicy(cfg, dest)
	}
}
