package segtest

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Syslog is a syslog receiver a test starts on loopback: over UDP each
// datagram is one frame, over TCP each newline-terminated line (RFC 6587
// non-transparent framing). It records the frames as received, without
// the TCP newline.
type Syslog struct {
	Proto, Addr string

	mu     sync.Mutex
	frames []string
	udp    net.PacketConn
	tcp    net.Listener
	conns  []net.Conn
	closed bool
}

// NewSyslog starts a receiver on addr ("127.0.0.5:0" for any port, or a
// port chosen earlier to start it late); it stops at the test's end.
func NewSyslog(t testing.TB, proto, addr string) *Syslog {
	t.Helper()
	s := &Syslog{Proto: proto}
	switch proto {
	case "udp":
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		s.udp, s.Addr = pc, pc.LocalAddr().String()
		go s.readUDP()
	case "tcp":
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		s.tcp, s.Addr = ln, ln.Addr().String()
		go s.acceptTCP()
	default:
		t.Fatalf("syslog receiver: protocol %q", proto)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *Syslog) add(f string) {
	s.mu.Lock()
	s.frames = append(s.frames, f)
	s.mu.Unlock()
}

func (s *Syslog) readUDP() {
	buf := make([]byte, 64<<10)
	for {
		n, _, err := s.udp.ReadFrom(buf)
		if err != nil {
			return
		}
		s.add(string(buf[:n]))
	}
}

func (s *Syslog) acceptTCP() {
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		go func() {
			sc := bufio.NewScanner(c)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				s.add(sc.Text())
			}
		}()
	}
}

// Frames returns the frames received so far.
func (s *Syslog) Frames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.frames...)
}

// WaitFrame waits for a frame containing substr and returns it.
func (s *Syslog) WaitFrame(t testing.TB, substr string, timeout time.Duration) string {
	t.Helper()
	var got string
	Wait(t, timeout, "a syslog frame with "+substr, func() bool {
		for _, f := range s.Frames() {
			if strings.Contains(f, substr) {
				got = f
				return true
			}
		}
		return false
	})
	return got
}

// Close stops the receiver and closes its connections (a receiver
// going down).
func (s *Syslog) Close() {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	if s.udp != nil {
		s.udp.Close()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
	for _, c := range conns {
		c.Close()
	}
}
