package delivery

import "time"

// Background queues (a Special with a Hold, the.tdc.queue) use spare CPU:
// while the machine is busy (Deps.Busy) and ordinary mail is being
// delivered, their due items wait, each up to Hold after it was queued.
// Without ordinary mail under way they always go, however busy the
// machine, so that they never wait on their own load; and a queue with
// fewer than MinConns connections still opens them, each carrying one
// item, so that the connections are ready when the hold ends.

// holdPoll is how often held items are looked at again: the CPU meter's
// sampling interval (mta/cpuload).
const holdPoll = 100 * time.Millisecond

// holds reports whether it, a due item, waits for spare CPU at now.
func (s *sched) holds(it *item, now time.Time) bool {
	d := it.d
	if d.sp == nil || s.ordinary == 0 || s.x.d.Busy == nil {
		return false
	}
	h := d.sp.Hold()
	return h > 0 && now.Sub(it.ms.m.Received) < h && s.x.d.Busy()
}
