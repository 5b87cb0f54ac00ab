package queue

import (
	"bytes"
	"testing"
)

func hotBytes(q *Queue) int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.hotBytes
}

// The first Body after the commit hands out the kept body; the caller
// owns it: changing it changes nothing the next Body reads.
func TestHotBodyIsHandedOutOnce(t *testing.T) {
	q := mustOpen(t, t.TempDir(), testOpts())
	defer q.Close()
	m := testMsg(q.NextMID(), 1)
	body := testBody(m.MID, 4096)
	enqueue(t, q, m, body)
	if got := hotBytes(q); got != int64(len(body)) {
		t.Fatalf("hot bytes %d after the commit, want %d", got, len(body))
	}
	first, err := q.Body(m.MID)
	if err != nil || !bytes.Equal(first, body) {
		t.Fatalf("first Body: %v, equal %v", err, bytes.Equal(first, body))
	}
	if got := hotBytes(q); got != 0 {
		t.Fatalf("hot bytes %d after Body took it", got)
	}
	first[0] ^= 0xff
	_ = append(first, "more"...)
	second, err := q.Body(m.MID)
	if err != nil || !bytes.Equal(second, body) {
		t.Fatalf("second Body (from the journal): %v, equal %v", err, bytes.Equal(second, body))
	}
}

// A message finished before anyone read its body lets its hot copy go,
// and a backlog keeps at most hotMax bytes hot.
func TestHotBodiesAreBounded(t *testing.T) {
	q := mustOpen(t, t.TempDir(), testOpts())
	defer q.Close()
	m := testMsg(q.NextMID(), 1)
	enqueue(t, q, m, testBody(m.MID, 1000))
	if err := q.Update(m.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
		t.Fatal(err)
	}
	if got := hotBytes(q); got != 0 {
		t.Fatalf("hot bytes %d after the message finished", got)
	}
	var mids []int64
	for range hotMax/(256<<10) + 4 {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, testBody(m.MID, 256<<10))
		mids = append(mids, m.MID)
		if got := hotBytes(q); got > hotMax {
			t.Fatalf("hot bytes %d, over hotMax %d", got, hotMax)
		}
	}
	for _, mid := range mids {
		checkBody(t, q, mid, testBody(mid, 256<<10))
	}
	if got := hotBytes(q); got != 0 {
		t.Fatalf("hot bytes %d after every body was read", got)
	}
}
