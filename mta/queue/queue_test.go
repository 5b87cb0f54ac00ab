package queue

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	var want []*Message
	for i := range 3 {
		m := testMsg(q.NextMID(), i+1)
		m.Kind = Kind(i)
		m.Host = strings.Repeat("h", i)
		m.OrigMID = int64(i)
		enqueue(t, q, m, testBody(m.MID, 1000*i))
		m.Size = int64(1000 * i)
		want = append(want, m)
	}
	// Received and Size are filled in when zero.
	m := testMsg(q.NextMID(), 1)
	m.Received = time.Time{}
	enqueue(t, q, m, []byte("hello"))
	if got, _ := q.Get(m.MID); !got.Received.Equal(testNow) || got.Size != 5 {
		t.Fatalf("defaults: Received %v Size %d, want %v and 5", got.Received, got.Size, testNow)
	}
	if m.Size != 0 || !m.Received.IsZero() {
		t.Fatalf("Enqueue modified the caller's message: %+v", m)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	rec := q.Recovered()
	if len(rec) != 4 {
		t.Fatalf("recovered MIDs %v, want 4 messages", mids(rec))
	}
	for i, w := range want {
		checkMsg(t, rec[i], w)
		checkBody(t, q, w.MID, testBody(w.MID, 1000*i))
	}
	checkBody(t, q, m.MID, []byte("hello"))
	if got := q.Messages(); !slices.Equal(mids(got), mids(rec)) {
		t.Fatalf("Messages %v, want %v", mids(got), mids(rec))
	}
	// Copies: changing one changes nothing in the queue.
	rec[0].Rcpts[0].State = Delivered
	if again := q.Recovered(); again[0].Rcpts[0].State != Unattempted {
		t.Fatal("Recovered returned shared recipient slices")
	}
	st := q.Stats()
	if st.Messages != 4 || st.Recipients != 1+2+3+1 || st.Bytes != 0+1000+2000+5 || st.Segments != 1 || st.DiskBytes == 0 {
		t.Fatalf("Stats %+v", st)
	}
}

