package queue

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// A full filesystem is not a broken journal. A write or fdatasync that
// fails for lack of space (ENOSPC, or EDQUOT for a quota) fails the
// records of that batch alone: the segment is cut back to its last
// durable record, so nothing already queued is touched and the torn
// bytes cannot be mistaken for records; new messages are refused with
// ErrNoSpace (the SMTP server answers 452 4.3.1, RFC 3463); records
// about messages already queued (delivery results, attempts), whose
// effect is already in memory, are kept and written again when space
// returns; and the queue takes messages again as soon as a write fits.
// Any other write error still stops the queue (journal.go).

// ErrNoSpace wraps the error of an Enqueue refused because the queue's
// filesystem is full. It is temporary: the same message fits once space
// is freed.
var ErrNoSpace = errors.New("queue: insufficient storage")

// spaceRetry is how long the writer waits before writing the kept
// records again after a write found the filesystem full, when nothing
// else wakes it: long enough not to spin on a full disk, short enough
// that delivery results are durable soon after space returns.
const spaceRetry = time.Second

// maxSpaceNeed caps the free space that counts as "space has returned"
// after a failed write (spaceState.need).
const maxSpaceNeed = 1 << 20

// noSpace reports whether err says the filesystem (or the quota) is full.
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// spaceState is the queue's view of its filesystem's space (under q.mu).
type spaceState struct {
	// full: the last write failed for lack of space, and no write since
	// has succeeded. need is the size of that batch: statfs showing that
	// much free is taken as space having returned (SpaceLow).
	full bool
	need int64
	// retry holds records of a failed batch to write again.
	retry []*request
	// idsShort: a MID reservation failed for lack of space; a message
	// whose MID the durable reservation does not cover is refused, so
	// a crash can never hand its MID out again.
	idsShort bool
	// statfs is the filesystem query (a seam for tests).
	statfs func(dir string) (free int64, err error)
}

// SpaceLow reports whether the queue cannot take a message of size
// bytes now: the last write found the filesystem full and it still has
// less free than that write needed, or statfs shows less than size free
// (size 0: unknown, only the first test applies). The SMTP server asks
// at MAIL FROM, with the client's SIZE (RFC 1870), so that a client is
// told 452 before it sends a message that cannot be stored.
func (q *Queue) SpaceLow(size int64) bool {
	q.mu.Lock()
	full, need, statfs := q.space.full, q.space.need, q.space.statfs
	q.mu.Unlock()
	if !full && size <= 0 {
		return false
	}
	free, err := statfs(q.dir)
	if err != nil {
		return false // the write will tell
	}
	return (full && free < need) || (size > 0 && free < size)
}

// statfsFree is the bytes an unprivileged writer can still use in dir's
// filesystem.
func statfsFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// commitFailedForSpace handles a batch whose write failed for lack of
// space: it cuts head back to its durable size, keeps the records about
// queued messages for the next round, and returns the error for the
// waiters. The caller holds no lock.
func (q *Queue) commitFailedForSpace(head *segment, batch []*request, err error) error {
	head.zeroed = 0 // cut with the rest (prealloc.go)
	if terr := head.f.Truncate(head.size); terr != nil {
		// The torn tail stays; recovery drops it (its length or CRC is
		// wrong) and the next write overwrites it.
		q.logf("queue: cannot cut %s back to %d bytes after a failed write: %v", head.path, head.size, terr)
	}
	var need int64
	var keep []*request
	for _, r := range batch {
		need += int64(len(r.rec))
		if r.rec != nil && r.ent == nil && r.done == nil && !r.stamp {
			keep = append(keep, r)
		}
	}
	q.mu.Lock()
	if !q.space.full {
		q.logf("queue: the filesystem of %s is full: new messages are refused until space is freed: %v", q.dir, err)
	}
	// One huge message that did not fit must not hold back small ones
	// once a little space is free: they fit or fail on their own.
	q.space.full, q.space.need = true, min(need, maxSpaceNeed)
	q.space.retry = append(keep, q.space.retry...)
	q.mu.Unlock()
	return fmt.Errorf("%w: %v", ErrNoSpace, err)
}

// takeRetryLocked puts the kept records before the pending ones, in
// their journal order.
func (q *Queue) takeRetryLocked() {
	if len(q.space.retry) > 0 {
		q.pending = append(q.space.retry, q.pending...)
		q.space.retry = nil
	}
}

// wroteLocked notes a successful write of n bytes. Once a write as large
// as the one refused fits, the filesystem has room again; a smaller one
// (a delivery result) says nothing about the next message.
func (q *Queue) wroteLocked(n int64) {
	if q.space.full && n >= q.space.need {
		q.logf("queue: %s has space again: new messages are accepted", q.dir)
		q.space.full = false
	}
}
