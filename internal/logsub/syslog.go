package logsub

import (
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"seg/internal/aslog"
)

// Syslog push (SPEC 13): RFC 3164 frames,
//
//	<PRI>Mmm dd HH:MM:SS HOSTNAME NAME: Level: message
//
// PRI is facility*8 + severity (RFC 3164 section 4.1.1); the timestamp is
// local time with the day space-padded (section 4.1.2); the TAG is the
// subscription's name. Over UDP each frame is one datagram; over TCP
// frames are newline-terminated, one per line (RFC 6587 section 3.4.2,
// non-transparent framing, which rsyslog and syslog-ng read by default).

// syslogLayout is RFC 3164's TIMESTAMP: "Mmm dd hh:mm:ss", day padded
// with a space.
const syslogLayout = "Jan _2 15:04:05"

// Buffering toward the receiver: the mail path never waits for it. At
// most sendBuffer frames wait while a TCP receiver is unreachable (about
// 1 MB of typical mail_logs lines); past that, new lines are dropped and
// counted, and the count is reported to the receiver (and on stderr) once
// it is back.
const (
	sendBuffer   = 4096
	dialTimeout  = 5 * time.Second
	writeTimeout = 10 * time.Second
	minBackoff   = 500 * time.Millisecond
	maxBackoff   = 30 * time.Second
	closeGrace   = 2 * time.Second
)

// facilities are RFC 3164 section 4.1.1's codes.
var facilities = map[string]int{
	"mail": 2, "local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// severity maps an AsyncOS level to RFC 3164's severity (Trace has none
// finer than debug).
func severity(l aslog.Level) int {
	switch l {
	case aslog.Critical:
		return 2
	case aslog.Warning:
		return 4
	case aslog.Info:
		return 6
	}
	return 7
}

// Frame formats one RFC 3164 frame without a terminator.
func Frame(facility string, level aslog.Level, now time.Time, hostname, tag, msg string) []byte {
	b := make([]byte, 0, 48+len(hostname)+len(tag)+len(msg))
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(facilities[facility]*8+severity(level)), 10)
	b = append(b, '>')
	b = now.AppendFormat(b, syslogLayout)
	b = append(b, ' ')
	b = append(b, hostname...)
	b = append(b, ' ')
	b = append(b, tag...)
	b = append(b, ": "...)
	b = append(b, level...)
	b = append(b, ": "...)
	b = append(b, msg...)
	return b
}

// sender ships frames to one receiver from its own goroutine.
type sender struct {
	name, proto, addr string
	logf              func(format string, args ...any)
	mu                sync.Mutex // send against close
	closed            bool
	stop              chan struct{} // closed by close: stop waiting to reconnect
	ch                chan []byte
	dropped           atomic.Int64 // lines dropped since the last report
	total             atomic.Int64 // lines dropped in all
	cancel            context.CancelFunc
	done              chan struct{}
	// dropNote builds the frame that reports n dropped lines.
	dropNote func(n int64) []byte
}

func newSender(name, proto, addr string, logf func(string, ...any), dropNote func(int64) []byte) *sender {
	ctx, cancel := context.WithCancel(context.Background())
	s := &sender{name: name, proto: proto, addr: addr, logf: logf, ch: make(chan []byte, sendBuffer),
		cancel: cancel, done: make(chan struct{}), stop: make(chan struct{}), dropNote: dropNote}
	go s.run(ctx)
	return s
}

// send queues a frame, or drops it when the buffer is full.
func (s *sender) send(frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- frame:
	default:
		if s.dropped.Add(1) == 1 {
			s.logf("syslog %s: receiver %s/%s not keeping up: dropping log lines", s.name, s.addr, s.proto)
		}
		s.total.Add(1)
	}
}

// close stops the sender; frames still buffered are sent if the
// receiver takes them within closeGrace, else dropped.
func (s *sender) close() {
	s.mu.Lock()
	s.closed = true
	close(s.ch)
	close(s.stop)
	s.mu.Unlock()
	select {
	case <-s.done:
	case <-time.After(closeGrace):
		s.cancel()
		<-s.done
	}
}

func (s *sender) run(ctx context.Context) {
	defer close(s.done)
	defer s.cancel()
	var conn net.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	var pending []byte // a frame whose write failed, sent again first
	backoff := minBackoff
	for {
		if pending == nil {
			f, ok := <-s.ch
			if !ok {
				return
			}
			pending = f
		}
		if conn == nil {
			d := net.Dialer{Timeout: dialTimeout}
			c, err := d.DialContext(ctx, s.proto, s.addr)
			if err != nil {
				if ctx.Err() != nil || s.closing() {
					// Closing with the receiver down: what is left is
					// dropped now rather than delaying the exit.
					return
				}
				if backoff == minBackoff {
					s.logf("syslog %s: cannot reach %s/%s: %v (retrying)", s.name, s.addr, s.proto, err)
				}
				// Lines keep arriving into the buffer meanwhile.
				select {
				case <-ctx.Done():
					return
				case <-s.stop:
					return
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, maxBackoff)
				continue
			}
			conn, backoff = c, minBackoff
			if n := s.dropped.Swap(0); n > 0 {
				s.logf("syslog %s: %d log lines were dropped while %s/%s was unreachable", s.name, n, s.addr, s.proto)
				if err := s.write(conn, s.dropNote(n)); err != nil {
					conn.Close()
					conn = nil
					continue
				}
			}
		}
		if err := s.write(conn, pending); err != nil {
			// UDP: a refused datagram (ICMP) fails a later write; that
			// frame is lost with no way to know, so this one is not
			// retried forever either: count it and go on.
			if s.proto == "udp" {
				s.dropped.Add(1)
				s.total.Add(1)
				pending = nil
			}
			conn.Close()
			conn = nil
			continue
		}
		pending = nil
	}
}

func (s *sender) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *sender) write(c net.Conn, frame []byte) error {
	c.SetWriteDeadline(time.Now().Add(writeTimeout))
	if s.proto == "tcp" {
		buf := make([]byte, 0, len(frame)+1)
		buf = append(append(buf, frame...), '\n')
		_, err := c.Write(buf)
		return err
	}
	_, err := c.Write(frame)
	return err
}
