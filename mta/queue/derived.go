package queue

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"
)

// Derived messages. A journal copy (mta/tdc, SPEC 6) is its original's
// body between a few hundred bytes of MIME before and after it. Stored as
// a message of its own it would double what a journaled message costs
// the journal: the bytes written and fsynced while the client waits for
// its 250. So a copy enqueued with its original (EnqueueWith) is a
// recDerived record in the same write as the original's record: the
// copy's envelope, the prefix and suffix, and where the original's body
// is, as a distance back from the derived record's own start; the two
// are in one write, so in one segment. The copy's entry reads that body
// and wraps it. Its segment stays while the copy is unfinished, as for
// any message whose latest full copy is there; compaction relocates a
// copy as an ordinary message with its whole body.

// Derived is a message whose body is the body of the message it is
// enqueued with between Prefix and Suffix.
type Derived struct {
	Msg            *Message
	Prefix, Suffix []byte
}

// wrapping is what a derived entry adds around the body it points at.
type wrapping struct {
	prefix, suffix []byte
}

// readBody reads the n body bytes at off in f, wrapped in w when it is
// not nil (a derived message), into one new slice.
func readBody(f *os.File, off, n int64, w *wrapping) ([]byte, error) {
	if w == nil {
		b := make([]byte, n)
		_, err := f.ReadAt(b, off)
		return b, err
	}
	// The wrapping around the shared body, read straight into place.
	p := int64(len(w.prefix))
	b := make([]byte, p+n+int64(len(w.suffix)))
	copy(b, w.prefix)
	copy(b[p+n:], w.suffix)
	_, err := f.ReadAt(b[p:p+n], off)
	return b, err
}

// size is the length of the body a reader of the entry gets.
func (e *entry) size() int64 {
	if e.wrap == nil {
		return e.bodyLen
	}
	return e.bodyLen + int64(len(e.wrap.prefix)+len(e.wrap.suffix))
}

// derivedFormat versions the derived payload as messageFormat does the
// message payload: 2 has the envelope flags.
const derivedFormat = 2

// derivedRoom is what a derived record takes besides its prefix and
// suffix, for a typical envelope: EnqueueWith makes room for it so that
// appending the records does not copy the original's body again.
const derivedRoom = 512

// encodeDerived returns the framed record of m, whose body is the baseLen
// bytes that start back bytes before the record, between prefix and
// suffix.
func encodeDerived(m *Message, back int64, baseLen int, prefix, suffix []byte) []byte {
	b := make([]byte, headerLen, headerLen+256+len(prefix)+len(suffix))
	b = append(b, recDerived, derivedFormat)
	b = appendEnvelope(b, m)
	b = binary.AppendUvarint(b, uint64(back))
	b = binary.AppendUvarint(b, uint64(baseLen))
	b = appendString(b, string(prefix))
	b = appendString(b, string(suffix))
	return frame(b)
}

// decodeDerived decodes a recDerived payload (after the type byte).
func decodeDerived(payload []byte) (m Message, back, baseLen int64, w *wrapping, err error) {
	d := decoder{b: payload}
	format := d.byte()
	if format != 1 && format != derivedFormat {
		return m, 0, 0, nil, errCorrupt
	}
	m = d.envelope(format >= 2)
	back = int64(d.uvarint())
	baseLen = int64(d.uvarint())
	w = &wrapping{prefix: []byte(d.string()), suffix: []byte(d.string())}
	if d.err != nil || d.pos != len(payload) || m.MID <= 0 || m.Kind > KindTDC || back <= 0 || baseLen < 0 || baseLen > back {
		return Message{}, 0, 0, nil, errCorrupt
	}
	return m, back, baseLen, w, nil
}

// derivedEntry is a derived message riding in an Enqueue request.
type derivedEntry struct {
	ent    *entry
	recLen int64
}