func TestAttemptAndUpdate(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	m := testMsg(q.NextMID(), 3)
	enqueue(t, q, m, []byte("body"))
	next := time.Unix(1_800_000_000, 0)

	if err := q.Attempt(m.MID, []int{0, 1}, next); err != nil {
		t.Fatal(err)
	}
	// Attempt is durable on return: a crash now retries at next.
	q.crash()
	q = mustOpen(t, dir, testOpts())
	got, ok := q.Get(m.MID)
	if !ok {
		t.Fatal("message lost after Attempt and crash")
	}
	for i, r := range got.Rcpts {
		wantState, wantN := Attempted, 1
		if i == 2 {
			wantState, wantN = Unattempted, 0
		}
		if r.State != wantState || r.Attempts != wantN || (i < 2 && !r.NextAttempt.Equal(next)) {
			t.Fatalf("rcpt %d after Attempt: %+v", i, r)
		}
	}

	retry := next.Add(time.Hour)
	if err := q.Update(m.MID, []Update{
		{RID: 0, State: Delivered},
		{RID: 1, State: Attempted, NextAttempt: retry, LastError: "451 4.7.1 try later"},
	}); err != nil {
		t.Fatal(err)
	}
	// Applied in memory at once.
	got, _ = q.Get(m.MID)
	if got.Rcpts[0].State != Delivered || got.Rcpts[1].LastError != "451 4.7.1 try later" || !got.Rcpts[1].NextAttempt.Equal(retry) {
		t.Fatalf("after Update: %+v", got.Rcpts)
	}
	if st := q.Stats(); st.Recipients != 2 {
		t.Fatalf("active recipients %d, want 2", st.Recipients)
	}
	// A final recipient keeps its first final state; attempts leave it alone.
	if err := q.Update(m.MID, []Update{{RID: 0, State: HardBounced}}); err != nil {
		t.Fatal(err)
	}
	if err := q.Attempt(m.MID, nil, retry); err != nil {
		t.Fatal(err)
	}
	got, _ = q.Get(m.MID)
	if got.Rcpts[0].State != Delivered || got.Rcpts[0].Attempts != 1 || got.Rcpts[1].Attempts != 2 || got.Rcpts[2].Attempts != 1 {
		t.Fatalf("after second attempt: %+v", got.Rcpts)
	}
	// Errors leave the message unchanged.
	if err := q.Update(m.MID, []Update{{RID: 1, State: Delivered}, {RID: 7, State: Delivered}}); err == nil || !strings.Contains(err.Error(), "RID 7") {
		t.Fatalf("Update with an unknown RID: %v", err)
	}
	if err := q.Attempt(m.MID, []int{9}, next); err == nil {
		t.Fatal("Attempt with an unknown RID succeeded")
	}
	if err := q.Update(99, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Update of an unknown MID: %v", err)
	}
	if err := q.Sync(); err != nil {
		t.Fatal(err)
	}
	q.crash()
	q = mustOpen(t, dir, testOpts())
	got2, _ := q.Get(m.MID)
	checkMsg(t, got2, got)

	// Finishing: gone at once, and not recovered.
	if err := q.Update(m.MID, []Update{{RID: 1, State: Expired}, {RID: 2, State: Deleted}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := q.Get(m.MID); ok {
		t.Fatal("finished message still visible")
	}
	if _, err := q.Body(m.MID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Body of a finished message: %v", err)
	}
	if st := q.Stats(); st.Messages != 0 || st.Recipients != 0 || st.Bytes != 0 {
		t.Fatalf("Stats after finishing: %+v", st)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	if rec := q.Recovered(); len(rec) != 0 {
		t.Fatalf("finished message recovered: %v", mids(rec))
	}
}

func TestUnsyncedUpdateMayBeLostButNeverLosesMessage(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	m := testMsg(q.NextMID(), 1)
	enqueue(t, q, m, []byte("x"))
	if err := q.Update(m.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
		t.Fatal(err)
	}
	q.crash()
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	// Either the update made it (message finished) or the message comes
	// back for a duplicate delivery; both are allowed, an error is not.
	if rec := q.Recovered(); len(rec) > 1 || (len(rec) == 1 && rec[0].MID != m.MID) {
		t.Fatalf("recovered %v", mids(rec))
	}
}

func TestEnqueueErrors(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	m := testMsg(q.NextMID(), 2)
	enqueue(t, q, m, nil)
	dupRID := testMsg(q.NextMID(), 2)
	dupRID.Rcpts[1].RID = 0
	for _, c := range []struct {
		m    *Message
		want string
	}{
		{testMsg(0, 1), "invalid MID 0"},
		{testMsg(q.NextMID(), 0), "no recipients"},
		{dupRID, "RIDs must be distinct"},
		{m, "already in the queue"},
	} {
		if err := q.Enqueue(c.m, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Enqueue MID %d: %v, want %q", c.m.MID, err, c.want)
		}
	}
	if _, err := Open(dir, testOpts()); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open of an open queue: %v", err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := q.Enqueue(testMsg(100, 1), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after Close: %v", err)
	}
	if _, err := q.Body(m.MID); !errors.Is(err, ErrClosed) {
		t.Fatalf("Body after Close: %v", err)
	}
}

func TestNotify(t *testing.T) {
	q := mustOpen(t, t.TempDir(), testOpts())
	defer q.Close()
	var mu sync.Mutex
	var got []*Message
	q.SetNotify(func(m *Message) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	})
	m := testMsg(q.NextMID(), 1)
	enqueue(t, q, m, []byte("abc"))
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].MID != m.MID || got[0].Size != 3 {
		t.Fatalf("notified %+v", got)
	}
	got[0].Rcpts[0].State = Delivered // a copy: the queue must not see this
	if qm, _ := q.Get(m.MID); qm.Rcpts[0].State != Unattempted {
		t.Fatal("notify shared the queue's recipients")
	}
}

