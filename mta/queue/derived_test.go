package queue

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// copyOf is a derived message of base for the tests: KindTDC, one
// recipient, its body base's between a prefix and a suffix.
func copyOf(q *Queue, base *Message) Derived {
	m := testMsg(q.NextMID(), 1)
	m.Kind, m.Host, m.OrigMID = KindTDC, "the.tdc.queue", base.MID
	return Derived{
		Msg:    m,
		Prefix: []byte("prefix of " + strings.Repeat("p", int(m.MID%7)) + "\r\n"),
		Suffix: []byte("\r\n--suffix " + strings.Repeat("s", int(m.MID%5)) + "--\r\n"),
	}
}

func wrapped(d Derived, body []byte) []byte {
	return slices.Concat(d.Prefix, body, d.Suffix)
}

func TestEnqueueWithDerived(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	base := testMsg(q.NextMID(), 2)
	body := testBody(base.MID, 4000)
	d1, d2 := copyOf(q, base), copyOf(q, base)
	if err := q.EnqueueWith(base, body, d1, d2); err != nil {
		t.Fatal(err)
	}
	checkBody(t, q, base.MID, body)
	checkBody(t, q, d1.Msg.MID, wrapped(d1, body))
	checkBody(t, q, d2.Msg.MID, wrapped(d2, body))
	if got, _ := q.Get(d1.Msg.MID); got.Size != int64(len(wrapped(d1, body))) || got.OrigMID != base.MID {
		t.Errorf("derived message %+v", got)
	}
	st := q.Stats()
	if want := int64(len(body) + len(wrapped(d1, body)) + len(wrapped(d2, body))); st.Messages != 3 || st.Bytes != want {
		t.Errorf("stats %+v, want 3 messages of %d bytes", st, want)
	}
	// The body is written once: the journal holds it and two small
	// records, not three bodies.
	if st.DiskBytes > int64(len(body))+2048 {
		t.Errorf("journal is %d bytes for a %d-byte body and two copies of it", st.DiskBytes, len(body))
	}

	// The original finishes first; the copies keep reading its body,
	// now and after a restart.
	if err := q.Update(base.MID, []Update{{RID: 0, State: Delivered}, {RID: 1, State: Delivered}}); err != nil {
		t.Fatal(err)
	}
	if err := q.Update(d2.Msg.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
		t.Fatal(err)
	}
	if err := q.Sync(); err != nil {
		t.Fatal(err)
	}
	q.crash()
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	if got := mids(q.Recovered()); !slices.Equal(got, []int64{d1.Msg.MID}) {
		t.Fatalf("recovered %v, want only the unfinished copy %d", got, d1.Msg.MID)
	}
	checkBody(t, q, d1.Msg.MID, wrapped(d1, body))
	if st := q.Stats(); st.Bytes != int64(len(wrapped(d1, body))) {
		t.Errorf("recovered stats %+v", st)
	}
}

func TestEnqueueWithRefusesBadDerived(t *testing.T) {
	q := mustOpen(t, t.TempDir(), testOpts())
	defer q.Close()
	base := testMsg(q.NextMID(), 1)
	bad := copyOf(q, base)
	bad.Msg.Rcpts = nil
	if err := q.EnqueueWith(base, testBody(base.MID, 100), bad); err == nil {
		t.Fatal("a derived message without recipients was queued")
	}
	same := copyOf(q, base)
	same.Msg.MID = base.MID
	if err := q.EnqueueWith(base, testBody(base.MID, 100), same); err == nil {
		t.Fatal("a derived message with its base's MID was queued")
	}
	// Nothing of either attempt is in the queue.
	if st := q.Stats(); st.Messages != 0 {
		t.Fatalf("%d messages queued by refused calls", st.Messages)
	}
	if err := q.EnqueueWith(base, testBody(base.MID, 100), copyOf(q, base)); err != nil {
		t.Fatalf("the good call after the refused ones: %v", err)
	}
}

// TestDerivedSurvivesCompaction: copies outlive their originals while
// traffic flows past; compaction moves them as ordinary messages and the
// segment that held the original's body goes.
func TestDerivedSurvivesCompaction(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSize: 16 << 10}
	q := mustOpen(t, dir, opts)
	base := testMsg(q.NextMID(), 1)
	body := testBody(base.MID, 3000)
	d := copyOf(q, base)
	if err := q.EnqueueWith(base, body, d); err != nil {
		t.Fatal(err)
	}
	if err := q.Update(base.MID, []Update{{RID: 0, State: Delivered}}); err != nil {
		t.Fatal(err)
	}
	for range 300 {
		m := testMsg(q.NextMID(), 1)
		c := copyOf(q, m)
		b := testBody(m.MID, 1000)
		if err := q.EnqueueWith(m, b, c); err != nil {
			t.Fatal(err)
		}
		for _, mid := range []int64{m.MID, c.Msg.MID} {
			if err := q.Update(mid, []Update{{RID: 0, State: Delivered}}); err != nil {
				t.Fatal(err)
			}
		}
		checkBody(t, q, d.Msg.MID, wrapped(d, body))
	}
	segtest.Wait(t, 10*time.Second, "the first segment to go", func() bool {
		nums, err := listSegments(dir)
		return err == nil && nums[0] != 1
	})
	checkBody(t, q, d.Msg.MID, wrapped(d, body))
	if err := q.Sync(); err != nil {
		t.Fatal(err)
	}
	q.crash()
	q = mustOpen(t, dir, opts)
	defer q.Close()
	if got := mids(q.Recovered()); !slices.Equal(got, []int64{d.Msg.MID}) {
		t.Fatalf("recovered %v, want the copy %d", got, d.Msg.MID)
	}
	checkBody(t, q, d.Msg.MID, wrapped(d, body))
}

// TestTornDerivedRecord: a crash that cut the write after the original's
// record loses the copy and keeps the original (the client had no 250:
// it sends again, at least once).
func TestTornDerivedRecord(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	base := testMsg(q.NextMID(), 1)
	body := testBody(base.MID, 2000)
	d := copyOf(q, base)
	if err := q.EnqueueWith(base, body, d); err != nil {
		t.Fatal(err)
	}
	end, _ := headSizes(q) // the records' end; zeros written ahead follow (prealloc.go)
	q.crash()
	nums, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, segName(nums[len(nums)-1]))
	if err := os.Truncate(path, end-5); err != nil {
		t.Fatal(err)
	}
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	if got := mids(q.Recovered()); !slices.Equal(got, []int64{base.MID}) {
		t.Fatalf("recovered %v, want the original %d alone", got, base.MID)
	}
	checkBody(t, q, base.MID, body)
}

func TestDecodeDerivedRejects(t *testing.T) {
	m := testMsg(7, 1)
	good := encodeDerived(m, 100, 50, []byte("p"), []byte("s"))
	if _, _, _, _, err := decodeDerived(good[headerLen+1:]); err != nil {
		t.Fatalf("good record: %v", err)
	}
	for name, rec := range map[string][]byte{
		"body after the record":    encodeDerived(m, 0, 0, nil, nil),
		"body overlaps the record": encodeDerived(m, 10, 50, nil, nil),
		"trailing bytes":           append(slices.Clone(good), 0),
	} {
		if _, _, _, _, err := decodeDerived(rec[headerLen+1:]); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
