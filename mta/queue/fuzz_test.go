package queue

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzRecover feeds arbitrary bytes to recovery as a journal segment:
// Open must not panic, and whatever it accepts must be usable.
func FuzzRecover(f *testing.F) {
	m := testMsg(1, 2)
	rec, _ := encodeMessage(m, []byte("Subject: hi\r\n\r\nbody\r\n"))
	f.Add(rec)
	att := encodeAttempt(1, []int{0, 1}, time.Unix(1_700_000_000, 0))
	upd := encodeUpdate(1, []Update{{RID: 0, State: Delivered}, {RID: 1, State: Attempted, LastError: "451"}})
	f.Add(append(append(append([]byte{}, rec...), att...), upd...))
	warned := encodeWarned(&Warned{MID: 1, RIDs: []int{1}, At: time.Unix(1_700_000_060, 0)})
	f.Add(append(append([]byte{}, rec...), warned...))
	f.Add(append(append([]byte{}, rec...), rec[:len(rec)/2]...))
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segName(1)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		q, err := Open(dir, Options{})
		if err != nil {
			return
		}
		defer q.Close()
		for _, m := range q.Recovered() {
			if _, err := q.Body(m.MID); err != nil {
				t.Fatalf("recovered MID %d without a readable body: %v", m.MID, err)
			}
		}
		// The queue accepts new mail after whatever it found.
		m := testMsg(q.NextMID(), 1)
		if err := q.Enqueue(m, []byte("x")); err != nil {
			t.Fatalf("Enqueue after recovery: %v", err)
		}
	})
}

// FuzzDecodeRecord runs the payload decoders on arbitrary bytes (fast, no
// disk): no panics, and a decoded message survives re-encoding.
func FuzzDecodeRecord(f *testing.F) {
	rec, _ := encodeMessage(testMsg(9, 3), []byte("body"))
	f.Add(rec[headerLen:])
	f.Add(encodeAttempt(9, []int{1, 2}, time.Unix(1, 2))[headerLen:])
	f.Add(encodeUpdate(9, []Update{{RID: 1, State: Expired, LastError: "x"}})[headerLen:])
	f.Add(encodeWarned(&Warned{MID: 9, RIDs: []int{2}, At: time.Unix(3, 4)})[headerLen:])
	warned := testMsg(9, 2)
	warned.Rcpts[1].Warnings, warned.Rcpts[1].LastWarned = 1, time.Unix(5, 6)
	wrec, _ := encodeMessage(warned, []byte("body"))
	f.Add(wrec[headerLen:])
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		payload := data[1:]
		switch data[0] {
		case recMessage:
			m, pos, n, err := decodeMessage(payload)
			if err != nil {
				return
			}
			// Positions may differ: the input may use overlong varints.
			again, bodyOff := encodeMessage(&m, payload[pos:pos+n])
			m2, _, _, err := decodeMessage(again[headerLen+1:])
			if err != nil || string(again[bodyOff:]) != string(payload[pos:pos+n]) {
				t.Fatalf("re-encoded message does not decode the same: %v", err)
			}
			checkMsg(t, &m2, &m)
		case recAttempt:
			decodeAttempt(payload)
		case recUpdate:
			decodeUpdate(payload)
		case recWarned:
			decodeWarned(payload)
		}
	})
}
