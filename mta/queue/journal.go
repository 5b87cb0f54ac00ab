package queue

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The journal is a sequence of append-only segment files
// DIR/journal-NNNNNN.log. Only the last one (the head) is written; one
// writer goroutine owns it and commits every record handed to it in
// groups: one write (or a few, for large bodies), one fdatasync, then all
// waiters are acknowledged. Throughput is then bounded by bytes, not by
// the disk's fsync rate.
//
// A batch that nobody waits on (only Update records, which promise
// durability "with the next group commit") is written at once, so kill -9
// keeps it as before, but not fdatasynced: the next batch that somebody
// waits on (an Enqueue's 250, an Attempt, a Sync) syncs it with its own
// records, and lazySync bounds how long it stays unsynced when none comes.
// Under load that saves the fdatasync of every delivery result.

const (
	segPrefix          = "journal-"
	segSuffix          = ".log"
	defaultSegmentSize = 64 << 20
	// Records at least this large are written straight from their own
	// buffer rather than copied into the batch buffer.
	bigRecord = 256 << 10
	// lazySync bounds how long a batch nobody waits on stays written but
	// not fdatasynced (a power cut in that window delivers its messages
	// again, as Update allows; it never loses one).
	lazySync = 50 * time.Millisecond
)

// segment is one journal file.
type segment struct {
	num  int
	path string
	f    *os.File
	size int64 // bytes of valid records; written by the writer under Queue.mu
	// synced is the size at the last fdatasync: bytes beyond it are
	// Update records a power cut may lose (written by the writer under
	// Queue.mu).
	synced int64
	// zeroed is where the zeros written ahead of the records end
	// (prealloc.go; writer only).
	zeroed int64

	// Unfinished messages whose latest full copy is in this segment, and
	// the bytes of those records. A segment can go when it is the oldest
	// and this is empty: every record in it then concerns finished or
	// relocated messages, and later segments only hold newer records.
	live      map[int64]*entry
	liveBytes int64
}

func segName(num int) string { return fmt.Sprintf("%s%06d%s", segPrefix, num, segSuffix) }

// listSegments returns the segment numbers in DIR, oldest first.
func listSegments(dir string) ([]int, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("queue: cannot list %s: %w", dir, err)
	}
	var nums []int
	for _, de := range des {
		name := de.Name()
		if !de.Type().IsRegular() || !strings.HasPrefix(name, segPrefix) || !strings.HasSuffix(name, segSuffix) {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, segPrefix), segSuffix))
		if err != nil || n <= 0 {
			continue
		}
		nums = append(nums, n)
	}
	sort.Ints(nums)
	return nums, nil
}

// request is one unit handed to the writer.
type request struct {
	rec     []byte         // framed record; nil for a Sync barrier
	ent     *entry         // for message records: the entry to index once durable
	bodyOff int            // offset of the body within rec
	reloc   bool           // a compaction copy of an indexed message
	derived []derivedEntry // derived messages whose records follow ent's in rec (EnqueueWith)
	trailer int            // bytes at the end of rec that index nothing (a recWarned, warned.go)
	stamp   bool           // the batch's stamp (stamp.go): made anew for each batch
	done    chan error
}

// poke wakes the writer; the channel has capacity 1, so a burst of calls
// costs one wake-up.
func (q *Queue) poke() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// submit hands req to the writer. The caller holds q.mu, so the record's
// place in the journal matches the order of the in-memory changes.
func (q *Queue) submitLocked(req *request) {
	q.pending = append(q.pending, req)
	q.poke()
}

