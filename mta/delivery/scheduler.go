package delivery

import (
	"context"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"seg/mta/counters"
	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/store"
)

// msgState is the scheduler's copy of a queued message; recipient states
// are kept current as results come in.
type msgState struct {
	m     *queue.Message
	items map[string]*item // by destination key
}

// item is the part of a message bound for one destination: its active
// recipients travel together, in one SMTP transaction per attempt.
type item struct {
	ms       *msgState
	d        *dest
	key      string
	domain   string // the recipients' domain (the route is looked up for it)
	rids     []int
	next     time.Time // due time while waiting
	inflight bool
	op       adminOp // applied to what is left when the attempt returns
	fresh    []int   // recipients first attempted by the attempt under way
	sent     []int   // the recipients of the attempt under way (a recipient limit may hold some back)
	duePos   int
	agePos   int
}

// dest is one destination queue: a recipient domain, or a message's Host
// ("the.tdc.queue", a redirect relay).
type dest struct {
	name   string
	due    itemHeap // waiting items by next attempt
	age    itemHeap // every item by arrival, for the Oldest gauge
	active int      // workers holding a connection slot
	// opening counts the workers opening their first connection, which
	// they decrement themselves (ramp.go).
	opening atomic.Int32

	unattempted, attempted int64

	cfg     *store.Config // the configuration limit and maxMsgs were read from
	limit   int
	maxMsgs int
	dl      destLimits // an ordinary destination's limits (limits.go)

	// throttled is set while due items wait for the recipient window, so
	// that it is logged once.
	throttled bool

	sp         Special   // nil for an ordinary destination
	parked     []*worker // idle workers holding a connection open (sp only)
	emptySince time.Time // real time the destination was first seen empty with parked workers
}

type sched struct {
	x          *Delivery
	msgs       map[int64]*msgState
	dests      map[string]*dest
	suspendAll bool
	suspended  map[string]bool
	workers    int
	quitting   bool
	// ordinary counts attempts under way to ordinary destinations (not
	// Special), lastOrdinary is when one last started or ended (hold.go).
	ordinary     int
	lastOrdinary time.Time
	cfg          *store.Config // the configuration waiting items were last retimed under (retime.go)
}

func newSched(x *Delivery) *sched {
	return &sched{x: x, msgs: map[int64]*msgState{}, dests: map[string]*dest{}, suspended: map[string]bool{}}
}

// maxWait bounds the timer, so that a jump of the wall clock is noticed
// within a minute.
const maxWait = time.Minute

func (s *sched) run() {
	defer close(s.x.done)
	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	quit := s.x.quit
	for {
		if s.quitting && s.workers == 0 {
			return
		}
		for _, m := range s.x.takePending() {
			s.intake(m)
		}
		wait := maxWait
		idle := s.sweepIdle()
		if next := s.dispatch(); !next.IsZero() {
			wait = min(max(next.Sub(s.x.d.Now()), time.Millisecond), maxWait)
		}
		if idle > 0 {
			wait = min(wait, idle)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-s.x.kick:
		case <-timer.C:
		case r := <-s.x.results:
			s.handle(r)
			// An attempt's lines (settle's results, any DSN, Message
			// finished) reach the file now, one write per result: the
			// queue has recorded the results, so after a crash nothing
			// would log them again.
			maillog.Flush(s.x.d.Log)
		case f := <-s.x.ops:
			f()
			maillog.Flush(s.x.d.Log) // an administrator's deletions, bounces...
		case <-quit:
			s.quitting, quit = true, nil
		}
	}
}

func (s *sched) dest(name string) *dest {
	d := s.dests[name]
	if d == nil {
		d = &dest{name: name, sp: s.x.special(name)}
		d.due = itemHeap{less: dueLess, pos: func(it *item) *int { return &it.duePos }}
		d.age = itemHeap{less: ageLess, pos: func(it *item) *int { return &it.agePos }}
		s.dests[name] = d
	}
	return d
}

