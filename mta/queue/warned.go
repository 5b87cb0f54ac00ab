package queue

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Delay warnings (SPEC 11): while recipients stay queued, the sender may
// get a DSN saying so, at most send_warnings_count times a recipient.
// How many each recipient had must survive a crash, or a restart would
// repeat them. So the warning and its count go in one write: the warning
// message's record, then a recWarned record for the original's
// recipients, acknowledged together after one fsync. Only a crash in
// that write (kill -9 can cut a write at a page boundary; so can a power
// loss) can separate them: recovery drops the torn tail (recover.go),
// which may keep the warning and lose its count; the recipient is then
// warned once more at its next soft failure. That is at least once,
// narrowed to one torn write; a warning is never counted without being
// queued. The warning itself is delivered at least once, as any queued
// message is.

// Warned says that a delay warning reported recipients RIDs of message
// MID at At.
type Warned struct {
	MID  int64
	RIDs []int
	At   time.Time
}

// EnqueueWarning stores m, a delay warning, and records w on the message
// it reports on: Warnings+1 and LastWarned=w.At for each of w's
// recipients still active. Both are durable on return, or neither is
// queued.
func (q *Queue) EnqueueWarning(m *Message, body []byte, w Warned) error {
	if len(w.RIDs) == 0 {
		return fmt.Errorf("queue: a delay warning about MID %d names no recipients", w.MID)
	}
	return q.enqueue(m, body, nil, &w)
}

func encodeWarned(w *Warned) []byte {
	b := make([]byte, headerLen, headerLen+32+4*len(w.RIDs))
	b = append(b, recWarned)
	b = binary.AppendVarint(b, w.MID)
	b = appendTime(b, w.At)
	b = binary.AppendUvarint(b, uint64(len(w.RIDs)))
	for _, rid := range w.RIDs {
		b = binary.AppendVarint(b, int64(rid))
	}
	return frame(b)
}

func decodeWarned(payload []byte) (w Warned, err error) {
	d := decoder{b: payload}
	w.MID = d.varint()
	w.At = d.time()
	n := d.count()
	w.RIDs = make([]int, 0, n)
	for range n {
		w.RIDs = append(w.RIDs, int(d.varint()))
	}
	if d.err != nil || d.pos != len(payload) {
		return Warned{}, errCorrupt
	}
	return w, nil
}

// applyWarned counts a warning on m's recipients rids, as the live call
// and recovery both do; final recipients are left alone.
func applyWarned(m *Message, rids []int, at time.Time) {
	for _, rid := range rids {
		i := rcptIndex(m, rid)
		if i < 0 || m.Rcpts[i].State.Final() {
			continue
		}
		m.Rcpts[i].Warnings++
		m.Rcpts[i].LastWarned = at
	}
}
