package shell

import (
	"io"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestTermInputKey: a key the pager waits for is the pager's even when
// readline's reader already waits in a Read (it reads ahead); what comes
// after goes to readline. A key is whole: an arrow key's escape
// sequence, a multi-byte character.
func TestTermInputKey(t *testing.T) {
	r, w := io.Pipe()
	in := newTermInput(r)
	defer in.Close()

	got := make(chan string, 1)
	go func() {
		b := make([]byte, 16)
		n, _ := in.Read(b)
		got <- string(b[:n])
	}()
	keys := make(chan rune, 1)
	go func() {
		k, err := in.ReadKey()
		if err != nil {
			t.Error(err)
		}
		keys <- k
	}()
	if !segtest.Poll(5*time.Second, func() bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.wantKey
	}) {
		t.Fatal("ReadKey does not wait")
	}
	w.Write([]byte("x"))
	if k := <-keys; k != 'x' {
		t.Errorf("key %q, want x", k)
	}
	w.Write([]byte("help\r"))
	if s := <-got; s != "help\r" {
		t.Errorf("readline read %q, want the line typed after the key", s)
	}

	w.Write([]byte("\x1b[Aéq"))
	for _, want := range []rune{0x1b, 'é', 'q'} {
		if k, err := in.ReadKey(); err != nil || k != want {
			t.Errorf("key %q (%v), want %q", k, err, want)
		}
	}
	w.Close()
	if _, err := in.ReadKey(); err != io.EOF {
		t.Errorf("ReadKey at the end of input: %v, want io.EOF", err)
	}
}

func TestEscapeLen(t *testing.T) {
	for in, want := range map[string]int{"\x1b": 1, "\x1bx": 1, "\x1b[A": 3, "\x1bOP": 3, "\x1b[1;5Cz": 6, "\x1b[12": 4} {
		if got := escapeLen([]byte(in)); got != want {
			t.Errorf("escapeLen(%q) = %d, want %d", in, got, want)
		}
	}
}
