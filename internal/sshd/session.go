package sshd

import (
	"fmt"
	"io"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Payloads of the session requests we serve (RFC 4254 section 6).
type ptyRequest struct { // 6.2
	Term   string
	Cols   uint32
	Rows   uint32
	Width  uint32
	Height uint32
	Modes  string
}

type windowChange struct { // 6.7
	Cols   uint32
	Rows   uint32
	Width  uint32
	Height uint32
}

type execRequest struct { // 6.5
	Command string
}

type exitStatus struct { // 6.10
	Status uint32
}

// session serves one session channel: requests until shell or exec, then
// the shell runs while window changes keep arriving.
func (s *Server) session(user, src string, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	var (
		pty   bool
		size  windowChange
		start *ssh.Request
		cmd   string
	)
	for start == nil {
		req, ok := <-reqs
		if !ok {
			return
		}
		switch req.Type {
		case "pty-req":
			var p ptyRequest
			if ssh.Unmarshal(req.Payload, &p) != nil {
				req.Reply(false, nil)
				continue
			}
			pty = true
			size = windowChange{Cols: p.Cols, Rows: p.Rows}
			req.Reply(true, nil)
		case "window-change":
			ssh.Unmarshal(req.Payload, &size)
		case "shell":
			start = req
		case "exec":
			var e execRequest
			if ssh.Unmarshal(req.Payload, &e) != nil {
				req.Reply(false, nil)
				continue
			}
			cmd, start = e.Command, req
		default: // env, x11-req, subsystem, agent forwarding: not served
			req.Reply(false, nil)
		}
	}
	start.Reply(true, nil)

	// Output goes through gates closed before the exit status is sent:
	// readline's goroutine may still redraw after the shell returned, and
	// nothing may write to the channel once it is being closed.
	stdoutGate, stderrGate := &gate{w: ch}, &gate{w: ch.Stderr()}
	var stdout, stderr io.Writer = stdoutGate, stderrGate
	if pty {
		// The client's terminal is raw, and there is no tty here to turn
		// "\n" into "\r\n": do it, and send errors in the same stream as
		// a terminal shows them.
		stdout = &crlfWriter{w: stdoutGate}
		stderr = stdout
	}
	exit := func(code int) {
		stdoutGate.close()
		stderrGate.close()
		s.exit(ch, code)
	}
	sh, err := s.Open(user, src, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		exit(1)
		return
	}
	resize := func(wc windowChange) {
		if r, ok := sh.(Resizer); ok && wc.Cols > 0 && wc.Rows > 0 {
			r.Resize(int(wc.Cols), int(wc.Rows))
		}
	}
	resize(size)
	go func() {
		for req := range reqs {
			if req.Type == "window-change" {
				var wc windowChange
				if ssh.Unmarshal(req.Payload, &wc) == nil {
					resize(wc)
				}
			}
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}()

	switch {
	case start.Type == "exec":
		err = sh.RunOneShot(cmd)
	case pty:
		err = sh.RunTerminal(nopCloser{ch}, stdout)
	default:
		err = sh.RunBatch("-", ch)
	}
	code := 0
	if err != nil {
		code = 1
		if s.Printed == nil || !s.Printed(err) {
			fmt.Fprintln(stderr, err)
		}
	}
	exit(code)
}

// exit sends the exit status and ends the channel's output.
func (s *Server) exit(ch ssh.Channel, code int) {
	ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{Status: uint32(code)}))
	ch.CloseWrite()
}

// gate passes writes through until closed, then drops them.
type gate struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, io.ErrClosedPipe
	}
	return g.w.Write(p)
}

// close waits for a write in progress and stops later ones.
func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// nopCloser hands the channel to the shell as its input without letting
// it close the channel: the exit status still has to be sent.
type nopCloser struct{ io.Reader }

func (nopCloser) Close() error { return nil }

// crlfWriter turns "\n" into "\r\n" unless the "\r" is already there.
type crlfWriter struct {
	mu   sync.Mutex
	w    io.Writer
	last byte
}

func (c *crlfWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	buf := make([]byte, 0, len(p)+len(p)/16+2)
	for _, b := range p {
		if b == '\n' && c.last != '\r' {
			buf = append(buf, '\r')
		}
		buf = append(buf, b)
		c.last = b
	}
	if _, err := c.w.Write(buf); err != nil {
		return 0, err
	}
	return len(p), nil
}
