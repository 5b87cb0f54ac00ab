package segtest

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// Silent is a TCP server on 127.0.0.1 that accepts connections and never
// says a word: a receiver that is up and never answers for SMTP, so
// that only the client's own deadlines end its attempt.
type Silent struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// NewSilent starts a Silent server on a free loopback port; it stops, and
// closes its connections, when the test ends.
func NewSilent(t testing.TB) *Silent {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("silent server: %v", err)
	}
	s := &Silent{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(s.close)
	return s
}

// Addr is "host:port" of the server.
func (s *Silent) Addr() string { return s.ln.Addr().String() }

// Conns is how many connections it accepted.
func (s *Silent) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Open is how many of them the client has not closed: a read that times
// out finds the connection still there, one that ends (EOF, reset)
// finds it closed.
func (s *Silent) Open() int {
	s.mu.Lock()
	conns := append([]net.Conn(nil), s.conns...)
	s.mu.Unlock()
	open := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		var b [1]byte
		if _, err := c.Read(b[:]); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				open++
			}
		}
	}
	return open
}

func (s *Silent) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
}
