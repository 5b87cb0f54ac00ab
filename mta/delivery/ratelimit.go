package delivery

import "time"

// Recipient rate limits (destconfig recipient_limit per recipient_minutes,
// SPEC 11): at most limit recipients delivered to a destination (or one
// MX address of it, or from one source address) in any window of the
// configured length. A window is a sliding log of attempts: each attempt
// reserves its recipients when it is admitted, so that attempts in flight
// together cannot overshoot, and when it returns the reservation shrinks
// to the recipients actually delivered. Recipients over the limit stay
// queued, never bounced, and go when old entries leave the window.
//
// Windows live in memory: after a restart a destination starts with an
// empty window.

// winEntry is one attempt's recipients at the time it was admitted.
type winEntry struct {
	t    time.Time
	n    int
	gone bool // dropped from the window (expired)
}

// window is one rate key's log, oldest first.
type window struct {
	per     time.Duration
	entries []*winEntry
	used    int // sum of n over entries
}

// expire drops the entries that have left the window at now.
func (w *window) expire(now time.Time) {
	cut := now.Add(-w.per)
	i := 0
	for i < len(w.entries) && !w.entries[i].t.After(cut) {
		w.used -= w.entries[i].n
		w.entries[i].gone = true
		i++
	}
	if i > 0 {
		w.entries = append(w.entries[:0], w.entries[i:]...)
	}
}

// room is how many recipients may be admitted at now under limit.
func (w *window) room(limit int, now time.Time) int {
	w.expire(now)
	return max(limit-w.used, 0)
}

// opens is when the oldest entry leaves the window (zero: never, the
// window is empty).
func (w *window) opens() time.Time {
	for _, e := range w.entries {
		if e.n > 0 {
			return e.t.Add(w.per)
		}
	}
	return time.Time{}
}

// add reserves n recipients at now.
func (w *window) add(n int, now time.Time) *winEntry {
	e := &winEntry{t: now, n: n}
	w.entries = append(w.entries, e)
	w.used += n
	return e
}

// settle turns a reservation into what was delivered: the recipients an
// attempt did not deliver give their place back.
func (w *window) settle(e *winEntry, delivered int) {
	delivered = min(max(delivered, 0), e.n)
	if !e.gone {
		w.used -= e.n - delivered
	}
	e.n = delivered
}
