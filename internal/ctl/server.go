package ctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Shell is what the server needs from a shell session (*shell.Session).
type Shell interface {
	RunTerminal(in io.ReadCloser, out io.Writer) error
	RunOneShot(line string) error
	RunBatch(name string, r io.Reader) error
}

// Resizer is implemented by sessions that follow the window size.
type Resizer interface {
	Resize(width, height int)
}

// Opener starts a session for a Hello: it looks the user up in the
// running configuration (an unknown user is an error, shown to the
// client) and writes the session's output to stdout and stderr.
type Opener func(h Hello, stdout, stderr io.Writer) (Shell, error)

// ErrorPrinter tells whether a Run error was already shown to the user
// (the shell prints command errors itself). Errors it does not claim are
// written to stderr by the server.
type ErrorPrinter func(err error) bool

// Server serves the control socket.
type Server struct {
	Open    Opener
	Printed ErrorPrinter // may be nil: every error is printed
	Logf    func(format string, args ...any)

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	closed bool
}

// Listen creates the socket at path with mode 0600. A socket file left by
// a crashed appliance is removed; one that still answers means another
// appliance uses this data dir, which is an error.
//
// The socket never exists at path with a wider mode: it is bound inside
// a new directory of mode 0700 (where the umask gives it whatever mode,
// but nobody else can reach it), made 0600 there, and then renamed into
// place. Setting the umask instead would change it for the whole
// process, whose other goroutines create files meanwhile.
func Listen(path string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: another seg appliance is running on this data directory", path)
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket; remove it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing stale socket: %w", err)
		}
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".seg.sock-") // mode 0700
	if err != nil {
		return nil, fmt.Errorf("creating the control socket: %w", err)
	}
	defer os.RemoveAll(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(tmp, "s"), Net: "unix"})
	if err != nil {
		return nil, err
	}
	// The listener would remove its bind path on Close; after the
	// rename that path is gone, and path is removed by unixListener.
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(filepath.Join(tmp, "s"), 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.Rename(filepath.Join(tmp, "s"), path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("creating the control socket: %w", err)
	}
	return &unixListener{UnixListener: ln, path: path}, nil
}

// unixListener removes the socket file when closed, as a listener bound
// at its final path would.
type unixListener struct {
	*net.UnixListener
	path string
	keep bool // SetUnlinkOnClose(false)
	once sync.Once
}

// SetUnlinkOnClose is net.UnixListener's: whether Close removes the
// socket file.
func (l *unixListener) SetUnlinkOnClose(unlink bool) { l.keep = !unlink }

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	if !l.keep {
		l.once.Do(func() { os.Remove(l.path) })
	}
	return err
}

// Serve accepts connections on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return net.ErrClosed
	}
	s.ln = ln
	s.conns = map[net.Conn]struct{}{}
	s.mu.Unlock()
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.handle(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// Close stops accepting, ends open sessions (their input ends), and waits
// for them to finish.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// handle runs one session.
func (s *Server) handle(c net.Conn) {
	w := &lockedWriter{w: c}
	stdout := &frameWriter{w: w, typ: FrameStdout}
	stderr := &frameWriter{w: w, typ: FrameStderr}
	exit := func(code int) { WriteFrame(w, FrameExit, exitPayload(code)) }

	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, p, err := ReadFrame(c)
	c.SetReadDeadline(time.Time{})
	if err != nil {
		s.logf("control socket: reading hello: %v", err)
		return
	}
	var h Hello
	if typ != FrameHello || json.Unmarshal(p, &h) != nil {
		fmt.Fprintln(stderr, "seg: protocol error: the first frame must be a hello")
		exit(ExitUsage)
		return
	}
	switch h.Mode {
	case ModeTerminal, ModeOneShot, ModeBatch:
	default:
		fmt.Fprintf(stderr, "seg: unknown session mode %q (terminal, oneshot or batch)\n", h.Mode)
		exit(ExitUsage)
		return
	}
	sh, err := s.Open(h, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		exit(ExitFail)
		return
	}
	in := newInput(c, sh)
	if h.Width > 0 && h.Height > 0 {
		if r, ok := sh.(Resizer); ok {
			r.Resize(h.Width, h.Height)
		}
	}
	switch h.Mode {
	case ModeTerminal:
		err = sh.RunTerminal(in, stdout)
	case ModeOneShot:
		in.Close() // nothing to read; drain the client's EOF frame
		err = sh.RunOneShot(h.Command)
	case ModeBatch:
		name := h.File
		if name == "" {
			name = "-"
		}
		err = sh.RunBatch(name, in)
	}
	in.Close()
	code := ExitOK
	if err != nil {
		code = ExitFail
		if s.Printed == nil || !s.Printed(err) {
			fmt.Fprintln(stderr, err)
		}
	}
	exit(code)
}

// frameWriter sends writes as frames of one type.
type frameWriter struct {
	w   io.Writer
	typ byte
}

func (f *frameWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		chunk := p
		if len(chunk) > MaxPayload {
			chunk = chunk[:MaxPayload]
		}
		if err := WriteFrame(f.w, f.typ, chunk); err != nil {
			return n, err
		}
		n += len(chunk)
		p = p[len(chunk):]
	}
	return n, nil
}

// input is the session's stdin: Stdin frames from the client, until its
// EOF frame or the connection closing. Resize frames go to the session.
type input struct {
	pr   *io.PipeReader
	pw   *io.PipeWriter
	once sync.Once
}

func newInput(c net.Conn, sh Shell) *input {
	pr, pw := io.Pipe()
	in := &input{pr: pr, pw: pw}
	go func() {
		for {
			typ, p, err := ReadFrame(c)
			if err != nil {
				pw.Close()
				return
			}
			switch typ {
			case FrameStdin:
				// Blocks until the session reads: the client's data
				// waits in the socket buffer meanwhile (backpressure).
				if _, err := pw.Write(p); err != nil {
					// The session stopped reading; keep draining so
					// resize and EOF frames do not block the client.
					continue
				}
			case FrameEOF:
				pw.Close()
			case FrameResize:
				var sz Size
				if json.Unmarshal(p, &sz) == nil && sz.Width > 0 && sz.Height > 0 {
					if r, ok := sh.(Resizer); ok {
						r.Resize(sz.Width, sz.Height)
					}
				}
			}
		}
	}()
	return in
}

func (in *input) Read(p []byte) (int, error) { return in.pr.Read(p) }

// Close makes further writes from the client fail, so its frames are
// drained and dropped.
func (in *input) Close() error {
	in.once.Do(func() { in.pr.Close() })
	return nil
}
