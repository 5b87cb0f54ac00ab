package delivery

import "time"

// Idle connections of Special destinations (the.tdc.queue): a worker with
// nothing to send keeps its connection open while the queue has entries,
// and for Linger after it empties, so that the next item does not pay for
// a new connection and greeting. The scheduler answers a parked worker
// with the next due item (dispatch) or tells it to QUIT (unpark).
//
// Only MinConns of them stay parked for as long as the queue has entries;
// the others go once they have been parked for Linger. A burst (copies
// held back while the CPU was busy, then all due at once) opens one
// connection per due copy; with copies always queued under steady mail,
// the queue never empties, and those connections used to stay for good,
// the peer closing them meanwhile (CLOSE-WAIT): `make soak` counted 176
// after 21 minutes.
//
// Lingering is measured on real time, not the Now clock: it is about
// sockets, not about the schedule of retries.

// park keeps w's connection open for d's next item; it reports whether it
// did.
func (s *sched) park(d *dest, w *worker) bool {
	if d.sp == nil {
		return s.parkForReuse(d, w) // reuse.go
	}
	if d.age.Len() == 0 && d.sp.Linger() <= 0 {
		return false
	}
	w.parkedAt = time.Now()
	d.parked = append(d.parked, w)
	return true
}

// sweepSpare closes the parked connections of a Special destination
// beyond its MinConns that have been parked for Linger, oldest first, and
// returns how long until the next one may have to go (0: none).
func (s *sched) sweepSpare(d *dest, now time.Time) time.Duration {
	return s.sweepParked(d, now, d.sp.MinConns(), d.sp.Linger()) // reuse.go
}

// takeParked returns the most recently parked worker whose connection
// can carry items of key (item.connKey), or nil.
func (d *dest) takeParked(key string) *worker {
	for i := len(d.parked) - 1; i >= 0; i-- {
		if w := d.parked[i]; w.key == key {
			d.parked = append(d.parked[:i], d.parked[i+1:]...)
			return w
		}
	}
	return nil
}

// closeParked tells the longest parked worker of d to close its
// connection, which frees its slot.
func (s *sched) closeParked(d *dest) {
	if len(d.parked) > 0 {
		d.parked[0].next <- nil
		d.parked = d.parked[1:]
	}
}

// unpark tells every idle worker of d to close its connection.
func (s *sched) unpark(d *dest) {
	for _, w := range d.parked {
		w.next <- nil
	}
	d.parked = nil
}

// sweepIdle closes the idle connections no longer wanted: all of them at
// shutdown and while the destination is suspended, and those of a
// destination that has been empty for its Linger. It returns how long
// until the next may have to go (0: none is waiting).
func (s *sched) sweepIdle() time.Duration {
	var wake time.Duration
	now := time.Now()
	for _, d := range s.dests {
		switch {
		case len(d.parked) == 0:
			d.emptySince = time.Time{}
			continue
		case s.quitting || s.isSuspended(d):
			s.unpark(d)
			continue
		case d.sp == nil:
			if left := s.sweepReuse(d, now); left > 0 && (wake == 0 || left < wake) {
				wake = left
			}
			continue
		case d.age.Len() > 0:
			d.emptySince = time.Time{}
			if left := s.sweepSpare(d, now); left > 0 && (wake == 0 || left < wake) {
				wake = left
			}
			continue
		}
		if d.emptySince.IsZero() {
			d.emptySince = now
		}
		left := d.sp.Linger() - now.Sub(d.emptySince)
		if left <= 0 {
			s.unpark(d)
			continue
		}
		if wake == 0 || left < wake {
			wake = left
		}
	}
	return wake
}
