package queue

import (
	"slices"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestReclaimAndCompact: a long-lived message in the first segment must
// not pin the journal. Finished traffic flows past it; the queue keeps
// only a few segments, and the long-lived message keeps its body and its
// recipient states, live and after a crash.
func TestReclaimAndCompact(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSize: 16 << 10}
	q := mustOpen(t, dir, opts)

	long := testMsg(q.NextMID(), 2)
	enqueue(t, q, long, testBody(long.MID, 3000))
	next := time.Unix(1_760_000_000, 0)
	if err := q.Attempt(long.MID, []int{0}, next); err != nil {
		t.Fatal(err)
	}
	if err := q.Update(long.MID, []Update{{RID: 0, State: Attempted, NextAttempt: next, LastError: "421 busy"}}); err != nil {
		t.Fatal(err)
	}
	want, _ := q.Get(long.MID)

	maxSegs := 0
	for i := range 400 {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, testBody(m.MID, 1000))
		if err := q.Update(m.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			// Long-lived messages keep changing while they are copied.
			if err := q.Attempt(long.MID, []int{1}, next.Add(time.Duration(i))); err != nil {
				t.Fatal(err)
			}
			want, _ = q.Get(long.MID)
		}
		maxSegs = max(maxSegs, q.Stats().Segments)
	}
	// 400 KiB went through 16 KiB segments: without reclamation there
	// would be ~28 of them.
	if maxSegs > 8 {
		t.Fatalf("up to %d segments alive; reclamation is not keeping up", maxSegs)
	}
	segtest.Wait(t, 10*time.Second, "compaction to settle", func() bool {
		s := q.Stats()
		return s.Segments <= 3 && s.DiskBytes <= 3*opts.SegmentSize
	})
	checkBody(t, q, long.MID, testBody(long.MID, 3000))
	if got, _ := q.Get(long.MID); got.Rcpts[1].Attempts != 8 {
		t.Fatalf("long-lived message: %+v", got.Rcpts)
	}
	if nums, err := listSegments(dir); err != nil || nums[0] == 1 {
		t.Fatalf("segments on disk %v (%v): the first one should be gone", nums, err)
	}

	if err := q.Sync(); err != nil { // the last Delivered update
		t.Fatal(err)
	}
	q.crash()
	q = mustOpen(t, dir, opts)
	defer q.Close()
	rec := q.Recovered()
	if !slices.Equal(mids(rec), []int64{long.MID}) {
		t.Fatalf("recovered %v, want only the long-lived %d", mids(rec), long.MID)
	}
	checkMsg(t, rec[0], want)
	checkBody(t, q, long.MID, testBody(long.MID, 3000))
}

// TestBodyDuringCompaction reads bodies while compaction moves them and
// deletes their old segments.
func TestBodyDuringCompaction(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, Options{SegmentSize: 8 << 10})
	defer q.Close()
	var keep []int64
	for range 5 {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, testBody(m.MID, 700))
		keep = append(keep, m.MID)
	}
	stop := make(chan struct{})
	done := make(chan error)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, mid := range keep {
				b, err := q.Body(mid)
				if err != nil || string(b) != string(testBody(mid, 700)) {
					done <- err
					return
				}
			}
		}
	}()
	for range 300 {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, testBody(m.MID, 900))
		if err := q.Update(m.MID, []Update{{RID: 0, State: HardBounced}}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err, bad := <-done; bad {
		t.Fatalf("Body during compaction: wrong body or error %v", err)
	}
	if nums, _ := listSegments(dir); nums[0] == 1 {
		t.Fatal("compaction never removed the first segment")
	}
}

// TestYoungMessagesStay: compaction leaves messages younger than
// compactMinAge where they are (they normally finish soon: a journal
// copy held back during a burst, say), so a mostly dead segment stays
// until they finish or grow old; then it moves them and the segment goes.
func TestYoungMessagesStay(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	now := testNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	opts := Options{SegmentSize: 16 << 10, Now: clock}
	q := mustOpen(t, dir, opts)
	defer q.Close()
	young := testMsg(q.NextMID(), 1)
	young.Received = time.Time{} // stamped by the queue: now
	enqueue(t, q, young, testBody(young.MID, 2000))
	for range 100 {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, testBody(m.MID, 1000))
		if err := q.Update(m.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Sync(); err != nil {
		t.Fatal(err)
	}
	if nums, err := listSegments(dir); err != nil || nums[0] != 1 {
		t.Fatalf("segments %v (%v): the first, holding a young message, was compacted away", nums, err)
	}
	mu.Lock()
	now = now.Add(compactMinAge)
	mu.Unlock()
	// The next writer round finds it old enough.
	for range 5 {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, testBody(m.MID, 1000))
		if err := q.Update(m.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
			t.Fatal(err)
		}
	}
	segtest.Wait(t, 10*time.Second, "the first segment to go", func() bool {
		nums, err := listSegments(dir)
		return err == nil && nums[0] != 1
	})
	checkBody(t, q, young.MID, testBody(young.MID, 2000))
}
