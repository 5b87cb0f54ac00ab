package shell

import (
	"io"
	"sync"
	"unicode/utf8"
)

// termInput is a terminal session's input, shared by readline and the
// pager. readline's reader goroutine reads ahead once a key other than
// Enter or Ctrl-C came, and its line editor works on what it read while
// no Readline runs; a key handed through readline would leave it
// reading, and racing the next Readline. So the paging prompt's key is
// taken here, before readline sees it: while the pager waits for a key,
// readline's reads wait.
type termInput struct {
	src io.ReadCloser

	mu      sync.Mutex
	cond    *sync.Cond
	buf     []byte // read from src, not yet taken
	err     error  // src's error, once buf is drained
	wantKey bool   // the pager waits: readline's reads wait too
	closed  bool
}

func newTermInput(src io.ReadCloser) *termInput {
	t := &termInput{src: src}
	t.cond = sync.NewCond(&t.mu)
	go t.pump()
	return t
}

// pump moves src's bytes into buf as they come.
func (t *termInput) pump() {
	b := make([]byte, 512)
	for {
		n, err := t.src.Read(b)
		t.mu.Lock()
		t.buf = append(t.buf, b[:n]...)
		if err != nil {
			t.err = err
		}
		t.cond.Broadcast()
		t.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Read is readline's: what is buffered, or src's error at the end.
func (t *termInput) Read(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for !t.closed && (t.wantKey || len(t.buf) == 0 && t.err == nil) {
		t.cond.Wait()
	}
	switch {
	case t.closed:
		return 0, io.EOF
	case len(t.buf) > 0:
		n := copy(p, t.buf)
		t.buf = t.buf[n:]
		return n, nil
	}
	return 0, t.err
}

// ReadKey waits for one key: a character, or a whole escape sequence
// (an arrow key) returned as ESC. The error is src's (io.EOF: the peer
// hung up) once nothing is left.
func (t *termInput) ReadKey() (rune, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.wantKey = true
	for !t.closed && len(t.buf) == 0 && t.err == nil {
		t.cond.Wait()
	}
	t.wantKey = false
	t.cond.Broadcast()
	switch {
	case t.closed:
		return 0, io.EOF
	case len(t.buf) == 0:
		return 0, t.err
	}
	r, n := utf8.DecodeRune(t.buf)
	if r == 0x1b {
		n = escapeLen(t.buf)
	}
	t.buf = t.buf[n:]
	return r, nil
}

// escapeLen is the length of the escape sequence at the start of b
// (ECMA-48: ESC [ or ESC O, parameters, one final byte 0x40-0x7e), or
// 1 for a lone ESC.
func escapeLen(b []byte) int {
	if len(b) < 2 || b[1] != '[' && b[1] != 'O' {
		return 1
	}
	for i := 2; i < len(b); i++ {
		if b[i] >= 0x40 && b[i] <= 0x7e {
			return i + 1
		}
	}
	return len(b)
}

// Close ends the input: waiting reads return io.EOF.
func (t *termInput) Close() error {
	t.mu.Lock()
	t.closed = true
	t.cond.Broadcast()
	t.mu.Unlock()
	return t.src.Close()
}
