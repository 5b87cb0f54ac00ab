package delivery

import (
	"time"

	"seg/mta/queue"
	"seg/store"
)

// A commit that changes a bounce profile or a destination applies to
// messages already queued (SPEC 11). Most of a profile is read at each
// attempt (the scheduler makes the RetryPolicy from the running
// configuration): max_retries, max_queue_lifetime, send_bounces,
// bounce_address and the delay warnings need nothing more. What a commit
// would not reach is a retry already scheduled under the old profile: a
// recipient told to wait an hour would wait it out after max_retry_timeout
// became a minute, or max_queue_lifetime passed. So when the scheduler
// first sees a new configuration (and at start-up), each waiting item's
// next attempt is brought forward to the earliest its recipients' policy
// now allows (Retimer). A retry is never put off: a commit does not delay
// mail that was due sooner.

// Retimer is a RetryPolicy that a commit can change (a bounce profile;
// not the Threat Defense Connector's fixed table).
type Retimer interface {
	// Retime returns when a recipient waiting for next after its
	// attempts-th attempt is to be tried now that the policy is this
	// one: never later than next.
	Retime(m *queue.Message, attempts int, next, now time.Time) time.Time
}

// Retime: a retry as if the last attempt had failed now, capped by the
// queue lifetime's deadline; at once for a recipient out of retries or
// time (dispatch then expires it).
func (p *ProfilePolicy) Retime(m *queue.Message, attempts int, next, now time.Time) time.Time {
	t, ok := p.NextRetry(m, attempts, now)
	if !ok || p.Expired(m, attempts, now) {
		return now
	}
	if t.Before(next) {
		return t
	}
	return next
}

// retime brings waiting items' retries forward to what cfg allows.
func (s *sched) retime(cfg *store.Config, now time.Time) {
	s.cfg = cfg
	for _, d := range s.dests {
		// Items are collected first: moving one reorders the heap.
		var moved []*item
		for _, it := range d.due.items {
			if next := s.earliest(it, cfg, now); next.Before(it.next) {
				it.next = next
				moved = append(moved, it)
			}
		}
		for _, it := range moved {
			d.due.remove(it)
			d.due.push(it)
		}
	}
}

// earliest is the soonest the policy under cfg would retry one of the
// item's attempted recipients; the item's own time when none is sooner.
func (s *sched) earliest(it *item, cfg *store.Config, now time.Time) time.Time {
	r, ok := s.policy(cfg, it).(Retimer)
	if !ok {
		return it.next
	}
	next := it.next
	for _, rid := range it.rids {
		rc := s.rcpt(it.ms, rid)
		if rc == nil || rc.Attempts == 0 {
			continue // unattempted: due at its own time already
		}
		if t := r.Retime(it.ms.m, rc.Attempts, it.next, now); t.Before(next) {
			next = t
		}
	}
	return next
}

// Reconfigured tells delivery that a new configuration is running, so
// that queued mail is retimed under it now rather than at the next
// scheduling event.
func (x *Delivery) Reconfigured() { x.poke() }
