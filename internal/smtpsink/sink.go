// Package smtpsink is `seg sink`: a receiving SMTP server for trying seg
// out. It accepts every message, answers 250 and prints the envelope,
// the header and the first lines of the body, so that a newcomer sees
// what seg delivered without a mail server of their own. It stores
// nothing.
package smtpsink

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// DefaultBodyLines is how many lines of each body a Sink prints.
const DefaultBodyLines = 5

// Options configure a Sink.
type Options struct {
	Out       io.Writer // where messages are printed
	Hostname  string    // in the greeting (default "sink.localdomain")
	BodyLines int       // body lines printed per message (default DefaultBodyLines)
	// Count, when above 0, ends Serve once that many messages have been
	// received and answered.
	Count int
}

// Sink is one listening receiver. Serve runs it; Close stops it.
type Sink struct {
	o   Options
	srv *smtp.Server
	ln  net.Listener

	mu       sync.Mutex // serialises printing and counts messages
	received int        // messages printed
	conns    map[*smtp.Conn]bool
	answered int // messages whose 250 has been sent
	done     chan struct{}
	doneOnce sync.Once
}

// New makes a Sink that will serve on ln.
func New(ln net.Listener, o Options) *Sink {
	if o.Hostname == "" {
		o.Hostname = "sink.localdomain"
	}
	if o.BodyLines <= 0 {
		o.BodyLines = DefaultBodyLines
	}
	s := &Sink{o: o, ln: ln, done: make(chan struct{}), conns: map[*smtp.Conn]bool{}}
	srv := smtp.NewServer(backend{s})
	srv.Domain = o.Hostname
	// seg relays what it received: UTF-8 addresses (RFC 6531) and 8-bit
	// bodies (RFC 6152, which go-smtp always offers) must get through.
	srv.EnableSMTPUTF8 = true
	// A forgotten client must not hold a connection for ever.
	srv.ReadTimeout = 5 * time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = discardLog{}
	s.srv = srv
	return s
}

// Addr is the address the sink listens on.
func (s *Sink) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Close, or until Count messages have
// been answered; it returns nil then.
func (s *Sink) Serve() error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, smtp.ErrServerClosed) {
			return nil
		}
		return err
	case <-s.done:
		// The last reply has been written (Reset runs after it). The
		// client may still say QUIT (seg does within a fraction of a
		// second, swaks at once): stop listening and give open
		// connections a moment to end cleanly before dropping them.
		ctx, cancel := context.WithTimeout(context.Background(), quitGrace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.closeConns()
		}
		<-errc
		return nil
	}
}

// quitGrace is how long a sink that has received its Count messages
// waits for the open connections to end before it drops them.
const quitGrace = 5 * time.Second

// closeConns drops every open connection.
func (s *Sink) closeConns() {
	s.mu.Lock()
	var conns []*smtp.Conn
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	// Outside the lock: Conn.Close calls Logout, which takes it.
	for _, c := range conns {
		c.Close()
	}
}

// Close stops the sink and drops open connections.
func (s *Sink) Close() error {
	err := s.srv.Close()
	// Before Serve has handed ln to go-smtp, srv.Close cannot close it:
	// closing it here ends that Serve's first Accept (it then sees the
	// server closed). Closing it twice is harmless. After a Shutdown,
	// srv.Close no longer closes connections: closeConns does.
	s.ln.Close()
	s.closeConns()
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Received is how many messages the sink has printed.
func (s *Sink) Received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received
}

// answeredOne counts a message whose reply has gone out and ends Serve
// after the Count-th.
func (s *Sink) answeredOne() {
	s.mu.Lock()
	s.answered++
	n := s.answered
	s.mu.Unlock()
	if s.o.Count > 0 && n >= s.o.Count {
		s.doneOnce.Do(func() { close(s.done) })
	}
}

type backend struct{ s *Sink }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	remote := c.Conn().RemoteAddr().String()
	if host, _, err := net.SplitHostPort(remote); err == nil {
		remote = host
	}
	b.s.mu.Lock()
	b.s.conns[c] = true
	b.s.mu.Unlock()
	return &session{s: b.s, conn: c, remote: remote}, nil
}

// session is one connection's transaction state.
type session struct {
	s      *Sink
	conn   *smtp.Conn
	remote string
	from   string
	rcpts  []string
	// printed is set when DATA printed a message: the Reset that follows
	// the reply counts it as answered.
	printed bool
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	m := message{
		Remote: ss.remote,
		Helo:   ss.conn.Hostname(),
		From:   ss.from,
		Rcpts:  ss.rcpts,
	}
	if err := m.read(r, ss.s.o.BodyLines); err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.received++
	m.N = ss.s.received
	m.print(ss.s.o.Out)
	ss.s.mu.Unlock()
	ss.printed = true
	return nil
}

// Reset runs after every reply to DATA (and on RSET): go-smtp resets
// the transaction once the reply is written.
func (ss *session) Reset() {
	if ss.printed {
		ss.printed = false
		ss.s.answeredOne()
	}
	ss.from, ss.rcpts = "", nil
}

// Logout runs when the connection ends.
func (ss *session) Logout() error {
	ss.s.mu.Lock()
	delete(ss.s.conns, ss.conn)
	ss.s.mu.Unlock()
	return nil
}

// discardLog drops go-smtp's own error log (accept errors, clients that
// hang up): the sink's output is the messages.
type discardLog struct{}

func (discardLog) Printf(string, ...interface{}) {}
func (discardLog) Println(...interface{})        {}