func TestConcurrentEnqueue(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	const workers, each = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				m := testMsg(q.NextMID(), 2)
				if err := q.Enqueue(m, testBody(m.MID, 512+int(m.MID%7)*100)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	q.crash() // acknowledged means durable, Close or not
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	rec := q.Recovered()
	if len(rec) != workers*each {
		t.Fatalf("recovered %d messages, want %d", len(rec), workers*each)
	}
	for _, m := range rec {
		checkBody(t, q, m.MID, testBody(m.MID, 512+int(m.MID%7)*100))
	}
}

func TestIDsIncreaseAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	var last [3]int64
	take := func(q *Queue, n int) {
		t.Helper()
		for range n {
			ids := [3]int64{q.NextMID(), q.NextICID(), q.NextDCID()}
			for i := range ids {
				if ids[i] <= last[i] {
					t.Fatalf("counter %d went from %d to %d", i, last[i], ids[i])
				}
			}
			last = ids
		}
		if mid, icid, dcid := q.CurrentIDs(); [3]int64{mid, icid, dcid} != last {
			t.Fatalf("CurrentIDs %d %d %d, want %v", mid, icid, dcid, last)
		}
	}
	take(q, 1)
	if last != [3]int64{1, 1, 1} {
		t.Fatalf("first IDs %v, want 1 1 1", last)
	}
	take(q, 1500) // crosses a block
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = mustOpen(t, dir, testOpts())
	take(q, 10)
	q.crash() // kill -9: no Close
	q = mustOpen(t, dir, testOpts())
	take(q, 1)
	q.crash()
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	take(q, 1)
}

func TestIDsSurviveLossOfIDFile(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	q.NextDCID() // writes the ID file
	m := testMsg(5000, 1)
	m.ICID = 7000
	enqueue(t, q, m, nil)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := removeFile(dir, idsFile); err != nil {
		t.Fatal(err)
	}
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	if mid, icid := q.NextMID(), q.NextICID(); mid <= 5000 || icid <= 7000 {
		t.Fatalf("after losing the ID file: MID %d ICID %d, want above the journal's 5000 and 7000", mid, icid)
	}
}

func TestDamagedIDFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	q.NextMID()
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir, idsFile, []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, testOpts()); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("Open with a damaged ID file: %v", err)
	}
	// The failed Open released its lock.
	if err := removeFile(dir, idsFile); err != nil {
		t.Fatal(err)
	}
	q = mustOpen(t, dir, testOpts())
	q.Close()
}

func TestBodyAfterReopenIsByteIdentical(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, Options{SegmentSize: 300 << 10})
	sizes := []int{0, 1, 4096, bigRecord - 100, bigRecord + 1, 1 << 20}
	var ms []int64
	for _, n := range sizes {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, testBody(m.MID, n))
		ms = append(ms, m.MID)
	}
	for i, mid := range ms {
		checkBody(t, q, mid, testBody(mid, sizes[i]))
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = mustOpen(t, dir, Options{SegmentSize: 300 << 10})
	defer q.Close()
	for i, mid := range ms {
		checkBody(t, q, mid, testBody(mid, sizes[i]))
	}
	if st := q.Stats(); st.Segments < 3 {
		t.Fatalf("%d segments, want rotation at 300 KiB", st.Segments)
	}
}

func TestCloseFlushesUpdates(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	var ms []int64
	for range 10 {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, []byte("x"))
		ms = append(ms, m.MID)
	}
	for _, mid := range ms[:5] {
		if err := q.Update(mid, []Update{{RID: 0, State: Delivered}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	if got := mids(q.Recovered()); !slices.Equal(got, ms[5:]) {
		t.Fatalf("recovered %v, want %v", got, ms[5:])
	}
	if got := fmt.Sprint(q.Stats().Messages); got != "5" {
		t.Fatalf("Stats.Messages %s", got)
	}
}
