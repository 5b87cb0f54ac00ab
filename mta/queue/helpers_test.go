package queue

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var testNow = time.Unix(1_700_000_000, 123_000_000)

func testOpts() Options { return Options{Now: func() time.Time { return testNow }} }

func mustOpen(t testing.TB, dir string, opts Options) *Queue {
	t.Helper()
	var logs []string
	if opts.Logf == nil {
		opts.Logf = func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
	}
	q, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v (log: %q)", dir, err, logs)
	}
	return q
}

// testMsg builds a message with n recipients RID 0..n-1.
func testMsg(mid int64, n int) *Message {
	m := &Message{
		MID:       mid,
		ICID:      mid * 10,
		Kind:      KindNormal,
		From:      fmt.Sprintf("sender%d@example.org", mid),
		Received:  time.Unix(1_700_000_000+mid, 5),
		RemoteIP:  "127.0.0.1",
		Listener:  "IncomingMail",
		MessageID: fmt.Sprintf("<%d@example.org>", mid),
		Subject:   fmt.Sprintf("subject %d", mid),
		Policy:    "DEFAULT",
	}
	for i := range n {
		m.Rcpts = append(m.Rcpts, Recipient{RID: i, Addr: fmt.Sprintf("r%d@dest%d.example", i, i%2)})
	}
	return m
}

// testBody is deterministic in mid, so a test (or a crashed child
// process) can check a recovered body without keeping it.
func testBody(mid int64, size int) []byte {
	b := make([]byte, size)
	x := uint64(mid)*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

func enqueue(t testing.TB, q *Queue, m *Message, body []byte) {
	t.Helper()
	if err := q.Enqueue(m, body); err != nil {
		t.Fatalf("Enqueue MID %d: %v", m.MID, err)
	}
}

func checkBody(t testing.TB, q *Queue, mid int64, want []byte) {
	t.Helper()
	got, err := q.Body(mid)
	if err != nil {
		t.Fatalf("Body(%d): %v", mid, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Body(%d): %d bytes differ from the %d enqueued", mid, len(got), len(want))
	}
}

func checkMsg(t testing.TB, got, want *Message) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("message differs:\n got %+v\nwant %+v", got, want)
	}
}

func mids(ms []*Message) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.MID)
	}
	return out
}

func removeFile(dir, name string) error { return os.Remove(filepath.Join(dir, name)) }

func writeFile(dir, name string, b []byte) error {
	return os.WriteFile(filepath.Join(dir, name), b, 0o600)
}

// copyDir copies the regular files of src into a new temporary directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	des, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if !de.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, de.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