func dueLess(a, b *item) bool {
	if !a.next.Equal(b.next) {
		return a.next.Before(b.next)
	}
	return a.ms.m.MID < b.ms.m.MID
}

func ageLess(a, b *item) bool {
	if !a.ms.m.Received.Equal(b.ms.m.Received) {
		return a.ms.m.Received.Before(b.ms.m.Received)
	}
	return a.ms.m.MID < b.ms.m.MID
}

// intake adds a message to the destination queues.
func (s *sched) intake(in *queue.Message) {
	if _, ok := s.msgs[in.MID]; ok || in == nil {
		return
	}
	m := copyMessage(in)
	ms := &msgState{m: m, items: map[string]*item{}}
	touched := map[*dest]bool{}
	for i := range m.Rcpts {
		rc := &m.Rcpts[i]
		if rc.State.Final() {
			continue
		}
		name, domain := destOf(m, rc.Addr)
		key := name
		if m.Host != "" {
			// A pseudo-queue may carry several domains; each is its own
			// transaction.
			key = name + "\x00" + domain
		}
		it := ms.items[key]
		if it == nil {
			it = &item{ms: ms, d: s.dest(name), key: key, domain: domain, next: rc.NextAttempt, duePos: -1, agePos: -1}
			ms.items[key] = it
		}
		it.rids = append(it.rids, rc.RID)
		if rc.NextAttempt.Before(it.next) {
			it.next = rc.NextAttempt
		}
		it.d.count(rc.State, 1)
		touched[it.d] = true
	}
	if len(ms.items) == 0 {
		return
	}
	s.msgs[m.MID] = ms
	for _, it := range ms.items {
		it.d.due.push(it)
		it.d.age.push(it)
	}
	for d := range touched {
		s.publish(d)
	}
}

func (d *dest) count(st queue.State, n int64) {
	switch st {
	case queue.Unattempted:
		d.unattempted += n
	case queue.Attempted:
		d.attempted += n
	}
}

// setState changes a recipient's state, keeping the gauges right.
func (s *sched) setState(d *dest, rc *queue.Recipient, st queue.State) {
	d.count(rc.State, -1)
	rc.State = st
	d.count(st, 1)
}

func (s *sched) publish(d *dest) {
	var oldest time.Time
	if it := d.age.peek(); it != nil {
		oldest = it.ms.m.Received
	}
	un, at := d.unattempted, d.attempted
	s.x.d.Counters.UpdateHost(d.name, func(h *counters.Host) {
		h.Unattempted, h.Attempted, h.Oldest = un, at, oldest
	})
}

func (s *sched) refresh(d *dest, cfg *store.Config) {
	if d.cfg == cfg && d.limit > 0 {
		return
	}
	dc := cfg.DestControls(d.name)
	d.cfg = cfg
	d.limit = max(dc.MaxHostConcurrency, 1)
	d.maxMsgs = max(dc.MaxMessagesPerConnection, 1)
	if d.sp != nil {
		d.limit = max(d.limit, d.sp.MinConns())
	} else {
		d.dl = limitsOf(dc)
	}
}

// workerLimit bounds the workers of d: for an ordinary destination, the
// connection slots of its limit keys (limits.go), which an MX lookup may
// change.
func (s *sched) workerLimit(d *dest) int {
	if d.sp != nil {
		return d.limit
	}
	return s.x.lim.slots(d.name, d.dl)
}

func (s *sched) isSuspended(d *dest) bool {
	return s.suspendAll || s.suspended[d.name]
}