// EnqueueWith stores m with body, and each of derived, whose body is
// body wrapped in its Prefix and Suffix, in one write: all are durable on
// return, or none is queued. A derived message's zero Size is set to its
// body's length. The queue keeps Prefix and Suffix (it reads them for
// Body): the caller must not change them afterwards.
func (q *Queue) EnqueueWith(m *Message, body []byte, derived ...Derived) error {
	return q.enqueue(m, body, derived, nil)
}

// enqueue is EnqueueWith, and with w the record that a delay warning (m)
// reported w's recipients, in the same write (warned.go).
func (q *Queue) enqueue(m *Message, body []byte, derived []Derived, w *Warned) error {
	msg, err := prepare(m, int64(len(body)), q.now)
	if err != nil {
		return err
	}
	extra := 0
	for _, d := range derived {
		extra += derivedRoom + len(d.Prefix) + len(d.Suffix)
	}
	rec, bodyOff := encodeMessageCap(msg, body, extra)
	req := &request{
		ent:     &entry{msg: *copyMessage(msg), bodyLen: int64(len(body))},
		bodyOff: bodyOff,
		done:    make(chan error, 1),
	}
	msgs := []*Message{msg}
	for _, d := range derived {
		dm, err := prepare(d.Msg, int64(len(d.Prefix)+len(body)+len(d.Suffix)), q.now)
		if err != nil {
			return err
		}
		drec := encodeDerived(dm, int64(len(rec)-bodyOff), len(body), d.Prefix, d.Suffix)
		rec = append(rec, drec...)
		w := &wrapping{prefix: d.Prefix, suffix: d.Suffix}
		req.derived = append(req.derived, derivedEntry{
			ent:    &entry{msg: *copyMessage(dm), bodyLen: int64(len(body)), wrap: w},
			recLen: int64(len(drec)),
		})
		msgs = append(msgs, dm)
	}
	if w != nil {
		wrec := encodeWarned(w)
		rec = append(rec, wrec...)
		req.trailer = len(wrec)
	}
	req.rec = rec
	q.mu.Lock()
	if err := q.usableLocked(); err != nil {
		q.mu.Unlock()
		return err
	}
	for i, m := range msgs {
		if q.space.idsShort && !q.ids.reserved(ctrMID, m.MID) {
			q.mu.Unlock()
			return fmt.Errorf("%w: MID %d: its ID could not be reserved", ErrNoSpace, m.MID)
		}
		if _, ok := q.msgs[m.MID]; ok {
			q.mu.Unlock()
			return fmt.Errorf("queue: MID %d is already in the queue", m.MID)
		}
		if _, ok := q.enqueuing[m.MID]; ok {
			q.mu.Unlock()
			return fmt.Errorf("queue: MID %d is already being queued", m.MID)
		}
		for _, o := range msgs[:i] {
			if o.MID == m.MID {
				q.mu.Unlock()
				return fmt.Errorf("queue: MID %d is given twice", m.MID)
			}
		}
	}
	for _, m := range msgs {
		q.enqueuing[m.MID] = struct{}{}
	}
	if w != nil {
		// Applied now, as Attempt does: the record is in the journal
		// before any later record about the message.
		if e, ok := q.msgs[w.MID]; ok {
			applyWarned(&e.msg, w.RIDs, w.At)
		}
	}
	q.submitLocked(req)
	notify := q.notify
	q.mu.Unlock()

	if err := <-req.done; err != nil {
		return err
	}
	if notify != nil {
		for _, m := range msgs {
			notify(m)
		}
	}
	return nil
}

// prepare checks m and returns the copy the queue keeps, with a zero
// Received set to now and a zero Size to size.
func prepare(m *Message, size int64, now func() time.Time) (*Message, error) {
	if err := checkMessage(m); err != nil {
		return nil, err
	}
	msg := copyMessage(m)
	if msg.Received.IsZero() {
		msg.Received = now()
	}
	if msg.Size == 0 {
		msg.Size = size
	}
	return msg, nil
}
