package main

import (
	"errors"
	"io"
	"net"
	"regexp"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// idRE finds the soak's own Message-ID in what a sink receives: in the
// message itself, in a TDC copy (message/rfc822 part) and in a DSN
// (text/rfc822-headers part, RFC 3464 section 2), where seg's own
// Message-ID comes first and never matches.
var idRE = regexp.MustCompile(`soak-[0-9]+@soak\.test`)

// sink is a go-smtp receiving server that counts what it accepted by
// (soak Message-ID, recipient). reject decides 5xx per recipient. A
// flapping sink is closed and reopened on the same address by down/up.
type sink struct {
	name   string
	addr   string
	reject func(rcpt string) bool

	mu    sync.Mutex
	got   map[string]int // id + " " + rcpt -> times accepted
	byID  map[string]int // id -> messages carrying it
	srv   *smtp.Server
	noID  int // messages with no soak Message-ID (should stay 0)
	total int
}

func newSink(name string, reject func(string) bool) (*sink, error) {
	s := &sink{name: name, reject: reject, got: map[string]int{}, byID: map[string]int{}}
	if err := s.listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *sink) listen(addr string) error {
	var ln net.Listener
	var err error
	// The address was ours a moment ago; a lingering socket may hold it
	// briefly.
	for deadline := time.Now().Add(10 * time.Second); ; {
		ln, err = net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	srv := smtp.NewServer(s)
	srv.Domain = s.name + ".sink.test"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 1000
	s.mu.Lock()
	s.srv, s.addr = srv, ln.Addr().String()
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// down closes the listener and every open connection: a destination
// that vanishes, mid-transaction included.
func (s *sink) down() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// up reopens the sink on its address.
func (s *sink) up() error {
	s.mu.Lock()
	isUp := s.srv != nil
	s.mu.Unlock()
	if isUp {
		return nil
	}
	return s.listen(s.addr)
}

func (s *sink) close() { s.down() }

// count is how many times (id, rcpt) was accepted.
func (s *sink) count(id, rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[id+" "+rcpt]
}

// countID is how many messages carried id.
func (s *sink) countID(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}

func (s *sink) stats() (total, noID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, s.noID
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct {
	s     *sink
	rcpts []string
}

func (ss *sinkSession) Reset()                               { ss.rcpts = nil }
func (ss *sinkSession) Logout() error                        { return nil }
func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.reject != nil && ss.s.reject(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(ss.rcpts) == 0 {
		return errors.New("no recipients")
	}
	id := string(idRE.Find(data))
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	if id == "" {
		s.noID++
		return nil
	}
	s.byID[id]++
	for _, r := range ss.rcpts {
		s.got[id+" "+r]++
	}
	return nil
}