// dispatch starts every attempt that is due and allowed, and returns the
// earliest time something else becomes due (zero: nothing waits).
func (s *sched) dispatch() time.Time {
	if s.quitting {
		return time.Time{}
	}
	now := s.x.d.Now()
	cfg := s.x.d.Config()
	if cfg != s.cfg {
		s.retime(cfg, now)
	}
	var next time.Time
	for _, d := range s.dests {
		if s.isSuspended(d) {
			continue
		}
		s.refresh(d, cfg)
		limit := s.workerLimit(d)
		blocked := false // a due item waits for the recipient window
		for len(d.parked) > 0 || d.active < limit {
			if it := d.due.peek(); it != nil && !it.next.After(now) && d.active >= minConns(d) && s.holds(it, now) {
				// Background work waits for spare CPU; its first
				// connections are made all the same (hold.go).
				if w := now.Add(holdPoll); next.IsZero() || w.Before(next) {
					next = w
				}
				break
			}
			it := d.takeDue(now, "")
			if it == nil {
				if w := d.due.peek(); w != nil && (next.IsZero() || w.next.Before(next)) {
					next = w.next
				}
				break
			}
			if s.expire(it, cfg, now) {
				continue
			}
			// An idle connection to the item's host goes first.
			w := d.takeParked(it.connKey())
			if w == nil && d.rampFull() {
				// A connection being opened takes the item, or lets
				// a new worker start, when it is open (ramp.go).
				d.due.push(it)
				break
			}
			if w == nil && d.active >= limit {
				// Every slot is taken, some by idle connections to
				// another host: close one, and try again when it is gone.
				d.due.push(it)
				s.closeParked(d)
				break
			}
			n, admitted, resv, wake := len(it.rids), 0, (*winEntry)(nil), time.Time{}
			if d.sp == nil && w != nil {
				n, resv = s.x.lim.reserve(w.lease.key, d.dl, n)
				if n == 0 {
					// The idle connection's window is full: it goes, and
					// the item waits for another.
					d.due.push(it)
					w.next <- nil
					continue
				}
			} else if d.sp == nil {
				n, wake = s.x.lim.admit(d.name, d.dl, n)
				admitted = n
			}
			if n == 0 {
				d.due.push(it)
				blocked = true
				if !wake.IsZero() && (next.IsZero() || wake.Before(next)) {
					next = wake
				}
				break
			}
			s.start(it, cfg, w, n, admitted, resv)
		}
		s.noteLimits(d, limit, blocked, now)
	}
	return next
}

// noteLimits logs, once each time it happens, that due mail of d waits
// for the recipient window or for a connection slot, and that the window
// has opened again.
func (s *sched) noteLimits(d *dest, limit int, blocked bool, now time.Time) {
	if d.sp != nil {
		return
	}
	log := s.x.d.Log
	if blocked && !d.throttled {
		d.throttled = true
		log.Info("Delivery to %s throttled by recipient limit", d.name)
	}
	it := d.due.peek()
	due := it != nil && !it.next.After(now)
	if d.throttled && !blocked && (due || d.due.Len() == 0) {
		d.throttled = false
		s.x.lim.resumed(d.name, d.dl)
		log.Info("Recipient limit expired; resume delivery to %s", d.name)
	}
	if due && !blocked && d.active >= limit {
		// The limiter says it at most once a minute for each key.
		s.x.lim.noteFull(d.name, d.dl)
	}
}

// takeDue pops the first waiting item that is due at now; with a key,
// only an item a connection made for that key can carry (connKey).
func (d *dest) takeDue(now time.Time, key string) *item {
	if it := d.due.peek(); it != nil && !it.next.After(now) && (key == "" || it.connKey() == key) {
		return d.due.pop()
	}
	return nil
}

// connKey says which connections can carry an item: those of its
// destination, and for an internal queue (the.tdc.queue), which holds
// mail for several domains routed each its own way, those made for its
// domain.
func (it *item) connKey() string {
	if pseudoQueue(it.d.name) {
		return it.domain
	}
	return ""
}

func (s *sched) policy(cfg *store.Config, it *item) RetryPolicy {
	return s.x.d.Retry(cfg, it.ms.m, it.d.name)
}

