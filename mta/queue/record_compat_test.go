package queue

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// formatV1 rewrites a format-2 message record of m (Relayed false) as the
// format-1 record an earlier release wrote: no flags varint after the
// recipients.
func formatV1(t *testing.T, m *Message, body []byte) []byte {
	t.Helper()
	if m.Relayed {
		t.Fatal("formatV1: format 1 cannot say Relayed")
	}
	rec, bodyOff := encodeMessage(m, body)
	flagsAt := bodyOff - len(binary.AppendUvarint(nil, uint64(len(body)))) - 1
	if rec[flagsAt] != 0 {
		t.Fatalf("no zero flags byte at %d", flagsAt)
	}
	v1 := append(append([]byte{}, rec[:flagsAt]...), rec[flagsAt+1:]...)
	v1[headerLen+1] = 1
	return frame(v1)
}

// TestRecordRelayedFlag: Message.Relayed survives the journal, and a
// journal written before it existed (format 1) still opens, its
// messages read as not relayed.
func TestRecordRelayedFlag(t *testing.T) {
	m := testMsg(7, 2)
	m.Relayed = true
	rec, _ := encodeMessage(m, []byte("body"))
	got, _, _, err := decodeMessage(rec[headerLen+1:])
	if err != nil || !got.Relayed {
		t.Fatalf("Relayed did not round-trip: %+v, %v", got, err)
	}
	// An unknown flag is corruption, not silently dropped.
	bad, bodyOff := encodeMessage(m, []byte("body"))
	bad[bodyOff-2] = 0x04
	if _, _, _, err := decodeMessage(bad[headerLen+1:]); err == nil {
		t.Errorf("a record with an unknown flag decoded")
	}

	old := testMsg(8, 2)
	body := []byte("Subject: old\r\n\r\nold journal\r\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, segName(1)), formatV1(t, old, body), 0o600); err != nil {
		t.Fatal(err)
	}
	q := mustOpen(t, dir, testOpts())
	defer q.Close()
	rec1 := q.Recovered()
	if len(rec1) != 1 {
		t.Fatalf("recovered %d messages from a format-1 journal, want 1", len(rec1))
	}
	checkMsg(t, rec1[0], old)
	checkBody(t, q, 8, body)
	// New records next to old ones carry the flag.
	n := testMsg(q.NextMID(), 1)
	n.Relayed = true
	enqueue(t, q, n, []byte("x"))
	q.Close()
	q2 := mustOpen(t, dir, testOpts())
	defer q2.Close()
	for _, r := range q2.Recovered() {
		if r.Relayed != (r.MID == n.MID) {
			t.Errorf("MID %d Relayed %v after reopening", r.MID, r.Relayed)
		}
	}
}

// prevRelease is a message record as the release before delay warnings
// wrote it (format 2, flags Relayed only): MID 5 from a@src.test, RID 0
// b@dst.test attempted twice, body "body".
const prevRelease = "450000008f7e045c01020a06000a61407372632e746573740180c49fd50c00080000000000000001000a62406473742e74657374010201f0c59fd50c0009343531206c617465720104626f6479"

// TestRecordWarnedCompat: a journal of the release before delay warnings
// opens with its recipients never warned; warning state recorded next to
// it survives reopening; and a message that was never warned is still
// written byte for byte as that release wrote it.
func TestRecordWarnedCompat(t *testing.T) {
	old, err := hex.DecodeString(prevRelease)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, segName(1)), old, 0o600); err != nil {
		t.Fatal(err)
	}
	q := mustOpen(t, dir, testOpts())
	rec := q.Recovered()
	if len(rec) != 1 || !rec[0].Relayed || rec[0].Rcpts[0].Attempts != 2 || rec[0].Rcpts[0].Warnings != 0 || !rec[0].Rcpts[0].LastWarned.IsZero() {
		t.Fatalf("the previous release's record recovered as %+v", rec)
	}
	again, _ := encodeMessage(rec[0], []byte("body"))
	if hex.EncodeToString(again) != prevRelease {
		t.Errorf("an unwarned message is no longer written as before:\n got %x\nwant %s", again, prevRelease)
	}
	at := time.Unix(1_700_000_200, 0)
	if err := q.EnqueueWarning(&Message{MID: q.NextMID(), Kind: KindBounce, OrigMID: 5, Rcpts: []Recipient{{Addr: "a@src.test"}}},
		[]byte("delayed"), Warned{MID: 5, RIDs: []int{0}, At: at}); err != nil {
		t.Fatal(err)
	}
	q.Close()
	q = mustOpen(t, dir, testOpts())
	defer q.Close()
	if m, _ := q.Get(5); m.Rcpts[0].Warnings != 1 || !m.Rcpts[0].LastWarned.Equal(at) {
		t.Fatalf("warning state on an old record after reopening: %+v", m.Rcpts)
	}
}
