package delivery

import (
	"context"
	"sync/atomic"
	"time"

	"seg/mta/counters"
	"seg/mta/queue"
	"seg/store"
)

// worker runs attempts for one destination on one connection at a time:
// after each message it reports to the scheduler and, while its
// connection is fit and under max_messages_per_connection, is handed the
// next due message of the same destination.
type worker struct {
	x    *Delivery
	dest string
	key  string    // the items its connections can carry (item.connKey)
	next chan *job // capacity 1: the scheduler's answer, nil for "QUIT"
	// parkedAt is when the scheduler last parked the worker (reuse.go).
	parkedAt time.Time
	// lease is the limit key of the worker's open connection (limits.go),
	// set by the worker before it reports, read by the scheduler after.
	lease lease
	// ramp counts the worker against its destination's ramp until its
	// first connection is open or has failed (ramp.go); nil after.
	ramp *atomic.Int32
}

// result is a worker's report: one attempt, or the worker's exit.
type result struct {
	w         *worker
	job       *job
	exit      bool
	attempted bool // the attempt was recorded in the queue
	ups       []queue.Update
	reusable  bool // the connection is open and may carry another message
}

func (w *worker) run(j *job) {
	var c *conn
	var connCfg *store.Config // the configuration c was opened under
	for j != nil {
		var r *result
		fresh := c == nil
		r, c = w.deliver(j, c)
		w.opened() // deliver returned before it connected
		if fresh && c != nil {
			connCfg = j.cfg
		}
		if c != nil && c.lease != nil {
			w.lease = *c.lease
		}
		w.x.results <- r
		if !r.reusable {
			break
		}
		asked := time.Now()
		j = <-w.next
		switch {
		case j == nil:
		case j.cfg != connCfg:
			// A commit since the connection was opened may have changed
			// the route or TLS policy: the next message goes the way the
			// new configuration says, on a connection of its own.
			c.quit()
			c = nil
		case time.Since(asked) > idleProbe && !c.alive():
			// The connection waited (a Special queue keeps it open) and
			// the server has let it go: the next attempt opens a new one.
			c.close()
			c = nil
		}
	}
	if c != nil {
		c.quit()
	}
	w.x.results <- &result{w: w, exit: true}
}

// idleProbe is how long a connection may wait for its next message before
// it is checked with NOOP (RFC 5321 section 4.1.1.9) ahead of using it.
// The wait is on real time: it is about the socket, not the schedule.
const idleProbe = 2 * time.Second

// deliver makes one attempt for a job, on c when the worker has a
// connection open, else on a new one. It returns the connection when it is
// still open.
func (w *worker) deliver(j *job, c *conn) (*result, *conn) {
	x := w.x
	ctx := x.abandonCtx
	now := x.d.Now()
	m := j.m
	r := &result{w: w, job: j}
	// jctx ends with the attempt's deadline, if its policy has one; ctx
	// (Close abandoning attempts) outlives it and the connection.
	jctx, cancel := jobContext(ctx, j, now)
	defer cancel()

	// STYLE 2: the attempt is durable before anything goes on the wire,
	// so that a crash never turns into hammering a remote host.
	first := rcptOf(m, j.rids[0])
	retryAt, ok := j.pol.NextRetry(m, first.Attempts+1, now)
	if !ok {
		retryAt = now.Add(time.Minute)
	}
	if err := x.d.Queue.Attempt(m.MID, j.rids, retryAt); err != nil {
		x.d.Log.Warning("MID %d could not record a delivery attempt: %v", m.MID, err)
		if c != nil {
			c.quit()
		}
		return r, nil
	}
	r.attempted = true
	for i := range m.Rcpts {
		for _, rid := range j.rids {
			if m.Rcpts[i].RID == rid {
				m.Rcpts[i].Attempts++
			}
		}
	}

	var outs []outcome
	var dcid int64
	var resp, note string
	// ob is what may be sent; refused recipients fail without a
	// connection (address.go).
	ob, refused := x.outboundOf(j)
	all := func(f *Failure) {
		for _, rid := range ob.rids {
			outs = append(outs, outcome{rid: rid, f: f})
		}
	}
	var body []byte
	var err error
	if len(ob.rids) > 0 {
		body, err = x.d.Queue.Body(m.MID)
	}
	switch {
	case len(ob.rids) == 0:
		// nothing to send
	case err != nil:
		x.d.Log.Warning("MID %d could not read the message body: %v", m.MID, err)
		all(&Failure{Kind: FailConn, Status: "4.3.0", Text: "message body unavailable"})
	case c != nil:
		// reused connection
	default:
		rt := x.route(jctx, j)
		switch {
		case rt.devnull:
			for _, rid := range ob.rids {
				outs = append(outs, outcome{rid: rid})
			}
			note = "(discarded by SMTP route to /dev/null)"
		case rt.fail != nil:
			all(rt.fail)
		default:
			var f *connFail
			c, f = w.connect(jctx, j, rt)
			if c == nil {
				dcid = f.dcid
				all(f.Failure)
			}
		}
	}
	w.opened() // the connection is open, or failed: no longer opening
	// The recipients admitted for this attempt now hold a place in a
	// recipient window, or go back to the queue (limits.go).
	x.lim.unpend(j.dest, j.admitted)
	j.admitted = 0
	var lk *lease
	if c != nil {
		lk = c.lease
	}
	if lk != nil && j.resv != nil {
		defer func() { x.lim.settle(lk.key, j.resv, delivered(outs)) }()
	}
	if outs == nil && c != nil && len(ob.rids) > 0 {
		dcid = c.dcid
		var fit bool
		cut := func() bool { return true }
		if jctx != ctx {
			nc := c.nc
			cut = context.AfterFunc(jctx, func() { nc.Close() })
		}
		outs, resp, fit = c.transact(j, ob, body)
		if !cut() {
			fit = false // the deadline closed the connection
		}
		c.msgs++
		if !fit {
			c.close()
			c = nil
		}
	}
	outs = append(outs, refused...)
	if ctx.Err() != nil {
		// Abandoned by Close: what the remote host did not answer stays
		// Attempted (the queue has the retry time) and is tried again
		// after a restart.
		outs = keepAnswered(outs)
		if c != nil {
			c.close()
			c = nil
		}
	}
	r.ups = x.settle(j, dcid, outs, resp, note)
	r.reusable = c != nil && c.msgs < j.maxMsgs
	return r, c
}

// delivered counts the recipients an attempt delivered.
func delivered(outs []outcome) int {
	n := 0
	for _, o := range outs {
		if o.f == nil {
			n++
		}
	}
	return n
}

func keepAnswered(outs []outcome) []outcome {
	var keep []outcome
	for _, o := range outs {
		if o.f == nil || o.f.Kind == FailSMTP || o.f.Kind == FailAddress {
			keep = append(keep, o)
		}
	}
	return keep
}

// gauge adjusts a destination's connection gauges.
func (x *Delivery) gauge(dest string, f func(h *counters.Host)) {
	x.d.Counters.UpdateHost(dest, f)
}
