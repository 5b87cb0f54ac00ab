package delivery

import (
	"time"

	"seg/mta/queue"
	"seg/store"
)

// RetryPolicy decides what a failed delivery attempt means for a
// recipient. The bounce-profile policy (ProfilePolicy) serves ordinary
// mail; Threat Defense Connector copies have their own retry table
// (SPEC 6) and plug in through Deps.Retry.
type RetryPolicy interface {
	// Permanent reports whether a failure ends delivery at once (a hard
	// bounce) instead of being retried.
	Permanent(f *Failure) bool
	// NextRetry says when to try again after a recipient's attempts-th
	// attempt failed temporarily; ok is false when no retry is left (the
	// recipient expires).
	NextRetry(m *queue.Message, attempts int, now time.Time) (next time.Time, ok bool)
	// Expired reports whether a recipient that is due now must leave the
	// queue without another attempt.
	Expired(m *queue.Message, attempts int, now time.Time) bool
	// Bounces says whether and how hard bounces and expiry send a DSN.
	Bounces() BounceSpec
	// Name identifies the policy (a bounce profile's name). The
	// pending till line no longer shows it (settle.go).
	Name() string
}

// BounceSpec says whether and how a DSN is sent.
type BounceSpec struct {
	Send    bool
	To      string // "" means the envelope sender
	Subject string
	// Plain sends the bounce as one text/plain message instead of an RFC
	// 3464 multipart/report (use_dsn_bounce_format off).
	Plain bool
	// Warnings is how many delay warnings a queued recipient may cause
	// (0: none, send_warnings off); WarnInterval is the least time after
	// the message's arrival and after the recipient's previous warning
	// (warn.go). Lifetime, the queue lifetime, dates a warning's
	// Will-Retry-Until (0: none).
	Warnings     int
	WarnInterval time.Duration
	Lifetime     time.Duration
}

// Backoff is the wait after the attempts-th failed attempt: initial,
// doubling with each attempt, never more than max (SPEC 5).
func Backoff(initial, max time.Duration, attempts int) time.Duration {
	if initial <= 0 {
		return max
	}
	d := initial
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	if max > 0 && d > max {
		d = max
	}
	return d
}

// ProfilePolicy applies a bounce profile (bounceconfig).
type ProfilePolicy struct {
	Profile     string
	MaxRetries  int
	MaxLifetime time.Duration
	Initial     time.Duration
	MaxWait     time.Duration
	Bounce      BounceSpec
}

// NewProfilePolicy applies the bounce profile named by the destination's
// destconfig entry (Default when it names none that exists). The
// scheduler makes one for each attempt from the running configuration, so
// a committed change of the profile, or of the destination's choice of
// profile, applies to mail already queued (SPEC 11; retime.go brings
// waiting retries forward to it).
func NewProfilePolicy(cfg *store.Config, dest string) *ProfilePolicy {
	b := cfg.BounceSettings(cfg.DestControls(dest).BounceProfile)
	warnings := 0
	if b.SendWarnings {
		warnings = b.WarningsCount
	}
	return &ProfilePolicy{
		Profile:     b.Profile,
		MaxRetries:  b.MaxRetries,
		MaxLifetime: b.MaxQueueLifetime,
		Initial:     b.InitialRetry,
		MaxWait:     b.MaxRetryTimeout,
		Bounce: BounceSpec{
			Send:    b.SendBounces,
			To:      b.BounceAddress,
			Subject: b.BounceSubject,
			Plain:   !b.UseDSNFormat,

			Warnings:     warnings,
			WarnInterval: b.WarningsInterval,
			Lifetime:     b.MaxQueueLifetime,
		},
	}
}

// Permanent: 5xx replies and permanent DNS answers (SPEC 5: 4xx,
// timeouts and connection errors are soft).
func (p *ProfilePolicy) Permanent(f *Failure) bool { return f.Permanent }

// NextRetry backs off from the profile's initial retry; a recipient gets
// MaxRetries retries after its first attempt, and never outlives the
// queue lifetime: the last retry is moved to the moment it expires.
func (p *ProfilePolicy) NextRetry(m *queue.Message, attempts int, now time.Time) (time.Time, bool) {
	if attempts > p.MaxRetries {
		return time.Time{}, false
	}
	next := now.Add(Backoff(p.Initial, p.MaxWait, attempts))
	if p.MaxLifetime > 0 {
		if deadline := m.Received.Add(p.MaxLifetime); next.After(deadline) {
			next = deadline
		}
	}
	return next, true
}

// Expired: in the queue for max_queue_lifetime, or out of retries.
func (p *ProfilePolicy) Expired(m *queue.Message, attempts int, now time.Time) bool {
	if p.MaxLifetime > 0 && !now.Before(m.Received.Add(p.MaxLifetime)) {
		return true
	}
	return attempts > p.MaxRetries
}

// Bounces implements RetryPolicy.
func (p *ProfilePolicy) Bounces() BounceSpec { return p.Bounce }

// Name implements RetryPolicy.
func (p *ProfilePolicy) Name() string { return p.Profile }
