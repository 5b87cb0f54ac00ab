package queue

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// recordOffsets walks a segment's framing and returns where each record starts.
func recordOffsets(t *testing.T, path string) (offs []int64, size int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(b); {
		offs = append(offs, int64(off))
		off += headerLen + int(binary.LittleEndian.Uint32(b[off:]))
	}
	return offs, int64(len(b))
}

// crashLayout enqueues A (attempted) and B, optionally finishes B with an
// unsynced Update, and stops without flushing more. It returns the dir
// and the expected state of A.
func crashLayout(t *testing.T, finishB bool) (dir string, a *Message) {
	dir = t.TempDir()
	q := mustOpen(t, dir, testOpts())
	a = testMsg(q.NextMID(), 2)
	enqueue(t, q, a, testBody(a.MID, 300))
	next := time.Unix(1_750_000_000, 0)
	if err := q.Attempt(a.MID, []int{1}, next); err != nil {
		t.Fatal(err)
	}
	b := testMsg(q.NextMID(), 1)
	enqueue(t, q, b, testBody(b.MID, 300))
	if finishB {
		if err := q.Update(b.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	a.Size = 300
	a.Rcpts[1].State, a.Rcpts[1].Attempts, a.Rcpts[1].NextAttempt = Attempted, 1, next
	return dir, a
}

// TestTornTail cuts the last segment at every byte of its final record, as
// a crash in the middle of the write would: Open never fails and never
// returns a partly written message, and the queue appends cleanly after.
func TestTornTail(t *testing.T) {
	for _, finishB := range []bool{false, true} {
		t.Run(fmt.Sprintf("finishB=%v", finishB), func(t *testing.T) {
			src, a := crashLayout(t, finishB)
			seg := filepath.Join(src, segName(1))
			offs, size := recordOffsets(t, seg)
			last := offs[len(offs)-1]
			for cut := last; cut <= size; cut++ {
				dir := copyDir(t, src)
				if err := os.Truncate(filepath.Join(dir, segName(1)), cut); err != nil {
					t.Fatal(err)
				}
				q := mustOpen(t, dir, testOpts())
				got := mids(q.Recovered())
				var want []int64
				switch {
				case !finishB && cut < size: // B's record torn: B was never acknowledged
					want = []int64{a.MID}
				case !finishB:
					want = []int64{a.MID, a.MID + 1}
				case cut < size: // the Delivered update torn: B comes back (a duplicate, not a loss)
					want = []int64{a.MID, a.MID + 1}
				default:
					want = []int64{a.MID}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("cut at %d of %d: recovered %v, want %v", cut, size, got, want)
				}
				checkMsg(t, q.Recovered()[0], a)
				checkBody(t, q, a.MID, testBody(a.MID, 300))
				if len(want) == 2 {
					checkBody(t, q, a.MID+1, testBody(a.MID+1, 300))
				}
				if cut%16 == 0 || cut == size {
					// The torn bytes are gone: new records follow good ones.
					c := testMsg(q.NextMID(), 1)
					enqueue(t, q, c, []byte("after the crash"))
					if err := q.Close(); err != nil {
						t.Fatal(err)
					}
					q = mustOpen(t, dir, testOpts())
					if got := mids(q.Recovered()); !slices.Equal(got, append(want, c.MID)) {
						t.Fatalf("cut at %d, after a new enqueue: recovered %v, want %v", cut, got, append(want, c.MID))
					}
					checkBody(t, q, c.MID, []byte("after the crash"))
				}
				q.Close()
			}
		})
	}
}

// TestCorruptTail flips each byte of the final record: a CRC-bad tail is
// dropped like a torn one.
func TestCorruptTail(t *testing.T) {
	src, a := crashLayout(t, false)
	offs, size := recordOffsets(t, filepath.Join(src, segName(1)))
	orig, err := os.ReadFile(filepath.Join(src, segName(1)))
	if err != nil {
		t.Fatal(err)
	}
	for pos := offs[len(offs)-1]; pos < size; pos += 7 {
		dir := copyDir(t, src)
		b := slices.Clone(orig)
		b[pos] ^= 0x5a
		if err := writeFile(dir, segName(1), b); err != nil {
			t.Fatal(err)
		}
		q := mustOpen(t, dir, testOpts())
		if got := mids(q.Recovered()); !slices.Equal(got, []int64{a.MID}) {
			t.Fatalf("byte %d flipped: recovered %v, want [%d]", pos, got, a.MID)
		}
		checkBody(t, q, a.MID, testBody(a.MID, 300))
		q.Close()
	}
}

// TestCorruptSealedSegment: damage inside an older segment is reported
// and skipped; the later segments are still recovered.
func TestCorruptSealedSegment(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSize: 2000}
	q := mustOpen(t, dir, opts)
	var all []int64
	for range 12 {
		m := testMsg(q.NextMID(), 1)
		enqueue(t, q, m, testBody(m.MID, 500))
		all = append(all, m.MID)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	offs, _ := recordOffsets(t, filepath.Join(dir, segName(1)))
	b, err := os.ReadFile(filepath.Join(dir, segName(1)))
	if err != nil {
		t.Fatal(err)
	}
	b[offs[1]+20] ^= 0xff // second record of the first segment
	if err := writeFile(dir, segName(1), b); err != nil {
		t.Fatal(err)
	}
	var logs []string
	opts.Logf = func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
	q = mustOpen(t, dir, opts)
	defer q.Close()
	got := mids(q.Recovered())
	if len(got) != len(all)-(len(offs)-1) || got[0] != all[0] || got[len(got)-1] != all[len(all)-1] {
		t.Fatalf("recovered %v of %v (first segment had %d records)", got, all, len(offs))
	}
	if len(logs) != 1 || !strings.Contains(logs[0], "sealed segment") {
		t.Fatalf("logs %q", logs)
	}
}
