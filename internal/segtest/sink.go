package segtest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one message a Sink accepted: the envelope and the bytes
// after DATA, dot-unstuffed, exactly as they arrived.
type Message struct {
	From  string
	Rcpts []string
	Data  []byte
	Conn  int  // which connection carried it, from 1
	TLS   bool // it came over STARTTLS
	// ClientCN is the common name of the certificate the client
	// presented (SinkOptions.AskClientCert), "" when none.
	ClientCN string
	At       time.Time
}

// Attempt is one MAIL, RCPT or DATA command a Sink is about to answer.
type Attempt struct {
	Cmd   string   // "MAIL", "RCPT" or "DATA"
	From  string   // the envelope sender of the transaction
	Rcpt  string   // RCPT: the recipient asked for
	Rcpts []string // DATA: the recipients accepted
	Data  []byte   // DATA: the message
	// N counts the attempts of this kind for the same key, from 1: per
	// sender for MAIL, per recipient address for RCPT, per recipient
	// list for DATA. "The first two RCPTs for x@a.test fail" is N <= 2.
	N int
}

// SinkOptions configure a Sink.
type SinkOptions struct {
	// Addr is the address to listen on (default "127.0.0.1:0"). MX
	// delivery dials port 25: "127.0.0.42:25" serves a loopback MX.
	Addr string
	// Reply decides the answer to each MAIL, RCPT and DATA: nil accepts,
	// an *smtp.SMTPError (see Reply) is sent as it is, any other error
	// as a 451. A nil Reply accepts everything. SetReply replaces it.
	Reply func(Attempt) error
	// Hold, when set, is called before DATA is answered; the sink waits
	// for it to return (to keep connections busy). HoldData holds every
	// DATA until the test releases it.
	Hold func(Attempt)
	// TLS offers STARTTLS with a throwaway certificate for sink.test.
	TLS bool
	// BrokenTLS offers STARTTLS and fails every handshake.
	BrokenTLS bool
	// Cert, when set, is the certificate (and chain) STARTTLS presents
	// instead of the throwaway one; TLS is implied.
	Cert *tls.Certificate
	// AskClientCert asks the client for a certificate (any, unverified)
	// and records its common name in Message.ClientCN.
	AskClientCert bool
}

// Sink is a recording go-smtp receiving server (STYLE 5).
type Sink struct {
	t    testing.TB
	o    SinkOptions
	ln   net.Listener
	srv  *smtp.Server
	addr *net.TCPAddr

	mu       sync.Mutex
	reply    func(Attempt) error
	gate     chan struct{} // HoldData's: DATA waits until it is closed
	msgs     []Message
	counts   map[string]int // attempt key -> attempts
	attempts map[string]int // by command
	cc       ConnCounter    // connections: so far, now, most at once
	lines    lineRecorder   // MAIL and RCPT lines as sent (sinklines.go)
	inData   int            // DATA commands being answered now
	peers    []string       // each connection's client IP address, in order
	changed  chan struct{}  // closed and replaced on every new message
}

// NewSink starts a Sink; it stops when the test ends.
func NewSink(t testing.TB, o SinkOptions) *Sink {
	t.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		t.Fatalf("sink: %v", err)
	}
	s := &Sink{t: t, o: o, ln: ln, addr: ln.Addr().(*net.TCPAddr), reply: o.Reply,
		counts: map[string]int{}, attempts: map[string]int{}, changed: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		if a, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
			s.mu.Lock()
			s.peers = append(s.peers, a.IP.String())
			s.mu.Unlock()
		}
		return &sinkSession{s: s, c: c, conn: ConnID(c.Conn())}, nil
	}))
	s.srv.Domain = "sink.test"
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.ErrorLog = discardLog{}
	switch {
	case o.BrokenTLS:
		s.srv.TLSConfig = &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return nil, errors.New("sink: this server's TLS is broken on purpose")
		}}
	case o.Cert != nil:
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*o.Cert}}
	case o.TLS:
		certPEM, keyPEM := SelfSigned(t, "sink.test")
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			ln.Close()
			t.Fatalf("sink: %v", err)
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	if o.AskClientCert && s.srv.TLSConfig != nil {
		s.srv.TLSConfig.ClientAuth = tls.RequestClientCert
	}
	go s.srv.Serve(s.cc.Listen(s.lines.listen(ln)))
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Addr is "host:port" of the sink.
func (s *Sink) Addr() string { return s.addr.String() }

// Port is the sink's port.
func (s *Sink) Port() int { return s.addr.Port }

// Messages returns copies of the messages accepted so far, in order.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	copy(out, s.msgs)
	return out
}

// Count is how many messages the sink accepted.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// WaitCount waits until the sink has accepted at least n messages and
// returns them; it fails the test after timeout.
func (s *Sink) WaitCount(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ch := len(s.msgs), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("sink %s: %d messages after %v, want %d", s.Addr(), got, timeout, n)
		}
	}
}

// SetReply replaces the sink's Reply (SinkOptions.Reply) for the
// commands that come from now on.
func (s *Sink) SetReply(reply func(Attempt) error) {
	s.mu.Lock()
	s.reply = reply
	s.mu.Unlock()
}

