// Package tdctest holds the Threat Defense Connector's end-to-end tests,
// which drive the seg binary (go test ./mta/tdctest), and Sink, the
// recording SMTP server that those tests and the mta package's tests
// deliver to: a destination or a message intake (STYLE 5).
package tdctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// Received is one message a Sink accepted.
type Received struct {
	From  string
	Rcpts []string
	Data  []byte
	Conn  int // which connection carried it, from 1
	TLS   bool
}

// Faults make a Sink refuse. Each func gets the 1-based number of the
// command of its kind the Sink has seen (the attempt, for a copy with one
// recipient) and returns nil to accept, or an error (an
// *smtp.SMTPError's code and text are sent as they are).
type Faults struct {
	Mail func(n int) error
	Rcpt func(n int) error
	Data func(n int) error
	// Gate, when set, holds every DATA until it is closed.
	Gate chan struct{}
}

// Sink is a go-smtp server on 127.0.0.1 that records what it receives,
// counts connections (current and highest at once) and commands, and
// refuses as its Faults say.
type Sink struct {
	Addr string // host:port
	Port int

	srv *smtp.Server
	ln  net.Listener

	mu     sync.Mutex
	faults Faults
	msgs   []Received
	cc     segtest.ConnCounter
	mails  int // MAIL commands
	rcpts  int // RCPT commands
	datas  int // DATA commands
	change chan struct{}
}

// SinkOptions configure NewSink.
type SinkOptions struct {
	// TLS offers STARTTLS with a throwaway certificate.
	TLS bool
	// BrokenTLS offers STARTTLS and fails every handshake.
	BrokenTLS bool
}

// NewSink starts a Sink on a free loopback port; Close stops it.
func NewSink(o SinkOptions) (*Sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sink{Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port, ln: ln, change: make(chan struct{})}
	s.cc.OnChange = func() {
		s.mu.Lock()
		s.changed()
		s.mu.Unlock()
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "sink.test"
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	s.srv.MaxMessageBytes = 64 << 20
	s.srv.MaxRecipients = 0
	switch {
	case o.BrokenTLS:
		s.srv.TLSConfig = &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return nil, errors.New("sink: this server's TLS is broken on purpose")
		}}
	case o.TLS:
		cert, err := selfSigned()
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	go s.srv.Serve(s.cc.Listen(ln))
	return s, nil
}

// Close stops the server and closes its connections.
func (s *Sink) Close() error { return s.srv.Close() }

// SetFaults replaces the Sink's Faults.
func (s *Sink) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Messages returns what the Sink accepted so far.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Stats are a Sink's counts.
type Stats struct {
	Conns, Open, Peak   int // connections: so far, open now, most at once
	Mails, Rcpts, Datas int // commands seen
	Messages            int // accepted
}

// Stats returns the counts so far.
func (s *Sink) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statsLocked()
}

func (s *Sink) statsLocked() Stats {
	total, cur, top := s.cc.Stats()
	return Stats{Conns: total, Open: cur, Peak: top, Mails: s.mails, Rcpts: s.rcpts, Datas: s.datas, Messages: len(s.msgs)}
}

// Wait returns when cond holds for the Sink's Stats, or false after d.
func (s *Sink) Wait(d time.Duration, cond func(Stats) bool) bool {
	deadline := time.After(d)
	for {
		s.mu.Lock()
		ch := s.change
		st := s.statsLocked()
		s.mu.Unlock()
		if cond(st) {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

// changed wakes Wait; s.mu is held.
func (s *Sink) changed() {
	close(s.change)
	s.change = make(chan struct{})
}

func (s *Sink) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, c: c, id: segtest.ConnID(c.Conn())}, nil
}

type session struct {
	s     *Sink
	c     *smtp.Conn
	id    int
	from  string
	rcpts []string
}

// count bumps a command counter and returns it with the fault for it.
func (ss *session) count(n *int, f func(Faults) func(int) error) error {
	s := ss.s
	s.mu.Lock()
	*n++
	k, fault := *n, f(s.faults)
	s.changed()
	s.mu.Unlock()
	if fault != nil {
		return fault(k)
	}
	return nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if err := ss.count(&ss.s.mails, func(f Faults) func(int) error { return f.Mail }); err != nil {
		return err
	}
	ss.from, ss.rcpts = from, nil
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.count(&ss.s.rcpts, func(f Faults) func(int) error { return f.Rcpt }); err != nil {
		return err
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	gate := ss.s.faults.Gate
	ss.s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if err := ss.count(&ss.s.datas, func(f Faults) func(int) error { return f.Data }); err != nil {
		return err
	}
	_, isTLS := ss.c.TLSConnectionState()
	s := ss.s
	s.mu.Lock()
	s.msgs = append(s.msgs, Received{From: ss.from, Rcpts: ss.rcpts, Data: b, Conn: ss.id, TLS: isTLS})
	s.changed()
	s.mu.Unlock()
	return nil
}

func (ss *session) Reset() { ss.from, ss.rcpts = "", nil }

func (ss *session) Logout() error { return nil }

// Reply is an SMTP error reply for Faults: code, enhanced status code
// "x.y.z" ("" for none) and text.
func Reply(code int, enhanced, text string) error {
	ec := smtp.NoEnhancedCode
	if parts := strings.Split(enhanced, "."); len(parts) == 3 {
		for i, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil {
				return &smtp.SMTPError{Code: code, EnhancedCode: smtp.NoEnhancedCode, Message: text}
			}
			ec[i] = n
		}
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: text}
}

// Silent is a TCP server on 127.0.0.1 that accepts connections and never
// says a word: a message intake that is "up" and unreachable for SMTP.
type Silent struct {
	Addr string
	Port int

	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// NewSilent starts a Silent server on a free loopback port.
func NewSilent() (*Silent, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Silent{Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port, ln: ln}
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
	return s, nil
}

// Conns is how many connections it accepted.
func (s *Silent) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Open is how many of them the client has not closed.
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

// Close stops it and closes its connections.
func (s *Silent) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	return err
}

// selfSigned makes a throwaway certificate for sink.test.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink.test"},
		DNSNames: []string{"sink.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
