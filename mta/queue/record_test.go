package queue

import (
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	m := testMsg(42, 3)
	m.Kind, m.Host, m.OrigMID, m.Size = KindTDC, "the.tdc.queue", 7, 11
	m.Rcpts[1].State, m.Rcpts[1].Attempts, m.Rcpts[1].NextAttempt, m.Rcpts[1].LastError = Attempted, 3, time.Unix(5, 6), "452 full"
	body := []byte("hello world")
	rec, bodyOff := encodeMessage(m, body)
	if string(rec[bodyOff:]) != string(body) {
		t.Fatalf("body offset %d does not point at the body", bodyOff)
	}
	got, pos, n, err := decodeMessage(rec[headerLen+1:])
	if err != nil || pos != bodyOff-headerLen-1 || n != len(body) {
		t.Fatalf("decode: pos %d n %d err %v", pos, n, err)
	}
	checkMsg(t, &got, m)

	next := time.Unix(1_700_000_000, 999_999_999)
	mid, rids, gotNext, err := decodeAttempt(encodeAttempt(42, []int{0, 2}, next)[headerLen+1:])
	if err != nil || mid != 42 || len(rids) != 2 || rids[1] != 2 || !gotNext.Equal(next) {
		t.Fatalf("attempt: %d %v %v %v", mid, rids, gotNext, err)
	}
	ups := []Update{{RID: 1, State: Expired, LastError: "expired"}, {RID: 2, State: Attempted, NextAttempt: next}}
	mid, gotUps, err := decodeUpdate(encodeUpdate(42, ups)[headerLen+1:])
	if err != nil || mid != 42 || len(gotUps) != 2 || gotUps[0] != ups[0] || !gotUps[1].NextAttempt.Equal(next) {
		t.Fatalf("update: %d %+v %v", mid, gotUps, err)
	}

	// Every truncation of a payload is rejected, never a panic.
	for _, r := range [][]byte{rec, encodeAttempt(42, []int{0, 2}, next), encodeUpdate(42, ups)} {
		p := r[headerLen+1:]
		for i := range len(p) {
			var err error
			switch r[headerLen] {
			case recMessage:
				_, _, _, err = decodeMessage(p[:i])
			case recAttempt:
				_, _, _, err = decodeAttempt(p[:i])
			case recUpdate:
				_, _, err = decodeUpdate(p[:i])
			}
			if err == nil {
				t.Fatalf("record type %d cut to %d of %d bytes decoded", r[headerLen], i, len(p))
			}
		}
	}
}