func (s *sched) rcpt(ms *msgState, rid int) *queue.Recipient {
	if rid >= 0 && rid < len(ms.m.Rcpts) && ms.m.Rcpts[rid].RID == rid {
		return &ms.m.Rcpts[rid]
	}
	for i := range ms.m.Rcpts {
		if ms.m.Rcpts[i].RID == rid {
			return &ms.m.Rcpts[i]
		}
	}
	return nil
}

// expire bounces the item's recipients that its policy says are too old
// or out of retries. It reports whether nothing is left to attempt.
func (s *sched) expire(it *item, cfg *store.Config, now time.Time) bool {
	pol := s.policy(cfg, it)
	var outs []outcome
	for _, rid := range it.rids {
		if rc := s.rcpt(it.ms, rid); rc != nil && pol.Expired(it.ms.m, rc.Attempts, now) {
			outs = append(outs, outcome{rid: rid, f: expiredFailure()})
		}
	}
	if len(outs) == 0 {
		return false
	}
	ups := s.x.settle(s.job(it, cfg, pol, it.rids), 0, outs, "", "")
	s.settled(it, false, ups, now)
	return len(it.rids) == 0
}

// job is a snapshot of an item for a worker.
type job struct {
	it   *item // the scheduler's; workers only hand it back
	m    *queue.Message
	rids []int
	// admitted is how many of rids the limiter counts as pending until
	// the worker places its connection; resv is their place in the
	// recipient window of the connection the job is handed with (nil:
	// none yet, or no recipient limit).
	admitted int
	resv     *winEntry
	dest     string
	domain   string
	cfg      *store.Config
	pol      RetryPolicy
	maxMsgs  int
	sp       Special // the destination's rules; nil for an ordinary one
}

func (s *sched) job(it *item, cfg *store.Config, pol RetryPolicy, rids []int) *job {
	if pol == nil {
		pol = s.policy(cfg, it)
	}
	s.refresh(it.d, cfg)
	return &job{
		it: it, m: copyMessage(it.ms.m), rids: append([]int(nil), rids...),
		dest: it.d.name, domain: it.domain, cfg: cfg, pol: pol, maxMsgs: it.d.maxMsgs, sp: it.d.sp,
	}
}

// start hands the first n recipients of an item (a recipient limit may
// hold the others back) to a new worker, or to w, a worker asking for more
// on its open connection; admitted and resv are what the limiter holds
// for them (job).
func (s *sched) start(it *item, cfg *store.Config, w *worker, n, admitted int, resv *winEntry) {
	it.d.due.remove(it)
	it.inflight = true
	if it.d.sp == nil {
		s.ordinaryStarted()
	}
	it.sent = append(it.sent[:0], it.rids[:min(n, len(it.rids))]...)
	// The worker records the attempt before it dials; the gauges show
	// the recipients as attempted from now on.
	it.fresh = it.fresh[:0]
	for _, rid := range it.sent {
		if rc := s.rcpt(it.ms, rid); rc != nil && rc.State == queue.Unattempted {
			it.fresh = append(it.fresh, rid)
			s.setState(it.d, rc, queue.Attempted)
		}
	}
	s.publish(it.d)
	j := s.job(it, cfg, nil, it.sent)
	j.admitted, j.resv = admitted, resv
	if w != nil {
		w.next <- j
		return
	}
	it.d.active++
	s.workers++
	w = &worker{x: s.x, dest: it.d.name, key: it.connKey(), next: make(chan *job, 1)}
	if it.d.sp == nil {
		it.d.rampStart(w)
	}
	go pprof.Do(context.Background(), pprof.Labels("delivery", queueKind(it.d)), func(context.Context) { w.run(j) })
}

