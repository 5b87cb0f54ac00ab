package delivery

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"seg/mta/queue"
)

// Selector picks queued recipients for the queue management commands
// (showrecipients, deleterecipients, bouncerecipients,
// redirectrecipients). Exactly one field is meant to be set.
type Selector struct {
	Domain string // recipient host (destination) or recipient domain
	Sender string // envelope sender address
	All    bool
}

func (sel Selector) match(it *item) bool {
	switch {
	case sel.All:
		return true
	case sel.Domain != "":
		return strings.EqualFold(it.d.name, sel.Domain) || strings.EqualFold(it.domain, sel.Domain)
	case sel.Sender != "":
		return strings.EqualFold(it.ms.m.From, strings.Trim(sel.Sender, "<>"))
	}
	return false
}

// RcptInfo is one queued recipient, for showrecipients.
type RcptInfo struct {
	MID         int64
	RID         int
	Size        int64
	Sender      string
	Rcpt        string
	Subject     string
	Host        string // destination queue
	Received    time.Time
	State       queue.State
	Attempts    int
	NextAttempt time.Time
	LastError   string
	InFlight    bool
}

// adminOp is a queue management action deferred until an in-flight
// attempt returns.
type adminOp int

const (
	opNone adminOp = iota
	opDelete
	opBounce
)

// matching returns the items a selector picks, by MID.
func (s *sched) matching(sel Selector) []*item {
	var out []*item
	for _, ms := range s.msgs {
		for _, it := range ms.items {
			if sel.match(it) {
				out = append(out, it)
			}
		}
	}
	slices.SortFunc(out, func(a, b *item) int {
		if a.ms.m.MID != b.ms.m.MID {
			return int(a.ms.m.MID - b.ms.m.MID)
		}
		return strings.Compare(a.key, b.key)
	})
	return out
}

// Recipients lists the queued recipients a selector picks.
func (x *Delivery) Recipients(sel Selector) []RcptInfo {
	var out []RcptInfo
	x.do(func() {
		for _, it := range x.s.matching(sel) {
			m := it.ms.m
			for _, rid := range it.rids {
				rc := x.s.rcpt(it.ms, rid)
				if rc == nil {
					continue
				}
				out = append(out, RcptInfo{
					MID: m.MID, RID: rid, Size: m.Size, Sender: m.From, Rcpt: rc.Addr,
					Subject: m.Subject, Host: it.d.name, Received: m.Received, State: rc.State,
					Attempts: rc.Attempts, NextAttempt: rc.NextAttempt, LastError: rc.LastError,
					InFlight: it.inflight,
				})
			}
		}
	})
	return out
}

// Delete removes the selected recipients from the queue (deleterecipients)
// and returns how many. Recipients in an attempt under way are removed
// when it returns, unless it delivered them.
func (x *Delivery) Delete(sel Selector) int {
	return x.adminAll(sel, opDelete)
}

// Bounce hard-bounces the selected recipients now, with a DSN to the
// sender (bouncerecipients), and returns how many.
func (x *Delivery) Bounce(sel Selector) int {
	return x.adminAll(sel, opBounce)
}

func (x *Delivery) adminAll(sel Selector, op adminOp) int {
	n := 0
	x.do(func() {
		now := x.d.Now()
		for _, it := range x.s.matching(sel) {
			n += len(it.rids)
			if it.inflight {
				it.op = op
				continue
			}
			x.s.applyOp(it, op, now)
			x.s.tidy(it, false)
		}
	})
	x.poke()
	return n
}

// applyOp deletes or bounces all of an item's remaining recipients. The
// caller then runs settled to requeue or drop the item.
func (s *sched) applyOp(it *item, op adminOp, now time.Time) {
	if len(it.rids) == 0 {
		return
	}
	cfg := s.x.d.Config()
	switch op {
	case opDelete:
		var ups []queue.Update
		for _, rid := range it.rids {
			ups = append(ups, queue.Update{RID: rid, State: queue.Deleted, LastError: "deleted by administrator"})
		}
		// Counted first: the queue commit journals the count with the
		// deletion (mta/lifetime.go).
		s.x.d.Counters.Deleted(it.d.name, int64(len(it.rids)))
		if err := s.x.d.Queue.Update(it.ms.m.MID, ups); err != nil {
			s.x.d.Log.Warning("MID %d could not record the deletion in the queue: %v", it.ms.m.MID, err)
		}
		s.x.d.Log.Info("Deleted: MID %d to [%s]", it.ms.m.MID, ridList(it.rids))
		s.mirror(it, ups)
	case opBounce:
		var outs []outcome
		for _, rid := range it.rids {
			outs = append(outs, outcome{rid: rid, f: adminFailure()})
		}
		ups := s.x.settle(s.job(it, cfg, nil, it.rids), 0, outs, "", "")
		s.mirror(it, ups)
	}
}

