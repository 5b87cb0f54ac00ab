package queue

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func warningMsg(mid, orig int64) *Message {
	return &Message{MID: mid, Kind: KindBounce, OrigMID: orig, Subject: "Delivery Status Notification (Delay)",
		Rcpts: []Recipient{{RID: 0, Addr: "sender@example.org"}}}
}

// TestRecordWarnedState: a recipient's warning count and time survive
// the envelope encoding (and so compaction's copies); a message never
// warned about encodes exactly as before delay warnings existed.
func TestRecordWarnedState(t *testing.T) {
	m := testMsg(7, 3)
	plain, _ := encodeMessage(m, []byte("body"))
	m.Rcpts[1].Warnings, m.Rcpts[1].LastWarned = 2, time.Unix(1_700_000_600, 7)
	rec, _ := encodeMessage(m, []byte("body"))
	got, _, _, err := decodeMessage(rec[headerLen+1:])
	if err != nil {
		t.Fatal(err)
	}
	checkMsg(t, &got, m)
	// Unwarned: the flags byte is 0, no warning fields follow.
	m.Rcpts[1].Warnings, m.Rcpts[1].LastWarned = 0, time.Time{}
	again, _ := encodeMessage(m, []byte("body"))
	if string(again) != string(plain) || len(rec) <= len(plain) {
		t.Errorf("an unwarned message's record changed: %d bytes, warned %d", len(again), len(rec))
	}
	w := Warned{MID: 7, RIDs: []int{0, 2}, At: time.Unix(1_700_000_600, 0)}
	wrec := encodeWarned(&w)
	gw, err := decodeWarned(wrec[headerLen+1:])
	if err != nil || gw.MID != 7 || len(gw.RIDs) != 2 || gw.RIDs[1] != 2 || !gw.At.Equal(w.At) {
		t.Fatalf("warned record: %+v, %v", gw, err)
	}
	for i := range len(wrec) - headerLen - 1 {
		if _, err := decodeWarned(wrec[headerLen+1 : headerLen+1+i]); err == nil {
			t.Fatalf("a warned record cut to %d bytes decoded", i)
		}
	}
}

// TestEnqueueWarningDurable: the warning message and the count on the
// original are durable together; the count survives a clean restart and
// a crash, on a journal that a release without delay warnings wrote.
func TestEnqueueWarningDurable(t *testing.T) {
	dir := t.TempDir()
	// A journal from before delay warnings: a format-1 message record
	// and an attempt.
	old := testMsg(8, 2)
	body := []byte("Subject: old\r\n\r\nold journal\r\n")
	seg := append(formatV1(t, old, body), encodeAttempt(8, []int{0, 1}, time.Unix(1_700_000_100, 0))...)
	if err := os.WriteFile(filepath.Join(dir, segName(1)), seg, 0o600); err != nil {
		t.Fatal(err)
	}
	q := mustOpen(t, dir, testOpts())
	rec := q.Recovered()
	if len(rec) != 1 || rec[0].Rcpts[0].Warnings != 0 || !rec[0].Rcpts[0].LastWarned.IsZero() || rec[0].Rcpts[0].Attempts != 1 {
		t.Fatalf("old journal recovered as %+v", rec)
	}
	at := time.Unix(1_700_000_700, 0)
	wm := warningMsg(q.NextMID(), 8)
	if err := q.EnqueueWarning(wm, []byte("delayed"), Warned{MID: 8, RIDs: []int{1}, At: at}); err != nil {
		t.Fatal(err)
	}
	if err := q.EnqueueWarning(warningMsg(q.NextMID(), 8), []byte("x"), Warned{MID: 8}); err == nil {
		t.Errorf("a warning about no recipient was queued")
	}
	check := func(q *Queue, when string) {
		t.Helper()
		m, ok := q.Get(8)
		if !ok || m.Rcpts[0].Warnings != 0 || m.Rcpts[1].Warnings != 1 || !m.Rcpts[1].LastWarned.Equal(at) {
			t.Fatalf("%s: MID 8 recipients %+v, want RID 1 warned once at %v", when, m.Rcpts, at)
		}
		if _, ok := q.Get(wm.MID); !ok {
			t.Fatalf("%s: the warning MID %d is not queued", when, wm.MID)
		}
		checkBody(t, q, wm.MID, []byte("delayed"))
	}
	check(q, "live")
	q.Close()
	q = mustOpen(t, dir, testOpts())
	check(q, "after a restart")
	// A second warning, then a crash without a clean close.
	at2 := at.Add(time.Hour)
	if err := q.EnqueueWarning(warningMsg(q.NextMID(), 8), []byte("again"), Warned{MID: 8, RIDs: []int{0, 1}, At: at2}); err != nil {
		t.Fatal(err)
	}
	q.crash()
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	m, _ := q.Get(8)
	if m.Rcpts[0].Warnings != 1 || m.Rcpts[1].Warnings != 2 || !m.Rcpts[1].LastWarned.Equal(at2) {
		t.Fatalf("after a crash: %+v", m.Rcpts)
	}
	// A final recipient is not counted.
	if err := q.Update(8, []Update{{RID: 0, State: Delivered}}); err != nil {
		t.Fatal(err)
	}
	if err := q.EnqueueWarning(warningMsg(q.NextMID(), 8), []byte("x"), Warned{MID: 8, RIDs: []int{0, 1}, At: at2}); err != nil {
		t.Fatal(err)
	}
	if m, _ := q.Get(8); m.Rcpts[0].Warnings != 1 || m.Rcpts[1].Warnings != 3 {
		t.Errorf("a delivered recipient was counted: %+v", m.Rcpts)
	}
}

// TestEnqueueWarningTorn: a crash that cuts the write after the warning
// message's record loses the count, never the warning (at least once).
func TestEnqueueWarningTorn(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOpts())
	orig := testMsg(q.NextMID(), 1)
	enqueue(t, q, orig, []byte("x"))
	wm := warningMsg(q.NextMID(), orig.MID)
	if err := q.EnqueueWarning(wm, []byte("delayed"), Warned{MID: orig.MID, RIDs: []int{0}, At: testNow}); err != nil {
		t.Fatal(err)
	}
	q.Close()
	path := filepath.Join(dir, segName(1))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Cut into the trailing recWarned record.
	if err := os.Truncate(path, fi.Size()-3); err != nil {
		t.Fatal(err)
	}
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	if _, ok := q.Get(wm.MID); !ok {
		t.Fatalf("the warning was lost with its count")
	}
	if m, _ := q.Get(orig.MID); m.Rcpts[0].Warnings != 0 {
		t.Fatalf("count %d survived a torn record", m.Rcpts[0].Warnings)
	}
}
