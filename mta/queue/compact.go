package queue

import (
	"cmp"
	"os"
	"slices"
	"time"
)

// Space reclamation. Segments are deleted oldest first only: a record in
// a later segment (an update, a relocated copy) may refer to a message
// whose full copy is in an earlier one, and the journal stays a correct
// history only if every suffix of it survives. So the oldest segment goes
// when no unfinished message has its latest full copy there; a message
// that lives long (a destination down for hours) would pin everything
// after it, so compaction copies such messages, with their current
// recipient states, to the head, and the old copy becomes dead.

// compactBudget bounds the bytes copied per writer round, so compaction
// never delays foreground commits by much.
const compactBudget = 8 << 20

// compactMinAge is how long a message must have been queued before
// compaction moves it. Nearly all mail leaves the queue within seconds,
// and a journal copy within its 120 s (mta/tdc); moving such a message
// copies bytes that are about to die, and during a burst of journaled
// mail, whose copies wait while the mail flows, it rewrote every copy.
// Compaction is for the messages that stay: a destination down for hours.
const compactMinAge = 3 * time.Minute

// maintain runs on the writer goroutine after each commit.
func (q *Queue) maintain() {
	q.reclaim()
	q.compact()
}

// reclaim deletes dead segments at the start of the journal.
func (q *Queue) reclaim() {
	q.mu.Lock()
	var dead []*segment
	for len(q.segs) > 1 && len(q.segs[0].live) == 0 {
		dead = append(dead, q.segs[0])
		q.segs = q.segs[1:]
	}
	q.mu.Unlock()
	if len(dead) == 0 {
		return
	}
	for _, seg := range dead {
		// A Body call may still hold the file: it gets os.ErrClosed and
		// looks the message up again.
		seg.f.Close()
		if err := os.Remove(seg.path); err != nil {
			q.logf("queue: cannot remove %s: %v", seg.path, err)
		}
	}
	// Make the removals durable now: a deleted segment coming back after
	// a crash, without the later ones it depended on, could resurrect
	// finished messages.
	if err := syncDir(q.dir); err != nil {
		q.logf("queue: cannot sync %s: %v", q.dir, err)
	}
}

// compact copies live messages out of the oldest segment when that is
// worth it: the segment is mostly dead, or the journal has grown well
// beyond what the live messages need (dead segments pinned behind it).
// Copying L live bytes of a segment frees at least as many dead ones, so
// the copying stays proportional to the new data written.
func (q *Queue) compact() {
	now := q.now()
	q.mu.Lock()
	if q.closed || q.err != nil || q.relocating > 0 || len(q.segs) < 2 || now.Before(q.compactAfter) {
		q.mu.Unlock()
		return
	}
	old := q.segs[0]
	var disk int64
	for _, seg := range q.segs {
		disk += seg.size
	}
	if old.liveBytes*2 >= old.size && disk <= 2*q.liveBytes+2*q.segMax {
		q.mu.Unlock()
		return
	}
	var todo []*entry
	var bytes int64
	var wake time.Time // when the youngest messages left behind are old enough
	for _, e := range old.live {
		if age := now.Sub(e.msg.Received); age >= 0 && age < compactMinAge {
			if t := e.msg.Received.Add(compactMinAge); wake.IsZero() || t.Before(wake) {
				wake = t
			}
			continue
		}
		todo = append(todo, e)
	}
	if len(todo) == 0 {
		// Only young messages pin the segment: look again when the first
		// of them is old enough (most will have finished by then).
		q.compactAfter = wake
		q.mu.Unlock()
		return
	}
	slices.SortFunc(todo, func(a, b *entry) int { return cmp.Compare(a.msg.MID, b.msg.MID) })
	for i, e := range todo {
		if bytes >= compactBudget {
			todo = todo[:i]
			break
		}
		bytes += e.recLen
	}
	type loc struct {
		off, n int64
		wrap   *wrapping
	}
	locs := make([]loc, len(todo))
	for i, e := range todo {
		locs[i] = loc{e.bodyOff, e.bodyLen, e.wrap}
	}
	q.mu.Unlock()

	// Bodies never change and only this goroutine deletes segments, so
	// they can be read without the lock.
	for i, e := range todo {
		// A derived message moves as an ordinary one, with its whole
		// body: the body it wraps stays behind in the old segment.
		body, err := readBody(old.f, locs[i].off, locs[i].n, locs[i].wrap)
		if err != nil {
			q.logf("queue: compaction cannot read MID %d from %s: %v", e.msg.MID, old.path, err)
			return
		}
		q.mu.Lock()
		if q.msgs[e.msg.MID] == e && e.seg == old && !q.closed {
			// Encoded under the lock, so the copy carries exactly the
			// state that the records queued before it produce.
			rec, bodyOff := encodeMessage(&e.msg, body)
			q.relocating++
			q.submitLocked(&request{rec: rec, ent: e, bodyOff: bodyOff, reloc: true})
		}
		q.mu.Unlock()
	}
}

// relocate points an entry at its new copy, once that is durable.
func (q *Queue) relocate(e *entry, seg *segment, bodyOff, recLen int64) {
	mid := e.msg.MID
	if q.msgs[mid] != e {
		return // finished meanwhile; the copy is dead already
	}
	old := e.seg
	delete(old.live, mid)
	old.liveBytes -= e.recLen
	q.liveBytes -= e.recLen
	e.seg, e.bodyOff, e.recLen = seg, bodyOff, recLen
	if e.wrap != nil {
		e.bodyLen, e.wrap = e.size(), nil
	}
	seg.live[mid] = e
	seg.liveBytes += recLen
	q.liveBytes += recLen
}
