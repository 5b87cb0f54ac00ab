package queue

import (
	"testing"
	"time"
)

// headSizes returns the head segment's written and synced sizes.
func headSizes(q *Queue) (size, synced int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	head := q.segs[len(q.segs)-1]
	return head.size, head.synced
}

// An Update nobody waits on is written at once and fdatasynced within
// lazySync, with no other commit to carry it.
func TestUpdateIsSyncedWithoutAWaiter(t *testing.T) {
	q := mustOpen(t, t.TempDir(), testOpts())
	defer q.Close()
	m := testMsg(q.NextMID(), 1)
	enqueue(t, q, m, []byte("x"))
	before, _ := headSizes(q)
	if err := q.Update(m.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		size, synced := headSizes(q)
		if size > before && synced == size {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("head at %d bytes, synced %d (was %d before the update)", size, synced, before)
		}
		time.Sleep(time.Millisecond)
	}
}

// Sync is a barrier for written but unsynced records, and an Enqueue's
// commit syncs the Updates written before it.
func TestWaitedCommitsSyncUpdatesWrittenBefore(t *testing.T) {
	q := mustOpen(t, t.TempDir(), testOpts())
	defer q.Close()
	for _, then := range []string{"sync", "enqueue"} {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, []byte("x"))
		if err := q.Update(m.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
			t.Fatal(err)
		}
		if then == "sync" {
			if err := q.Sync(); err != nil {
				t.Fatal(err)
			}
		} else {
			enqueue(t, q, testMsg(q.NextMID(), 1), []byte("y"))
		}
		if size, synced := headSizes(q); synced != size {
			t.Fatalf("after %s: head at %d bytes, synced only %d", then, size, synced)
		}
	}
}

// Rotation syncs the old head first: later fdatasyncs reach only the
// new one.
func TestRotationSyncsTheOldHead(t *testing.T) {
	q := mustOpen(t, t.TempDir(), Options{Now: testOpts().Now, SegmentSize: 4 << 10})
	defer q.Close()
	for range 20 {
		m := testMsg(q.NextMID(), 2) // one recipient stays: the segments stay live
		enqueue(t, q, m, testBody(m.MID, 1000))
		if err := q.Update(m.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
			t.Fatal(err)
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.segs) < 2 {
		t.Fatalf("%d segments, want a rotation", len(q.segs))
	}
	for _, s := range q.segs[:len(q.segs)-1] {
		if s.synced != s.size {
			t.Errorf("sealed segment %d: %d bytes, synced %d", s.num, s.size, s.synced)
		}
	}
}

// A steady stream of Updates nobody waits on (a bulk delete or bounce)
// is synced every lazySync while it lasts, not only once it stops: each
// write must not put the sync off again.
func TestSteadyUpdatesAreSyncedWhileTheyLast(t *testing.T) {
	q := mustOpen(t, t.TempDir(), testOpts())
	defer q.Close()
	var mids []int64
	for range 100 {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, []byte("x"))
		mids = append(mids, m.MID)
	}
	_, before := headSizes(q)
	// One Update every 5 ms for 500 ms: ten times lazySync.
	for _, mid := range mids {
		if err := q.Update(mid, []Update{{RID: 0, State: Delivered}}); err != nil {
			t.Fatal(err)
		}
		if _, synced := headSizes(q); synced > before {
			return
		}
		time.Sleep(5 * time.Millisecond) // the stream's pace, not a wait for a result
	}
	t.Fatalf("no fdatasync during 100 Updates over about 500 ms (lazySync %v): synced still %d", lazySync, before)
}
