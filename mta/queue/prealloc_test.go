package queue

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
)

func fileSize(t *testing.T, q *Queue) int64 {
	t.Helper()
	q.mu.Lock()
	f := q.segs[len(q.segs)-1].f
	q.mu.Unlock()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// The head is written ahead with zeros; a crash leaves them, and the
// next Open ends the segment at them without a word and appends over
// them; a clean Close cuts them.
func TestZerosAheadOfTheRecords(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var logged []string
	opts := testOpts()
	opts.Logf = func(f string, a ...any) { mu.Lock(); logged = append(logged, fmt.Sprintf(f, a...)); mu.Unlock() }
	q := mustOpen(t, dir, opts)
	q.space.statfs = func(string) (int64, error) { return 1 << 40, nil }
	var want []int64
	for range 3 {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, testBody(m.MID, 4096))
		want = append(want, m.MID)
	}
	size, _ := headSizes(q)
	if got := fileSize(t, q); got < size+zeroChunk/2 {
		t.Fatalf("file %d bytes for %d bytes of records: no zeros written ahead", got, size)
	}
	b, err := os.ReadFile(q.segs[len(q.segs)-1].path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[size:], make([]byte, len(b)-int(size))) {
		t.Fatal("the bytes after the records are not zeros")
	}
	q.crash()

	q = mustOpen(t, dir, opts)
	if got := mids(q.Recovered()); !slices.Equal(got, want) {
		t.Fatalf("recovered %v, want %v", got, want)
	}
	m := testMsg(q.NextMID(), 1)
	enqueue(t, q, m, []byte("after the crash"))
	want = append(want, m.MID)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if len(logged) > 0 {
		t.Fatalf("recovery over zeros logged %q", logged)
	}
	q = mustOpen(t, dir, opts)
	defer q.Close()
	if got := mids(q.Recovered()); !slices.Equal(got, want) {
		t.Fatalf("after Close and Open: recovered %v, want %v", got, want)
	}
	checkBody(t, q, m.MID, []byte("after the crash"))
	size, _ = headSizes(q)
	if got := fileSize(t, q); got != size {
		t.Fatalf("after a clean Close the file is %d bytes, its records %d", got, size)
	}
}

// With less than zeroMinFree free, nothing is written ahead: the queue
// does not take space a nearly full disk needs.
func TestNoZerosAheadNearAFullDisk(t *testing.T) {
	q := mustOpen(t, t.TempDir(), testOpts())
	defer q.Close()
	q.space.statfs = func(string) (int64, error) { return zeroMinFree - 1, nil }
	m := testMsg(q.NextMID(), 1)
	enqueue(t, q, m, testBody(m.MID, 4096))
	if size, _ := headSizes(q); fileSize(t, q) != size {
		t.Fatalf("file %d bytes for %d bytes of records", fileSize(t, q), size)
	}
}