// run is the writer goroutine.
func (q *Queue) run() {
	defer close(q.done)
	q.maintain()
	// lazy fires lazySync after records were first left unsynced, and
	// is not restarted by later writes: a steady stream of Updates
	// nobody waits on is still synced every lazySync.
	lazyT := time.NewTimer(lazySync)
	lazyT.Stop()
	defer lazyT.Stop()
	var lazy <-chan time.Time
	for {
		// Records kept from a batch the full filesystem refused are
		// written again after spaceRetry if nothing comes sooner.
		var retry <-chan time.Time
		q.mu.Lock()
		if len(q.space.retry) > 0 {
			retry = time.After(spaceRetry)
		}
		unsynced := q.unsyncedLocked()
		q.mu.Unlock()
		switch {
		case unsynced && lazy == nil:
			lazyT.Reset(lazySync)
			lazy = lazyT.C
		case !unsynced && lazy != nil:
			lazyT.Stop()
			lazy = nil
		}
		select {
		case <-q.kick:
			q.drain()
		case <-retry:
			q.drain()
		case <-lazy:
			lazy = nil
			q.syncHead()
		case <-q.stop:
			q.drain()
			q.syncHead()
			return
		}
	}
}

// drain commits until nothing is pending.
func (q *Queue) drain() {
	var spare []*request
	for {
		q.mu.Lock()
		q.takeRetryLocked()
		batch := q.pending
		q.pending = spare[:0]
		crashed := q.crashed
		q.mu.Unlock()
		if len(batch) == 0 || crashed {
			return
		}
		full := !q.commit(batch)
		clear(batch)
		spare = batch
		if full {
			return // wait for a kick or spaceRetry, not spin on a full disk
		}
		q.maintain()
	}
}

// commit writes a batch, makes it durable, applies its effects on the
// index and acknowledges its waiters. It returns false when the write
// failed for lack of space (space.go).
func (q *Queue) commit(batch []*request) bool {
	q.mu.Lock()
	err := q.err
	head := q.segs[len(q.segs)-1]
	q.mu.Unlock()

	// data: the batch has bytes to write; wait: somebody waits for them
	// (or for a barrier) to be durable, or an index entry will point at
	// them (an enqueued or relocated message), so they are synced now.
	data, wait := false, false
	for _, r := range batch {
		data = data || r.rec != nil
		wait = wait || r.done != nil || r.ent != nil
	}
	var offs []int64
	var end int64
	if err == nil && !data && wait {
		err = q.syncHead() // a Sync barrier behind written, unsynced records
	}
	if err == nil && data {
		if head.size >= q.segMax {
			if nh, rerr := q.rotate(head); rerr != nil {
				err = rerr
			} else {
				head = nh
			}
		}
		if err == nil {
			if st := q.stampRequest(); st != nil {
				batch = append(batch, st)
			}
			q.zeroAhead(head, batchBytes(batch))
			offs, end, err = q.write(head, batch, wait)
		}
	}
	full := err != nil && noSpace(err)
	if full {
		err = q.commitFailedForSpace(head, batch, err)
	}

	q.mu.Lock()
	if err != nil && !full && q.err == nil {
		q.err = fmt.Errorf("queue: journal write failed, the queue accepts no more messages: %w", err)
		q.logf("%v", q.err)
	}
	if err == nil && data {
		q.wroteLocked(end - head.size)
		head.size = end
		if wait {
			head.synced = end
		}
	}
	for i, r := range batch {
		switch {
		case r.ent == nil:
		case r.reloc:
			q.relocating--
			if err == nil {
				q.relocate(r.ent, head, offs[i]+int64(r.bodyOff), int64(len(r.rec)))
			}
		default:
			delete(q.enqueuing, r.ent.msg.MID)
			for _, d := range r.derived {
				delete(q.enqueuing, d.ent.msg.MID)
			}
			if err != nil {
				break // offs is nil after a failed write: nothing to index
			}
			bodyOff := offs[i] + int64(r.bodyOff)
			recLen := int64(len(r.rec) - r.trailer)
			for _, d := range r.derived {
				recLen -= d.recLen
			}
			q.index(r.ent, head, bodyOff, recLen)
			q.keepHotLocked(r.ent, r.rec[r.bodyOff:int64(r.bodyOff)+r.ent.bodyLen])
			for _, d := range r.derived {
				q.index(d.ent, head, bodyOff, d.recLen)
			}
		}
	}
	if !full {
		err = q.err
	}
	q.mu.Unlock()

	for _, r := range batch {
		if r.done != nil {
			r.done <- err
		}
	}
	return !full
}

