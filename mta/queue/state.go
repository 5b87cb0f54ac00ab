package queue

import (
	"fmt"
	"time"
)

// Recipient state changes: live calls and recovery apply them the same way.

// Attempt records, durably before it returns, that delivery to rids is
// starting: Attempts++, State=Attempted, NextAttempt=next. A crash in the
// middle of the delivery thus retries at next instead of at once. nil rids
// means every active recipient; final recipients are left alone.
func (q *Queue) Attempt(mid int64, rids []int, next time.Time) error {
	q.mu.Lock()
	if err := q.usableLocked(); err != nil {
		q.mu.Unlock()
		return err
	}
	e, ok := q.msgs[mid]
	if !ok {
		q.mu.Unlock()
		return fmt.Errorf("%w: MID %d", ErrNotFound, mid)
	}
	if rids == nil {
		for _, r := range e.msg.Rcpts {
			if !r.State.Final() {
				rids = append(rids, r.RID)
			}
		}
	}
	for _, rid := range rids {
		if rcptIndex(&e.msg, rid) < 0 {
			q.mu.Unlock()
			return fmt.Errorf("queue: MID %d has no recipient RID %d", mid, rid)
		}
	}
	q.activeRcpts += applyAttempt(&e.msg, rids, next)
	req := &request{rec: encodeAttempt(mid, rids, next), done: make(chan error, 1)}
	q.submitLocked(req)
	q.mu.Unlock()
	return <-req.done
}

// Update applies recipient state changes at once, writes them with the
// next group commit and makes them durable with the next commit somebody
// waits on, or within lazySync (journal.go; Sync waits for it). Losing an update in a
// crash means a recipient is delivered twice, never that it is lost. When
// every recipient is final the message is finished: it leaves the queue
// and its space becomes reclaimable. A recipient already final keeps its
// first final state.
func (q *Queue) Update(mid int64, ups []Update) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.usableLocked(); err != nil {
		return err
	}
	e, ok := q.msgs[mid]
	if !ok {
		return fmt.Errorf("%w: MID %d", ErrNotFound, mid)
	}
	for _, u := range ups {
		if rcptIndex(&e.msg, u.RID) < 0 {
			return fmt.Errorf("queue: MID %d has no recipient RID %d", mid, u.RID)
		}
		if u.State > Deleted {
			return fmt.Errorf("queue: unknown recipient state %d for MID %d RID %d", u.State, mid, u.RID)
		}
	}
	q.activeRcpts += applyUpdates(&e.msg, ups)
	q.submitLocked(&request{rec: encodeUpdate(mid, ups)})
	if finished(&e.msg) {
		q.finishLocked(e)
	}
	return nil
}

// Sync returns once everything recorded so far is durable.
func (q *Queue) Sync() error {
	q.mu.Lock()
	if err := q.usableLocked(); err != nil {
		q.mu.Unlock()
		return err
	}
	req := &request{done: make(chan error, 1)}
	q.submitLocked(req)
	q.mu.Unlock()
	return <-req.done
}

// finishLocked drops a finished message.
func (q *Queue) finishLocked(e *entry) {
	mid := e.msg.MID
	q.takeHotLocked(e)
	delete(q.msgs, mid)
	delete(e.seg.live, mid)
	e.seg.liveBytes -= e.recLen
	q.liveBytes -= e.recLen
	q.bodyBytes -= e.size()
	q.activeRcpts -= activeCount(&e.msg)
}

func rcptIndex(m *Message, rid int) int {
	for i := range m.Rcpts {
		if m.Rcpts[i].RID == rid {
			return i
		}
	}
	return -1
}

func activeCount(m *Message) int {
	n := 0
	for _, r := range m.Rcpts {
		if !r.State.Final() {
			n++
		}
	}
	return n
}

func finished(m *Message) bool { return activeCount(m) == 0 }

// applyAttempt and applyUpdates change m as the live calls and recovery
// both do, and return the change in active recipients.
func applyAttempt(m *Message, rids []int, next time.Time) int {
	for _, rid := range rids {
		i := rcptIndex(m, rid)
		if i < 0 || m.Rcpts[i].State.Final() {
			continue
		}
		r := &m.Rcpts[i]
		r.Attempts++
		r.State = Attempted
		r.NextAttempt = next
	}
	return 0
}

func applyUpdates(m *Message, ups []Update) (delta int) {
	for _, u := range ups {
		i := rcptIndex(m, u.RID)
		if i < 0 || m.Rcpts[i].State.Final() {
			continue
		}
		r := &m.Rcpts[i]
		r.State = u.State
		r.NextAttempt = u.NextAttempt
		r.LastError = u.LastError
		if u.State.Final() {
			delta--
		}
	}
	return delta
}
