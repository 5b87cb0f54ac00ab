package segtest

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Terminal drives an interactive shell as a person at a terminal would:
// it types lines and waits for the prompt or a question. It reads an
// SSH channel with a pty, or the master side of the console's pty.
type Terminal struct {
	w io.Writer

	mu   sync.Mutex
	buf  strings.Builder // everything read, escape sequences, CRs and backspaces removed
	raw  []byte          // a partial escape sequence carried to the next read
	err  error           // why reading stopped
	more chan struct{}   // closed and replaced when data arrives
	mark int             // where the output not yet returned starts
}

// NewTerminal starts reading r; w is where typed lines go.
func NewTerminal(r io.Reader, w io.Writer) *Terminal {
	t := &Terminal{w: w, more: make(chan struct{})}
	go t.read(r)
	return t
}

// ansi matches the terminal control sequences readline writes (CSI
// sequences such as cursor moves and line clears).
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

func (t *Terminal) read(r io.Reader) {
	b := make([]byte, 4096)
	for {
		n, err := r.Read(b)
		t.mu.Lock()
		if n > 0 {
			data := append(t.raw, b[:n]...)
			t.raw = nil
			// Keep an unfinished escape sequence for the next read.
			if i := strings.LastIndexByte(string(data), 0x1b); i >= 0 && !ansi.Match(data[i:]) && len(data)-i < 16 {
				t.raw = append([]byte(nil), data[i:]...)
				data = data[:i]
			}
			clean := ansi.ReplaceAllString(string(data), "")
			t.buf.WriteString(strings.NewReplacer("\r", "", " \b", "", "\b", "").Replace(clean))
		}
		if err != nil {
			t.err = err
		}
		close(t.more)
		t.more = make(chan struct{})
		t.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Type sends line and Enter.
func (t *Terminal) Type(line string) error {
	_, err := io.WriteString(t.w, line+"\r")
	return err
}

// Press sends keys as typed, without Enter (a key at the paging
// prompt).
func (t *Terminal) Press(keys string) error {
	_, err := io.WriteString(t.w, keys)
	return err
}

// Interrupt sends Ctrl-C (ETX), as a person stopping tail does.
func (t *Terminal) Interrupt() error {
	_, err := t.w.Write([]byte{3})
	return err
}

// ErrTerminalClosed is returned by WaitFor when the session ended first.
var ErrTerminalClosed = errors.New("segtest: the terminal session ended")

// WaitFor waits until the output since the last WaitFor ends with one of
// prompts (trailing blanks aside), and returns that output and the index
// of the prompt. Output that ends with a prompt before the first line
// break is the echo of the line being typed, not a new prompt.
func (t *Terminal) WaitFor(timeout time.Duration, prompts ...string) (string, int, error) {
	deadline := time.After(timeout)
	for {
		t.mu.Lock()
		all := t.buf.String()
		out := all[t.mark:]
		more, rerr := t.more, t.err
		if nl := strings.IndexByte(out, '\n'); nl >= 0 {
			tail := strings.TrimRight(out[nl:], " ")
			for i, p := range prompts {
				if strings.HasSuffix(tail, strings.TrimRight(p, " ")) {
					t.mark = len(all)
					t.mu.Unlock()
					return out, i, nil
				}
			}
		}
		t.mu.Unlock()
		if rerr != nil {
			return out, -1, fmt.Errorf("%w (%v); output:\n%s", ErrTerminalClosed, rerr, out)
		}
		select {
		case <-more:
		case <-deadline:
			return out, -1, fmt.Errorf("segtest: no prompt %q after %v; output:\n%s", prompts, timeout, out)
		}
	}
}

// WaitText waits until the output since the last wait contains text,
// which need not end it (lines a command keeps printing, as tail does),
// and returns the output up to and including it.
func (t *Terminal) WaitText(timeout time.Duration, text string) (string, error) {
	deadline := time.After(timeout)
	for {
		t.mu.Lock()
		all := t.buf.String()
		out := all[t.mark:]
		more, rerr := t.more, t.err
		if i := strings.Index(out, text); i >= 0 {
			t.mark += i + len(text)
			t.mu.Unlock()
			return out[:i+len(text)], nil
		}
		t.mu.Unlock()
		if rerr != nil {
			return out, fmt.Errorf("%w (%v); output:\n%s", ErrTerminalClosed, rerr, out)
		}
		select {
		case <-more:
		case <-deadline:
			return out, fmt.Errorf("segtest: no %q after %v; output:\n%s", text, timeout, out)
		}
	}
}

// WaitStart waits for the first prompt of a new session (nothing was
// typed yet, so there is no echo to skip).
func (t *Terminal) WaitStart(timeout time.Duration, prompt string) (string, error) {
	deadline := time.After(timeout)
	for {
		t.mu.Lock()
		all := t.buf.String()
		more, rerr := t.more, t.err
		if strings.HasSuffix(strings.TrimRight(all, " "), strings.TrimRight(prompt, " ")) {
			t.mark = len(all)
			t.mu.Unlock()
			return all, nil
		}
		t.mu.Unlock()
		if rerr != nil {
			return all, fmt.Errorf("%w (%v); output:\n%s", ErrTerminalClosed, rerr, all)
		}
		select {
		case <-more:
		case <-deadline:
			return all, fmt.Errorf("segtest: no prompt %q after %v; output:\n%s", prompt, timeout, all)
		}
	}
}

// Output is everything the terminal has shown.
func (t *Terminal) Output() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
