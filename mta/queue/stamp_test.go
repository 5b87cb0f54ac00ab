package queue

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
)

// countStamper journals a counter the caller raises before each Enqueue,
// as seg counts a received message before queueing it.
type countStamper struct {
	n         atomic.Int64
	mu        sync.Mutex
	recovered []byte
	calls     int
}

func (s *countStamper) Recovered(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.recovered = append([]byte(nil), b...)
	if len(b) > 0 {
		v, _ := binary.Varint(b)
		s.n.Store(v)
	}
}

func (s *countStamper) Stamp() []byte { return binary.AppendVarint(nil, s.n.Load()) }

func (s *countStamper) value(t *testing.T) int64 {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls != 1 {
		t.Fatalf("Recovered called %d times, want once", s.calls)
	}
	if len(s.recovered) == 0 {
		return 0
	}
	v, n := binary.Varint(s.recovered)
	if n <= 0 {
		t.Fatalf("recovered stamp %x does not decode", s.recovered)
	}
	return v
}

// TestStampSurvivesCrash: every stamp counted before an Enqueue that
// returned is recovered after a crash (the writer drops nothing durable,
// but nothing after the last commit either), across segment rotation and
// the reclaiming of dead segments.
func TestStampSurvivesCrash(t *testing.T) {
	dir := t.TempDir()
	st := &countStamper{}
	opts := testOpts()
	opts.SegmentSize = 4 << 10 // rotate every few messages
	opts.Stamper = st
	q := mustOpen(t, dir, opts)
	if got := st.value(t); got != 0 {
		t.Fatalf("a new queue recovered stamp %d", got)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				m := testMsg(q.NextMID(), 1)
				st.n.Add(1)
				if err := q.Enqueue(m, testBody(m.MID, 700)); err != nil {
					t.Error(err)
					return
				}
				// Finished messages let reclaim delete old segments.
				if err := q.Update(m.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	acked := st.n.Load()
	if s := q.Stats(); s.Segments > 3 {
		t.Fatalf("%d segments: reclaim did not run, the test would not cover it", s.Segments)
	}
	q.crash()

	st2 := &countStamper{}
	opts.Stamper = st2
	q2 := mustOpen(t, dir, opts)
	defer q2.Close()
	if got := st2.value(t); got < acked {
		t.Fatalf("recovered stamp %d after a crash, below the %d counted before acknowledged enqueues", got, acked)
	}
}

// TestStampLatestWins: a reopened queue hands back the last stamp
// written, not an earlier one, and a journal written without a Stamper
// (every journal before stamps existed) recovers none.
func TestStampLatestWins(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	enqueue(t, q, testMsg(q.NextMID(), 1), []byte("x"))
	q.Close()

	st := &countStamper{}
	opts := testOpts()
	opts.Stamper = st
	q = mustOpen(t, dir, opts)
	if got := st.value(t); got != 0 || st.recovered != nil {
		t.Fatalf("a journal without stamps recovered %x", st.recovered)
	}
	for i := range 5 {
		st.n.Store(int64(100 + i))
		enqueue(t, q, testMsg(q.NextMID(), 1), []byte("y"))
	}
	q.Close()

	st2 := &countStamper{}
	opts.Stamper = st2
	q = mustOpen(t, dir, opts)
	defer q.Close()
	if got := st2.value(t); got != 104 {
		t.Fatalf("recovered stamp %d, want the last one written, 104", got)
	}
	if n := len(q.Recovered()); n != 6 {
		t.Fatalf("%d messages recovered, want 6: stamps must not disturb replay", n)
	}
}
