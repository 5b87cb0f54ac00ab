package queue

import "fmt"

// Enqueue stores a message; it returns once the envelope and body are on
// disk and fsynced (concurrent calls share one fsync). m.MID must come
// from NextMID, and recipient RIDs must be distinct (AsyncOS numbers them
// 0, 1, ...). A zero Received is set to now and a zero Size to
// len(body); m itself is not modified.
func (q *Queue) Enqueue(m *Message, body []byte) error {
	if err := checkMessage(m); err != nil {
		return err
	}
	msg := copyMessage(m)
	if msg.Received.IsZero() {
		msg.Received = q.now()
	}
	if msg.Size == 0 {
		msg.Size = int64(len(body))
	}
	rec, bodyOff := encodeMessage(msg, body)
	req := &request{
		rec:     rec,
		ent:     &entry{msg: *copyMessage(msg), bodyLen: int64(len(body))},
		bodyOff: bodyOff,
		done:    make(chan error, 1),
	}
	q.mu.Lock()
	if err := q.usableLocked(); err != nil {
		q.mu.Unlock()
		return err
	}
	if _, ok := q.msgs[msg.MID]; ok {
		q.mu.Unlock()
		return fmt.Errorf("queue: MID %d is already in the queue", msg.MID)
	}
	if _, ok := q.enqueuing[msg.MID]; ok {
		q.mu.Unlock()
		return fmt.Errorf("queue: MID %d is already being queued", msg.MID)
	}
	q.enqueuing[msg.MID] = struct{}{}
	q.submitLocked(req)
	notify := q.notify
	q.mu.Unlock()

	if err := <-req.done; err != nil {
		return err
	}
	if notify != nil {
		notify(msg)
	}
	return nil
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
	q.bodyBytes += e.bodyLen
	q.activeRcpts += activeCount(&e.msg)
	if finished(&e.msg) {
		q.finishLocked(e)
	}
}