// HoldData holds every DATA from now on unanswered until release is
// called (or the test ends), as a busy or stuck receiver would; InData
// counts those held. release may be called more than once.
func (s *Sink) HoldData() (release func()) {
	gate := make(chan struct{})
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			s.mu.Lock()
			if s.gate == gate {
				s.gate = nil
			}
			s.mu.Unlock()
			close(gate)
		})
	}
	s.t.Cleanup(release)
	return release
}

// Attempts is how many times cmd ("MAIL", "RCPT", "DATA") was given.
func (s *Sink) Attempts(cmd string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[cmd]
}

// Peers is the client IP address of each connection the sink accepted,
// in order: where a sending MTA bound its connections.
func (s *Sink) Peers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.peers...)
}

// Conns is how many connections the sink accepted.
func (s *Sink) Conns() int {
	total, _, _ := s.cc.Stats()
	return total
}

// Open is how many connections are open now.
func (s *Sink) Open() int {
	_, cur, _ := s.cc.Stats()
	return cur
}

// InData is how many DATA commands are held (SinkOptions.Hold, HoldData)
// now.
func (s *Sink) InData() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inData
}

// MaxConns is the highest number of simultaneous connections seen.
func (s *Sink) MaxConns() int {
	_, _, top := s.cc.Stats()
	return top
}

// String sums up what the sink saw, for a test's failure message.
func (s *Sink) String() string {
	total, cur, top := s.cc.Stats()
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("sink %s: %d connections (%d open, at most %d at once), MAIL %d, RCPT %d, DATA %d, %d messages",
		s.addr, total, cur, top, s.attempts["MAIL"], s.attempts["RCPT"], s.attempts["DATA"], len(s.msgs))
}

// decide counts an attempt, holds a DATA as the test asks, and asks the
// test's Reply.
func (s *Sink) decide(a Attempt, key string) error {
	s.mu.Lock()
	s.attempts[a.Cmd]++
	k := a.Cmd + "\x00" + strings.ToLower(key)
	s.counts[k]++
	a.N = s.counts[k]
	gate := s.gate
	held := a.Cmd == "DATA" && (s.o.Hold != nil || gate != nil)
	if held {
		s.inData++
	}
	s.mu.Unlock()
	if held {
		if s.o.Hold != nil {
			s.o.Hold(a)
		}
		if gate != nil {
			<-gate
		}
		s.mu.Lock()
		s.inData--
		s.mu.Unlock()
	}
	s.mu.Lock()
	reply := s.reply
	s.mu.Unlock()
	if reply == nil {
		return nil
	}
	err := reply(a)
	if err == nil {
		return nil
	}
	if _, ok := err.(*smtp.SMTPError); ok {
		return err
	}
	return Reply(451, "4.3.0 "+err.Error())
}

func (s *Sink) store(m Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// Reply makes the SMTP reply a Sink's Reply function returns: code and
// text, where text may start with an enhanced status code ("4.3.0 Try
// again later", RFC 3463).
func Reply(code int, text string) *smtp.SMTPError {
	e := &smtp.SMTPError{Code: code, EnhancedCode: smtp.NoEnhancedCode, Message: text}
	if first, rest, ok := strings.Cut(text, " "); ok {
		var ec smtp.EnhancedCode
		parts := strings.Split(first, ".")
		good := len(parts) == 3
		for i := 0; good && i < 3; i++ {
			n, err := strconv.Atoi(parts[i])
			good = err == nil
			ec[i] = n
		}
		if good {
			e.EnhancedCode, e.Message = ec, rest
		}
	}
	return e
}

type sinkSession struct {
	s     *Sink
	c     *smtp.Conn
	conn  int
	from  string
	rcpts []string
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if err := ss.s.decide(Attempt{Cmd: "MAIL", From: from}, from); err != nil {
		return err
	}
	ss.from, ss.rcpts = from, nil
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.s.decide(Attempt{Cmd: "RCPT", From: ss.from, Rcpt: to}, to); err != nil {
		return err
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rcpts := append([]string(nil), ss.rcpts...)
	a := Attempt{Cmd: "DATA", From: ss.from, Rcpts: rcpts, Data: data}
	if err := ss.s.decide(a, strings.Join(rcpts, ",")); err != nil {
		return err
	}
	cs, isTLS := ss.c.TLSConnectionState()
	cn := ""
	if len(cs.PeerCertificates) > 0 {
		cn = cs.PeerCertificates[0].Subject.CommonName
	}
	ss.s.store(Message{From: ss.from, Rcpts: rcpts, Data: data, Conn: ss.conn, TLS: isTLS, ClientCN: cn, At: time.Now()})
	return nil
}

func (ss *sinkSession) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *sinkSession) Logout() error { return nil }

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

// Refuse is a Reply (SinkOptions.Reply, SetReply) that answers every cmd
// ("MAIL", "RCPT" or "DATA") with err and accepts everything else.
func Refuse(cmd string, err error) func(Attempt) error {
	return func(a Attempt) error {
		if a.Cmd == cmd {
			return err
		}
		return nil
	}
}
