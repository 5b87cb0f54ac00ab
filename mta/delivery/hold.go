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

// ordinaryWindow is how long after its last ordinary delivery the
// appliance counts as delivering ordinary mail: under a stream of mail
// that the deliveries keep up with, there are moments with none under
// way, and the next message is a millisecond away.
const ordinaryWindow = 2 * holdPoll

// holds reports whether it, a due item, waits for spare CPU at now.
func (s *sched) holds(it *item, now time.Time) bool {
	d := it.d
	if d.sp == nil || s.x.d.Busy == nil {
		return false
	}
	if s.ordinary == 0 && time.Since(s.lastOrdinary) >= ordinaryWindow {
		return false
	}
	h := d.sp.Hold()
	return h > 0 && now.Sub(it.ms.m.Received) < h && s.x.d.Busy()
}

// ordinaryStarted and ordinaryEnded count ordinary attempts. The window
// runs on real time: it is about the CPU, not the retry schedule.
func (s *sched) ordinaryStarted() {
	s.ordinary++
	s.lastOrdinary = time.Now()
}

func (s *sched) ordinaryEnded() {
	s.ordinary--
	s.lastOrdinary = time.Now()
}

// minConns is how many connections d keeps open while it has entries
// (Special.MinConns; 0 for an ordinary destination).
func minConns(d *dest) int {
	if d.sp == nil {
		return 0
	}
	return d.sp.MinConns()
}

// queueKind labels a worker's CPU profile samples (seg run --cpuprofile):
// "special" for the.tdc.queue's, so that a profile tells journal copies'
// delivery from the mail's.
func queueKind(d *dest) string {
	if d.sp != nil {
		return "special"
	}
	return "ordinary"
}
