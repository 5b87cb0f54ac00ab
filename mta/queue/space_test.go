package queue

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"seg/internal/segtest"
)

// smallFS is a new directory holding a tmpfs of size bytes: a real full
// filesystem, not a simulated one.
func smallFS(t *testing.T, size string) string {
	dir := filepath.Join(t.TempDir(), "fs")
	segtest.SmallFS(t, dir, size)
	return dir
}

// TestDiskFull: on a full filesystem Enqueue fails with ErrNoSpace and
// SpaceLow says so, while messages already queued keep their bodies; a
// delivery result recorded while full is kept and written once space
// returns; then messages are taken again, and everything survives a
// reopen.
func TestDiskFull(t *testing.T) {
	fs := smallFS(t, "256k")
	filler := filepath.Join(fs, "filler")
	if err := os.WriteFile(filler, make([]byte, 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(fs, "queue")
	q := mustOpen(t, dir, testOpts())
	t.Cleanup(func() { q.Close() }) // before the umount
	if q.SpaceLow(0) {
		t.Fatal("SpaceLow on an empty filesystem")
	}
	var queued []*Message
	var err error
	for range 100 {
		m := testMsg(q.NextMID(), 2)
		if err = q.Enqueue(m, testBody(m.MID, 20<<10)); err != nil {
			break
		}
		queued = append(queued, m)
	}
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Enqueue on a full filesystem: %v, want ErrNoSpace", err)
	}
	if len(queued) < 2 {
		t.Fatalf("only %d messages fit: the test needs some queued before the disk fills", len(queued))
	}
	if !q.SpaceLow(0) {
		t.Fatal("SpaceLow false after a write failed for space")
	}
	if m := testMsg(q.NextMID(), 1); q.Enqueue(m, testBody(m.MID, 20<<10)) == nil {
		t.Fatal("a second message was taken while the filesystem is still full")
	}
	for _, m := range queued {
		checkBody(t, q, m.MID, testBody(m.MID, 20<<10))
	}
	// A delivery result while full, to the last byte: applied now,
	// written later.
	rest := filepath.Join(fs, "rest")
	fillUp(t, rest)
	first := queued[0].MID
	// The soft bounce's long reply makes the record larger than the
	// slack in the segment's last page.
	long := strings.Repeat("451 try later ", 1000)
	if err := q.Update(first, []Update{{RID: 0, State: Delivered}, {RID: 1, State: Attempted, LastError: long}}); err != nil {
		t.Fatalf("Update while full: %v", err)
	}
	if err := q.Sync(); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Sync while full: %v, want ErrNoSpace", err)
	}

	for _, f := range []string{filler, rest} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if q.SpaceLow(0) {
		t.Fatal("SpaceLow still true after 64 KiB were freed")
	}
	if err := q.Sync(); err != nil {
		t.Fatalf("Sync after space returned: %v", err)
	}
	m := testMsg(q.NextMID(), 1)
	enqueue(t, q, m, testBody(m.MID, 20<<10))
	queued = append(queued, m)
	if err := q.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	q = mustOpen(t, dir, testOpts())
	t.Cleanup(func() { q.Close() })
	got := q.Recovered()
	if len(got) != len(queued) {
		t.Fatalf("recovered MIDs %v, want the %d acknowledged", mids(got), len(queued))
	}
	for i, r := range got {
		if r.MID != queued[i].MID {
			t.Fatalf("recovered MIDs %v", mids(got))
		}
		checkBody(t, q, r.MID, testBody(r.MID, 20<<10))
	}
	if got[0].Rcpts[0].State != Delivered || got[0].Rcpts[1].State != Attempted || got[0].Rcpts[1].LastError != long {
		t.Fatalf("MID %d recovered with %+v: the result recorded while full was lost", first, got[0].Rcpts)
	}
}

// fillUp writes path until the filesystem has no byte left.
func fillUp(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !noSpace(err) {
				t.Fatalf("filling %s: %v", path, err)
			}
			break
		}
	}
	for _, n := range []int{512, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
}

// TestDiskFullIDs: a MID block reservation that fails for lack of space
// does not stop the queue for good: messages are refused while the MID
// is not durably reserved, and taken again once a reservation fits.
func TestDiskFullIDs(t *testing.T) {
	fs := smallFS(t, "64k")
	dir := filepath.Join(fs, "queue")
	q := mustOpen(t, dir, testOpts())
	t.Cleanup(func() { q.Close() })
	enqueue(t, q, testMsg(q.NextMID(), 1), []byte("first"))
	rest := filepath.Join(fs, "rest")
	fillUp(t, rest)
	var mid int64
	for range idBlock {
		mid = q.NextMID() // crosses into a block the full disk cannot reserve
	}
	if err := q.Enqueue(testMsg(mid, 1), []byte("x")); !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), "could not be reserved") {
		t.Fatalf("Enqueue of an unreserved MID on a full disk: %v, want ErrNoSpace for the reservation", err)
	}
	if err := os.Remove(rest); err != nil {
		t.Fatal(err)
	}
	next := q.NextMID() // reserves a block again
	for _, m := range []int64{mid, next} {
		if err := q.Enqueue(testMsg(m, 1), []byte("after")); err != nil {
			t.Fatalf("Enqueue MID %d after space returned: %v", m, err)
		}
	}
}
