package queue

import "fmt"

// Enqueue stores a message; it returns once the envelope and body are on
// disk and fsynced (concurrent calls share one fsync). m.MID must come
// from NextMID, and recipient RIDs must be distinct (AsyncOS numbers them
// 0, 1, ...). A zero Received is set to now and a zero Size to
// len(body); m itself is not modified.
func (q *Queue) Enqueue(m *Message, body []byte) error {
	return q.EnqueueWith(m, body)
}

func checkMessage(m *Message) error {
	if m.MID <= 0 {
		return fmt.Errorf("queue: invalid MID %d: take one from NextMID", m.MID)
	}
	if len(m.Rcpts) == 0 {
		return fmt.Errorf("queue: MID %d has no recipients", m.MID)
	}
	if m.Kind > KindTDC {
		return fmt.Errorf("queue: MID %d has an unknown kind %d", m.MID, m.Kind)
	}
	seen := make(map[int]bool, len(m.Rcpts))
	for _, r := range m.Rcpts {
		if seen[r.RID] {
			return fmt.Errorf("queue: MID %d has two recipients with RID %d; RIDs must be distinct", m.MID, r.RID)
		}
		seen[r.RID] = true
		if r.State > Deleted {
			return fmt.Errorf("queue: MID %d RID %d has an unknown state %d", m.MID, r.RID, r.State)
		}
	}
	return nil
}

func (q *Queue) usableLocked() error {
	if q.closed {
		return ErrClosed
	}
	return q.err
}

// index makes a durable new message visible.
func (q *Queue) index(e *entry, seg *segment, bodyOff, recLen int64) {
	e.seg, e.bodyOff, e.recLen = seg, bodyOff, recLen
	mid := e.msg.MID
	q.msgs[mid] = e
	seg.live[mid] = e
	seg.liveBytes += recLen
	q.liveBytes += recLen
	q.bodyBytes += e.size()
	q.activeRcpts += activeCount(&e.msg)
	if finished(&e.msg) {
		q.finishLocked(e)
	}
}
