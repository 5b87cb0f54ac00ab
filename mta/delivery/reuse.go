package delivery

import "time"

// Connection reuse for ordinary destinations. A worker whose connection
// is still fit but finds nothing due parks (idle.go) for up to
// reuseLinger: mail that arrives meanwhile goes on the open session
// instead of paying for a new connection, greeting, EHLO and QUIT, which
// cost a fifth of the MTA's CPU when mail streams in one message at a
// time (BenchmarkRelay in mta/mailtest). Postfix caches connections the
// same way (smtp_connection_cache_time_limit). A short linger is enough
// for a stream and keeps few idle sessions on the receivers; unlike a
// Special queue, an ordinary destination never keeps a connection open
// merely because it has deferred mail: the linger counts from when the
// worker parked.
const reuseLinger = 200 * time.Millisecond

// parkForReuse parks w's connection for d's next message.
func (s *sched) parkForReuse(d *dest, w *worker) bool {
	w.parkedAt = time.Now()
	d.parked = append(d.parked, w)
	return true
}

// sweepReuse sends QUIT to the workers of d parked for reuseLinger, and
// returns how long until the next one is due to go (0: none is parked).
func (s *sched) sweepReuse(d *dest, now time.Time) time.Duration {
	return s.sweepParked(d, now, 0, reuseLinger)
}

// sweepParked sends QUIT to the workers of d parked for linger, oldest
// first, keeping the newest keep, and returns how long until the next
// one may have to go (0: none beyond keep is parked). dispatch takes the
// most recently parked worker first, so the oldest, at the front, go
// first.
func (s *sched) sweepParked(d *dest, now time.Time, keep int, linger time.Duration) time.Duration {
	n := 0
	for len(d.parked)-n > keep && now.Sub(d.parked[n].parkedAt) >= linger {
		d.parked[n].next <- nil
		n++
	}
	d.parked = append(d.parked[:0], d.parked[n:]...)
	if len(d.parked) <= keep {
		return 0
	}
	return max(linger-now.Sub(d.parked[0].parkedAt), time.Millisecond)
}