// handle applies a worker's report.
func (s *sched) handle(r *result) {
	if r.exit {
		d := s.dests[r.w.dest]
		if d != nil {
			d.active--
			s.dropIfEmpty(d)
		}
		s.workers--
		return
	}
	now := s.x.d.Now()
	it := r.job.it
	it.inflight = false
	if it.d.sp == nil {
		s.ordinaryEnded()
	}
	s.settled(it, r.attempted, r.ups, now)
	if !r.reusable {
		return
	}
	// The worker's connection is open: give it the next due message of
	// the same destination, or nothing (it says QUIT).
	var nj *item
	d := it.d
	if !s.quitting && !s.isSuspended(d) {
		cfg := s.x.d.Config()
		for {
			nj = d.takeDue(now, r.w.key)
			if nj == nil || !s.expire(nj, cfg, now) {
				break
			}
		}
		if nj != nil && s.holds(nj, now) {
			d.due.push(nj)
			nj = nil
		}
		if nj != nil {
			n, resv := len(nj.rids), (*winEntry)(nil)
			if d.sp == nil {
				s.refresh(d, cfg)
				n, resv = s.x.lim.reserve(r.w.lease.key, d.dl, n)
			}
			if n > 0 {
				s.start(nj, cfg, r.w, n, 0, resv)
				return
			}
			// The connection's recipient window is full: it goes.
			d.due.push(nj)
			r.w.next <- nil
			return
		}
		if s.park(d, r.w) {
			return
		}
	}
	r.w.next <- nil
}

// settled mirrors what an attempt (or expiry) did to an item's
// recipients, applies an administrator's deferred action, then requeues or
// removes the item.
func (s *sched) settled(it *item, attempted bool, ups []queue.Update, now time.Time) {
	for _, rid := range it.fresh {
		if rc := s.rcpt(it.ms, rid); rc != nil && !attempted && rc.State == queue.Attempted {
			s.setState(it.d, rc, queue.Unattempted) // the attempt was never recorded
		}
	}
	it.fresh = it.fresh[:0]
	defer func() { it.sent = it.sent[:0] }()
	if attempted {
		for _, rid := range it.sent {
			if rc := s.rcpt(it.ms, rid); rc != nil {
				rc.Attempts++
				if rc.State == queue.Unattempted {
					s.setState(it.d, rc, queue.Attempted)
				}
			}
		}
	}
	s.mirror(it, ups)
	if !attempted && len(ups) == 0 {
		// The attempt could not even be recorded: try again shortly.
		it.next = now.Add(time.Minute)
	}
	if op := it.op; op != opNone {
		it.op = opNone
		s.tidy(it, false)
		s.applyOp(it, op, now)
	}
	s.tidy(it, len(ups) > 0)
}

// tidy drops an item's final recipients, then requeues the item (due at
// its recipients' retry time when retimed) or removes it.
func (s *sched) tidy(it *item, retimed bool) {
	var keep []int
	var next time.Time
	for _, rid := range it.rids {
		rc := s.rcpt(it.ms, rid)
		if rc == nil || rc.State.Final() {
			continue
		}
		keep = append(keep, rid)
		if next.IsZero() || rc.NextAttempt.Before(next) {
			next = rc.NextAttempt
		}
	}
	it.rids = keep
	if retimed && !next.IsZero() {
		it.next = next
	}
	d := it.d
	if len(keep) == 0 {
		s.removeItem(it)
	} else if !it.inflight {
		d.due.remove(it)
		d.due.push(it)
	}
	s.publish(d)
}

func (s *sched) removeItem(it *item) {
	ms, d := it.ms, it.d
	d.due.remove(it)
	d.age.remove(it)
	delete(ms.items, it.key)
	if len(ms.items) == 0 {
		delete(s.msgs, ms.m.MID)
		s.x.d.Log.Info("Message finished MID %d done", ms.m.MID)
	}
	s.dropIfEmpty(d)
}

func (s *sched) dropIfEmpty(d *dest) {
	if d.age.Len() == 0 && d.active == 0 && s.dests[d.name] == d {
		delete(s.dests, d.name)
		s.x.lim.forget(d.name)
	}
}

func copyMessage(m *queue.Message) *queue.Message {
	c := *m
	c.Rcpts = append([]queue.Recipient(nil), m.Rcpts...)
	return &c
}
