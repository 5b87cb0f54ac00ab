package msgheader

import (
	"bytes"
	"testing"
)

// FuzzSplit: the header walk runs on every message a client sends, so
// any bytes must split without a panic, and the fields must tile the
// header block exactly: in order, contiguous, each Raw the message's own
// bytes at Start, the block ending at an empty line or at the end.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("From: a@example.test\r\nSubject: hi\r\n there\r\n\r\nbody\r\n"))
	f.Add([]byte(" leading continuation\nno colon line\nX:\n\n"))
	f.Add([]byte("A: b\r\r\n\r\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, msg []byte) {
		fields, end := Split(msg)
		if end < 0 || end > len(msg) {
			t.Fatalf("end %d outside the message (%d bytes)", end, len(msg))
		}
		off := 0
		for i, fl := range fields {
			if fl.Start != off {
				t.Fatalf("field %d starts at %d, want %d (fields must be contiguous)", i, fl.Start, off)
			}
			if !bytes.Equal(fl.Raw, msg[fl.Start:fl.Start+len(fl.Raw)]) {
				t.Fatalf("field %d's Raw is not the message's bytes at %d", i, fl.Start)
			}
			if !fl.Is(fl.Name()) {
				t.Fatalf("field %d is not named %q", i, fl.Name())
			}
			_ = fl.Value()
			off += len(fl.Raw)
		}
		if off != end {
			t.Fatalf("fields end at %d, header block at %d", off, end)
		}
		if end < len(msg) {
			line := msg[end:]
			if i := bytes.IndexByte(line, '\n'); i >= 0 {
				line = line[:i+1]
			}
			if len(bytes.TrimRight(line, "\r\n")) != 0 {
				t.Fatalf("header block ends at %d before a non-empty line %q", end, line)
			}
		}
		// Each stopped by its callback stops at once and says so.
		n := 0
		if got := Each(msg, func(Field) bool { n++; return false }); len(fields) > 0 && (got != -1 || n != 1) {
			t.Fatalf("Each stopped after the first field returned %d after %d calls", got, n)
		}
	})
}