// write appends the batch to head and, when sync is set, fdatasyncs it.
// It returns each record's offset and the new end of the segment.
func (q *Queue) write(head *segment, batch []*request, sync bool) (offs []int64, end int64, err error) {
	offs = make([]int64, len(batch))
	pos := head.size
	need := 0
	for _, r := range batch {
		if len(r.rec) < bigRecord {
			need += len(r.rec)
		}
	}
	buf := q.buf[:0]
	if cap(buf) < need {
		// One allocation for the batch, not a doubling per append.
		buf = make([]byte, 0, need)
	}
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		_, err := head.f.WriteAt(buf, pos-int64(len(buf)))
		buf = buf[:0]
		return err
	}
	for i, r := range batch {
		offs[i] = pos
		if len(r.rec) < bigRecord {
			buf = append(buf, r.rec...)
			pos += int64(len(r.rec))
			continue
		}
		if err := flush(); err != nil {
			return nil, 0, err
		}
		if _, err := head.f.WriteAt(r.rec, pos); err != nil {
			return nil, 0, err
		}
		pos += int64(len(r.rec))
	}
	if err := flush(); err != nil {
		return nil, 0, err
	}
	if cap(buf) <= 4<<20 { // keep the buffer, unless a burst made it huge
		q.buf = buf
	}
	if !sync {
		return offs, pos, nil
	}
	if err := datasync(head.f); err != nil {
		return nil, 0, err
	}
	return offs, pos, nil
}

// unsyncedLocked reports whether the head holds written records not yet
// fdatasynced. The caller holds q.mu.
func (q *Queue) unsyncedLocked() bool {
	head := q.segs[len(q.segs)-1]
	return head.synced < head.size
}

// syncHead fdatasyncs the head when it holds records written without a
// sync (writer only). A failure makes the queue refuse further messages,
// as a failed group commit does.
func (q *Queue) syncHead() error {
	q.mu.Lock()
	head := q.segs[len(q.segs)-1]
	size := head.size
	if head.synced >= size || q.crashed {
		q.mu.Unlock()
		return nil
	}
	q.mu.Unlock()
	err := datasync(head.f)
	q.mu.Lock()
	if err == nil {
		head.synced = size
	} else {
		q.syncFailedLocked(err)
	}
	q.mu.Unlock()
	return err
}

// syncFailedLocked makes the queue refuse further messages after a
// failed fdatasync: Linux reports a writeback error to one fdatasync
// only, so a later one may succeed over lost data.
func (q *Queue) syncFailedLocked(err error) {
	if q.err == nil {
		q.err = fmt.Errorf("queue: journal sync failed, the queue accepts no more messages: %w", err)
		q.logf("%v", q.err)
	}
}

// rotate starts a new head segment. The directory is fsynced before any
// record goes into the new file, so an acknowledged record never sits in
// a file whose name a crash could lose.
func (q *Queue) rotate(old *segment) (*segment, error) {
	// Later fdatasyncs reach only the new head: what the old one holds
	// unsynced is synced now.
	if err := q.syncHead(); err != nil {
		return nil, err
	}
	if old.zeroed > old.size {
		// Sealed, the segment keeps its records only. Should the cut be
		// lost, recovery ends the segment at the zeros all the same.
		if err := old.f.Truncate(old.size); err == nil {
			old.zeroed = old.size
		}
	}
	seg, err := createSegment(q.dir, old.num+1)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.segs = append(q.segs, seg)
	q.mu.Unlock()
	return seg, nil
}

func createSegment(dir string, num int) (*segment, error) {
	path := filepath.Join(dir, segName(num))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot create journal segment: %w", err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return &segment{num: num, path: path, f: f, live: map[int64]*entry{}}, nil
}

// syncDir makes file creations, renames and removals in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// batchBytes is what writing batch appends.
func batchBytes(batch []*request) int64 {
	var n int64
	for _, r := range batch {
		n += int64(len(r.rec))
	}
	return n
}
