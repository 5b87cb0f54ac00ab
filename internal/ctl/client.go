package ctl

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Dial connects to the control socket at path.
func Dial(path string) (net.Conn, error) {
	return net.DialTimeout("unix", path, 5*time.Second)
}

// NotRunning reports whether err from Dial means that no appliance is
// running: the socket does not exist, or nothing listens on it (a stale
// socket left by a crash). `seg cli` then works offline.
func NotRunning(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT) ||
		errors.Is(err, syscall.ECONNREFUSED)
}

// Run opens a session on conn with h and relays until the server sends
// the exit status, which it returns. stdin may be nil (nothing to send:
// end of input at once). Sizes received on resize are forwarded. Run
// closes conn before returning.
func Run(conn net.Conn, h Hello, stdin io.Reader, stdout, stderr io.Writer, resize <-chan Size) (int, error) {
	defer conn.Close()
	w := &lockedWriter{w: conn}
	if err := WriteJSON(w, FrameHello, h); err != nil {
		return ExitFail, fmt.Errorf("sending to the appliance: %w", err)
	}
	done := make(chan struct{})
	defer close(done)
	go sendInput(w, stdin)
	if resize != nil {
		go func() {
			for {
				select {
				case sz, ok := <-resize:
					if !ok {
						return
					}
					if WriteJSON(w, FrameResize, sz) != nil {
						return
					}
				case <-done:
					return
				}
			}
		}()
	}
	for {
		typ, p, err := ReadFrame(conn)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return ExitFail, errors.New("the appliance closed the connection without an exit status")
			}
			return ExitFail, fmt.Errorf("reading from the appliance: %w", err)
		}
		switch typ {
		case FrameStdout:
			stdout.Write(p)
		case FrameStderr:
			stderr.Write(p)
		case FrameExit:
			return parseExit(p)
		default:
			return ExitFail, fmt.Errorf("ctl: unexpected frame type %q from the appliance", typ)
		}
	}
}

// sendInput copies stdin into Stdin frames and ends with an EOF frame. It
// may outlive Run while blocked reading a terminal; the process exits
// soon after Run returns, and writes to the closed conn fail harmlessly.
func sendInput(w io.Writer, stdin io.Reader) {
	if stdin != nil {
		buf := make([]byte, 32<<10)
		for {
			n, err := stdin.Read(buf)
			if n > 0 {
				if WriteFrame(w, FrameStdin, buf[:n]) != nil {
					return
				}
			}
			if err != nil {
				break
			}
		}
	}
	WriteFrame(w, FrameEOF, nil)
}

// lockedWriter serialises frames written by several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