// mirror applies updates to the scheduler's copy of the recipients.
func (s *sched) mirror(it *item, ups []queue.Update) {
	for _, u := range ups {
		if rc := s.rcpt(it.ms, u.RID); rc != nil {
			s.setState(it.d, rc, u.State)
			rc.NextAttempt, rc.LastError = u.NextAttempt, u.LastError
		}
	}
}

// Redirect sends the selected recipients to another host (host[:port])
// instead of their own (redirectrecipients) and returns how many. Each
// message is queued again as a copy routed to that host, so that the
// change survives a restart; recipients in an attempt under way are left
// alone.
func (x *Delivery) Redirect(sel Selector, host string) int {
	n := 0
	host = strings.TrimSpace(host)
	if host == "" {
		return 0
	}
	x.do(func() {
		for _, it := range x.s.matching(sel) {
			if it.inflight {
				continue
			}
			if x.s.redirect(it, host) {
				n += len(it.rids)
				x.s.tidy(it, false)
			}
		}
	})
	x.poke()
	return n
}

func (s *sched) redirect(it *item, host string) bool {
	x, m := s.x, it.ms.m
	body, err := x.d.Queue.Body(m.MID)
	if err != nil {
		x.d.Log.Warning("MID %d could not be redirected: %v", m.MID, err)
		return false
	}
	nm := &queue.Message{
		MID: x.d.Queue.NextMID(), ICID: m.ICID, Kind: m.Kind, From: m.From,
		Received: m.Received, Size: m.Size, RemoteIP: m.RemoteIP, Listener: m.Listener,
		MessageID: m.MessageID, Subject: m.Subject, Host: host, OrigMID: m.MID, Policy: m.Policy,
		Relayed: m.Relayed,
	}
	for i, rid := range it.rids {
		if rc := s.rcpt(it.ms, rid); rc != nil {
			nm.Rcpts = append(nm.Rcpts, queue.Recipient{RID: i, Addr: rc.Addr})
		}
	}
	if err := x.d.Queue.Enqueue(nm, body); err != nil {
		x.d.Log.Warning("MID %d could not be redirected: %v", m.MID, err)
		return false
	}
	var ups []queue.Update
	for _, rid := range it.rids {
		ups = append(ups, queue.Update{RID: rid, State: queue.Deleted, LastError: "redirected to " + host + " as MID " + strconv.FormatInt(nm.MID, 10)})
	}
	if err := x.d.Queue.Update(m.MID, ups); err != nil {
		x.d.Log.Warning("MID %d could not record the redirection in the queue: %v", m.MID, err)
	}
	x.d.Log.Info("MID %d rewritten to MID %d by redirectrecipients to %s", m.MID, nm.MID, host)
	s.mirror(it, ups)
	return true
}

// DeliverNow makes every waiting recipient of a destination ("ALL" or ""
// for all) due now (delivernow) and returns how many.
func (x *Delivery) DeliverNow(domain string) int {
	n := 0
	all := domain == "" || strings.EqualFold(domain, "ALL")
	x.do(func() {
		now := x.d.Now()
		for _, d := range x.s.dests {
			if !all && !strings.EqualFold(d.name, domain) {
				continue
			}
			items := slices.Clone(d.due.items)
			for _, it := range items {
				d.due.remove(it)
				it.next = now
				d.due.push(it)
				n += len(it.rids)
			}
		}
	})
	x.poke()
	return n
}

// Suspend stops new delivery attempts to a destination ("ALL" or "" for
// all) until Resume (suspenddel). Attempts under way finish.
func (x *Delivery) Suspend(domain string) {
	x.do(func() {
		if domain == "" || strings.EqualFold(domain, "ALL") {
			x.s.suspendAll = true
		} else {
			x.s.suspended[strings.ToLower(domain)] = true
		}
	})
}

// Resume lifts a suspension (resumedel); "ALL" or "" lifts all.
func (x *Delivery) Resume(domain string) {
	x.do(func() {
		if domain == "" || strings.EqualFold(domain, "ALL") {
			x.s.suspendAll = false
			clear(x.s.suspended)
		} else {
			delete(x.s.suspended, strings.ToLower(domain))
		}
	})
	x.poke()
}

// WorkQueueInfo summarises the delivery queue (workqueue, status gauges).
type WorkQueueInfo struct {
	Messages     int // messages with recipients still to deliver
	Recipients   int // active recipients
	Destinations int // destinations in memory
	Connections  int // outbound connections (workers)
	SuspendedAll bool
	Suspended    []string // suspended destinations
}

// WorkQueue reports the queue's size and state.
func (x *Delivery) WorkQueue() WorkQueueInfo {
	var w WorkQueueInfo
	x.do(func() {
		w.Messages = len(x.s.msgs)
		w.Destinations = len(x.s.dests)
		w.Connections = x.s.workers
		w.SuspendedAll = x.s.suspendAll
		for _, d := range x.s.dests {
			w.Recipients += int(d.unattempted + d.attempted)
		}
		for name := range x.s.suspended {
			w.Suspended = append(w.Suspended, name)
		}
		slices.Sort(w.Suspended)
	})
	return w
}
