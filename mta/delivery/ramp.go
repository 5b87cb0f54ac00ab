package delivery

// Slow start for an ordinary destination's connections. The scheduler
// hands a due message to a worker whose connection is open (reuse.go) and
// starts a new worker only when none is free; but while the first
// connections are being opened (the attempt recorded, the route looked
// up, the dial and greeting under way) none is free, and a stream of mail
// would start a worker, and open a connection, for every message that
// arrives meanwhile: on a busy machine, 175 connections for 200 messages
// (TestConnectionReuse in mta/mailtest, under -race). So at most rampConns
// workers of a destination may be opening a connection at once; its other
// due mail waits until one of them has its connection (or has failed to
// get one), and then goes on a free connection or a new one. Postfix
// starts a destination the same way (initial_destination_concurrency,
// 5). The destination's limits (limits.go) still bound the total.
const rampConns = 5

// rampFull reports whether d has as many workers opening a connection as
// it may: a new one must wait (ordinary destinations only).
func (d *dest) rampFull() bool {
	return d.sp == nil && d.opening.Load() >= rampConns
}

// opened is the worker's word that its first connection is open, or will
// not be: it no longer counts against the ramp, and the scheduler may
// start another worker.
func (w *worker) opened() {
	if w.ramp != nil {
		w.ramp.Add(-1)
		w.ramp = nil
		w.x.poke()
	}
}

// rampStart counts a new worker of d as opening its connection.
func (d *dest) rampStart(w *worker) {
	d.opening.Add(1)
	w.ramp = &d.opening
}
