package queue

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Errors returned by the queue.
var (
	ErrClosed   = errors.New("queue: closed")
	ErrNotFound = errors.New("queue: no such message in the queue")
)

// Options configures a queue. The zero value is fine.
type Options struct {
	Now func() time.Time // nil: time.Now; stamps Received when the caller left it zero
	// SegmentSize is the journal size at which a new segment file starts
	// (0: 64 MiB). Small values are for tests.
	SegmentSize int64
	// Logf receives problems the queue worked around or gave up on (a
	// corrupt old segment, a failed journal write). nil: dropped.
	Logf func(format string, args ...any)
	// Stamper, if set, journals the caller's state with every group
	// commit (stamp.go).
	Stamper Stamper
}

// Queue is the durable mail queue. All methods are safe for concurrent use.
type Queue struct {
	dir    string
	now    func() time.Time
	logf   func(string, ...any)
	segMax int64
	lock   *os.File
	ids    *idCounters
	// stamper and stamp: stamp.go. stamp is the last one replayed.
	stamper Stamper
	stamp   []byte

	mu           sync.Mutex
	msgs         map[int64]*entry   // unfinished messages
	enqueuing    map[int64]struct{} // MIDs handed to the writer, not yet durable
	segs         []*segment         // oldest first; the last is the head
	pending      []*request         // records waiting for the writer
	liveBytes    int64              // sum of segs' liveBytes
	bodyBytes    int64              // bodies of unfinished messages
	activeRcpts  int                // non-final recipients of unfinished messages
	relocating   int                // compaction copies not yet committed
	hotBytes     int64              // bodies kept hot (hot.go)
	compactAfter time.Time          // no compaction before (compact.go); writer only
	recovered    []*Message         // snapshot at Open
	notify       func(*Message)     // SetNotify
	err          error              // sticky: the journal could not be written
	space        spaceState         // space.go: a full filesystem
	closed       bool
	crashed      bool   // test hook: stop as kill -9 would, without flushing
	buf          []byte // writer's batch buffer (writer only)
	kick         chan struct{}
	stop, done   chan struct{}
}

// entry is an unfinished message and where its body is.
type entry struct {
	msg     Message
	seg     *segment // holds the latest full copy of the message
	bodyOff int64
	bodyLen int64
	recLen  int64
	wrap    *wrapping // a derived message: its body is bodyLen bytes at bodyOff, wrapped (derived.go)
	hot     []byte    // the body as committed, until the first Body takes it (hot.go)
}

// Stats summarises the queue for `status` and metrics.
type Stats struct {
	Messages   int   // unfinished messages
	Recipients int   // active (unattempted or attempted) recipients
	Bytes      int64 // bodies of unfinished messages
	Segments   int   // journal files
	DiskBytes  int64 // size of the journal files
}

// Open opens (creating if needed) the queue in dir and recovers every
// unfinished message in it.
func Open(dir string, opts Options) (*Queue, error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("queue: cannot create %s: %w", dir, err)
		}
		// The new directory's own name must be durable too.
		if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
			return nil, fmt.Errorf("queue: cannot sync the parent of %s: %w", dir, err)
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	q := &Queue{
		dir:       dir,
		now:       opts.Now,
		logf:      opts.Logf,
		stamper:   opts.Stamper,
		segMax:    opts.SegmentSize,
		lock:      lock,
		msgs:      map[int64]*entry{},
		enqueuing: map[int64]struct{}{},
		kick:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	if q.now == nil {
		q.now = time.Now
	}
	q.space.statfs = statfsFree
	if q.logf == nil {
		q.logf = func(string, ...any) {}
	}
	if q.segMax <= 0 {
		q.segMax = defaultSegmentSize
	}
	if err := q.open(); err != nil {
		q.closeFiles()
		return nil, err
	}
	if q.stamper != nil {
		q.stamper.Recovered(q.stamp)
	}
	go q.run()
	return q, nil
}

func (q *Queue) open() error {
	ids, err := loadIDs(q.dir)
	if err != nil {
		return err
	}
	q.ids = ids
	if err := q.recover(); err != nil {
		return err
	}
	for _, e := range q.msgs {
		q.recovered = append(q.recovered, copyMessage(&e.msg))
	}
	slices.SortFunc(q.recovered, func(a, b *Message) int { return cmp.Compare(a.MID, b.MID) })
	return nil
}

// Recovered returns copies of the unfinished messages found at Open, in
// MID order: the caller schedules them for delivery.
func (q *Queue) Recovered() []*Message {
	out := make([]*Message, len(q.recovered))
	for i, m := range q.recovered {
		out[i] = copyMessage(m)
	}
	return out
}

// NextMID hands out a new message ID. IDs increase strictly, across
// restarts and crashes too.
func (q *Queue) NextMID() int64 { return q.nextID(ctrMID) }

// NextICID hands out a new injection (inbound) connection ID.
func (q *Queue) NextICID() int64 { return q.nextID(ctrICID) }

// NextDCID hands out a new delivery connection ID.
func (q *Queue) NextDCID() int64 { return q.nextID(ctrDCID) }

// nextID never fails: if the reservation cannot be made durable, the ID
// is still unique in this process and the queue stops accepting messages,
// so nothing durable ever carries a number a restart could reuse.
func (q *Queue) nextID(i int) int64 {
	id, err := q.ids.take(i)
	if err != nil && noSpace(err) {
		// Not a broken queue: messages beyond the durable reservation
		// are refused (enqueue) until a reservation fits again.
		q.mu.Lock()
		if !q.space.idsShort {
			q.logf("%v", err)
		}
		q.space.idsShort = true
		q.mu.Unlock()
		return id
	}
	if err == nil && i == ctrMID {
		q.mu.Lock()
		q.space.idsShort = false
		q.mu.Unlock()
	}
	if err != nil {
		q.mu.Lock()
		if q.err == nil {
			q.err = err
			q.logf("%v", err)
		}
		q.mu.Unlock()
	}
	return id
}

// CurrentIDs returns the last MID, ICID and DCID handed out (0: none yet
// in this process's blocks), for `status`.
func (q *Queue) CurrentIDs() (mid, icid, dcid int64) {
	c := q.ids.current()
	return c[ctrMID], c[ctrICID], c[ctrDCID]
}

// SetNotify sets a function called, with a copy of the message, after
// each Enqueue has become durable (the scheduler's hook). It runs on the
// enqueuing goroutine.
func (q *Queue) SetNotify(f func(*Message)) {
	q.mu.Lock()
	q.notify = f
	q.mu.Unlock()
}

// Body returns the message body as it was enqueued.
func (q *Queue) Body(mid int64) ([]byte, error) {
	// Compaction may move the message and delete its old segment between
	// the lookup and the read; the read then fails with os.ErrClosed and
	// the lookup is repeated. Each move needs a full writer round, so a
	// few tries always suffice.
	for try := 0; ; try++ {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return nil, ErrClosed
		}
		e, ok := q.msgs[mid]
		if !ok {
			q.mu.Unlock()
			return nil, fmt.Errorf("%w: MID %d", ErrNotFound, mid)
		}
		if b := q.takeHotLocked(e); b != nil {
			q.mu.Unlock()
			return b, nil
		}
		f, off, n, w := e.seg.f, e.bodyOff, e.bodyLen, e.wrap
		q.mu.Unlock()
		b, err := readBody(f, off, n, w)
		if errors.Is(err, os.ErrClosed) && try < 10 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("queue: cannot read the body of MID %d: %w", mid, err)
		}
		return b, nil
	}
}

// Get returns a copy of an unfinished message.
func (q *Queue) Get(mid int64) (*Message, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, ok := q.msgs[mid]
	if !ok {
		return nil, false
	}
	return copyMessage(&e.msg), true
}

// Messages returns copies of the unfinished messages in MID order.
func (q *Queue) Messages() []*Message {
	q.mu.Lock()
	out := make([]*Message, 0, len(q.msgs))
	for _, e := range q.msgs {
		out = append(out, copyMessage(&e.msg))
	}
	q.mu.Unlock()
	slices.SortFunc(out, func(a, b *Message) int { return cmp.Compare(a.MID, b.MID) })
	return out
}

// Stats returns the queue's sizes.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := Stats{
		Messages:   len(q.msgs),
		Recipients: q.activeRcpts,
		Bytes:      q.bodyBytes,
		Segments:   len(q.segs),
	}
	for _, seg := range q.segs {
		s.DiskBytes += seg.size
	}
	return s
}

// Close commits what is pending, stops the writer and closes the files.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	close(q.stop)
	<-q.done
	q.mu.Lock()
	err := q.err
	q.mu.Unlock()
	// A clean stop leaves the head's file at its records: the zeros
	// written ahead go (prealloc.go). Recovery would end the segment
	// at them anyway.
	if head := q.segs[len(q.segs)-1]; head.zeroed > head.size {
		head.f.Truncate(head.size)
	}
	if cerr := q.closeFiles(); err == nil {
		err = cerr
	}
	return err
}

// crash stops the queue the way kill -9 would: records not yet written
// are dropped, nothing is flushed. For tests that reopen the directory.
func (q *Queue) crash() {
	q.mu.Lock()
	q.closed, q.crashed = true, true
	for _, r := range q.pending {
		if r.done != nil {
			r.done <- ErrClosed
		}
	}
	q.pending = nil
	q.mu.Unlock()
	close(q.stop)
	<-q.done
	q.closeFiles()
}

func (q *Queue) closeFiles() error {
	var err error
	for _, seg := range q.segs {
		if cerr := seg.f.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := q.lock.Close(); err == nil {
		err = cerr
	}
	return err
}

func copyMessage(m *Message) *Message {
	c := *m
	c.Rcpts = slices.Clone(m.Rcpts)
	return &c
}
