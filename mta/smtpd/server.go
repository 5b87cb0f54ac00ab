// Package smtpd is seg's inbound side (SPEC 4): SMTP listeners, Host
// Access Table matching at connect, Recipient Access Table checks per
// RCPT, the HAT policy's limits, a Received header, and the AsyncOS
// mail_logs lines of the inbound path.
//
// The SMTP server is seg's own: a command loop per connection (conn.go)
// with the RFC 5321 state machine (commands.go) and a message data
// reader (data.go); the policy each command meets is the session's
// (session.go). Every reply is written by this package, in AsyncOS's
// words where seg knows them.
package smtpd

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"seg/mta/counters"
	"seg/mta/dmarcreport"
	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/mta/ratelimit"
	"seg/store"
)

// Enqueuer is what the inbound side needs from the queue. Enqueue returns
// only once the message is durable (SPEC 5).
type Enqueuer interface {
	NextMID() int64
	NextICID() int64
	// EnqueueWith queues m and the messages derived from its body (its
	// journal copies) in one write.
	EnqueueWith(m *queue.Message, body []byte, derived ...queue.Derived) error
	// SpaceLow reports that a message of size bytes (0: not declared)
	// cannot be stored now: the queue's filesystem is full.
	SpaceLow(size int64) bool
}

// Deps are the Server's collaborators.
type Deps struct {
	Queue    Enqueuer
	Counters *counters.Counters
	Log      maillog.Logger
	Now      func() time.Time
	// Rates are the inbound rate counters (SPEC 10), shared by every
	// listener and kept across commits. nil: the Server makes its own.
	Rates *ratelimit.Rates

	// Journal makes the journal copy of a message, or part of a message
	// split by mail policy, whose policy journals it to a Threat Defense
	// Connector intake address (JournalFunc). nil: no journaling.
	Journal JournalFunc

	// ReverseDNS returns the client's forward-confirmed reverse DNS name
	// (verified true) or its unconfirmed PTR name (verified false); "" when
	// there is none. nil: no lookups, every host is "unknown".
	ReverseDNS func(ctx context.Context, ip netip.Addr) (host string, verified bool)

	// Resolver is the DNS of a configuration (dnsconfig), for the reverse
	// DNS, the HAT members that need the DNS (hatdns.go) and envelope
	// sender verification (senderverify.go). nil: no lookups, and those
	// members never match.
	Resolver func(*store.Config) dns.Resolver
	// DMARCRecord takes the DMARC evaluation of a message received under
	// a policy with dmarc_send_reports on, for the aggregate reports
	// (mta/dmarcreport). nil: no reports.
	DMARCRecord func(dmarcreport.Record)

	// Authenticate checks a user's password for SMTP AUTH (auth.go) and
	// counts failures toward the account lockout (SPEC 7, 10); the user's
	// SMTP AUTH right is checked here. nil: every AUTH fails.
	Authenticate func(user, password string) error
}

// Listener states in ListenerStatus.
const (
	StateRunning   = "running"
	StateSuspended = "suspended"
	StateFailed    = "failed" // could not bind; Apply and Resume retry
	// StateMisplaced: the configured address could not be bound, and the
	// listener still serves on its previous one (Listening); Apply retries.
	StateMisplaced = "misplaced"
)

// ListenerStatus describes one listener.
type ListenerStatus struct {
	Name    string
	Address string
	Port    int // the bound port when running (differs from the configured one only for port 0)
	// Listening is the address really bound, "" when none: for a
	// misplaced listener, its previous address.
	Listening   string
	State       string
	Connections int // current inbound connections, sessions in flight included
	Err         string
}

// Server runs the listeners of one configuration at a time.
type Server struct {
	d Deps

	mu     sync.Mutex // listeners, order, closed, dkimCache
	lis    map[string]*listener
	order  []string
	closed bool
	// dkimCache is the last snapshot's parsed DKIM keys by their PEM
	// text (dkimsign.go).
	dkimCache map[string]crypto.Signer
	wg        sync.WaitGroup // accept loops and sessions

	// sbrs is the score trace was told the client has (trace.go); nil:
	// looked up in the SBRS zones. Only a trace's private Server sets it.
	sbrs *float64

	connMu  sync.Mutex
	conns   map[net.Conn]struct{}
	drained chan struct{} // closed when conns becomes empty

	// idle hands an accepted connection to a session goroutine waiting
	// for one; quit, closed by Close, ends their wait (sessiongo.go).
	idle chan func()
	quit chan struct{}

	// bufs keeps the read and write buffers of finished connections for
	// the next ones (conn.go): most clients send one message per
	// connection, and allocating and clearing 20 KiB for each was 1.6% of
	// the relay's CPU (bench/relay.sh PROFILE=1).
	bufs connBufs
}

// New returns a Server with no listeners; Apply starts them.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = discardLog{}
	}
	if d.Counters == nil {
		d.Counters = counters.New(d.Now, nil)
	}
	if d.Rates == nil {
		d.Rates = ratelimit.NewRates(d.Now)
	}
	return &Server{d: d, lis: map[string]*listener{}, conns: map[net.Conn]struct{}{},
		idle: make(chan func()), quit: make(chan struct{})}
}

type discardLog struct{}

func (discardLog) Info(string, ...any)    {}
func (discardLog) Warning(string, ...any) {}

// Apply reconciles the running listeners with cfg: new ones start,
// deleted ones stop accepting, ones whose address or port changed are
// rebound; the others keep their socket. Connections already accepted
// keep the configuration they took at connect and are never cut by a
// reload. A listener whose new address cannot be bound keeps serving on
// its old one (ListenerStatus shows both), so a bad commit never takes
// SMTP down. Every bind error is returned (joined); the other listeners
// run. A suspended listener stays suspended.
func (s *Server) Apply(cfg *store.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("the mail system is shutting down")
	}
	var dkimKeys dkimKeys
	dkimKeys, s.dkimCache = compileDKIMKeys(&cfg.DomainKeys, s.dkimCache)
	want := map[string]*store.Listener{}
	var order []string
	for i := range cfg.Listeners {
		lc := &cfg.Listeners[i]
		k := strings.ToLower(lc.Name)
		if want[k] != nil {
			continue // validation forbids duplicate names; the first wins
		}
		want[k] = lc
		order = append(order, k)
	}
	// Listeners that go away stop first: their addresses may be taken
	// over by others in this commit.
	for k, l := range s.lis {
		if _, keep := want[k]; !keep {
			l.stop()
			delete(s.lis, k)
		}
	}
	var moved []*listener // bound elsewhere, or not at all, and must (re)bind
	for _, k := range order {
		lc := want[k]
		l := s.lis[k]
		if l == nil {
			l = &listener{s: s, perIP: map[netip.Addr]int{}, sessions: map[*conn]*slot{}}
			s.lis[k] = l
		}
		l.name, l.addr, l.port = lc.Name, lc.Address, lc.Port
		l.cur.Store(&binding{cfg: cfg, lc: lc, hat: compileHAT(&lc.HAT), tls: l.applyTLS(cfg, lc), lim: lc.ConnLimits.OrDefaults(), dkim: dkimKeys})
		if !l.suspended && (l.sock == nil || l.misplaced()) {
			moved = append(moved, l)
		}
	}
	s.order = order
	return s.rebind(moved, true)
}

// RetryBinds tries again to bind the listeners that are down or serve on
// an old address: a port taken at start-up or at a reload may have come
// free. It returns the names of the listeners that now listen where
// configured.
func (s *Server) RetryBinds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	var ls []*listener
	for _, k := range s.order {
		if l := s.lis[k]; !l.suspended && (l.sock == nil || l.misplaced()) {
			ls = append(ls, l)
		}
	}
	s.rebind(ls, false)
	var fixed []string
	for _, l := range ls {
		if l.sock != nil && !l.misplaced() {
			fixed = append(fixed, l.name)
		}
	}
	return fixed
}

// portHeld reports whether a listener's socket (the one being moved
// included: 127.0.0.1:25 to 0.0.0.0:25) has port: then a failed bind
// may succeed once that socket moves.
func (s *Server) portHeld(port int) bool {
	for _, m := range s.lis {
		if m.sock != nil && m.sock.port == port {
			return true
		}
	}
	return false
}

// rebind binds each listener's configured address. A listener that
// serves elsewhere gets its new socket before the old one closes; where
// that fails (two listeners swapping ports, or a port taken by someone
// else), the old sockets close and the new addresses are tried again,
// and a listener that still cannot bind reopens its old address. Called
// with s.mu held. loud logs each listener left on its old address (a
// reload does; the periodic retry does not repeat it).
func (s *Server) rebind(ls []*listener, loud bool) error {
	var retry []*listener
	for _, l := range ls {
		sk, err := l.bindSocket(l.addr, l.port)
		switch {
		case err == nil:
			l.stop()
			l.err = nil
			l.serve(sk)
		case l.sock != nil && s.portHeld(l.port):
			retry = append(retry, l)
		case l.sock != nil:
			l.err = err
			if loud {
				s.d.Log.Warning("Listener %s: %v; still listening on %s", l.name, err, l.sock.ln.Addr())
			}
		default:
			l.err = err // nothing to fall back to: the listener is down
		}
	}
	type old struct {
		addr string
		port int
	}
	olds := make([]old, len(retry))
	for i, l := range retry {
		olds[i] = old{l.sock.addr, l.sock.cfgPort}
		if ch := l.stop(); ch != nil {
			<-ch // the port is free once the accept loop has returned
		}
	}
	for i, l := range retry {
		sk, err := l.bindSocket(l.addr, l.port)
		if err == nil {
			l.err = nil
			l.serve(sk)
			continue
		}
		l.err = err
		back, berr := l.bindSocket(olds[i].addr, olds[i].port)
		if berr != nil {
			s.d.Log.Warning("Listener %s: %v; its previous address could not be reopened either: %v", l.name, err, berr)
			continue
		}
		l.serve(back)
		if loud {
			s.d.Log.Warning("Listener %s: %v; still listening on %s", l.name, err, back.ln.Addr())
		}
	}
	var errs []error
	for _, l := range ls {
		if l.err != nil {
			errs = append(errs, l.err)
		}
	}
	return errors.Join(errs...)
}

// Suspend stops a listener accepting connections (suspendlistener): its
// socket closes, sessions in flight finish. "" suspends every listener.
func (s *Server) Suspend(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls, err := s.named(name)
	if err != nil {
		return err
	}
	for _, l := range ls {
		l.suspended = true
		l.stop()
	}
	return nil
}

// Resume reopens a suspended listener (resumelistener). "" resumes every
// listener. A bind error is returned and the listener shows "failed".
func (s *Server) Resume(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("the mail system is shutting down")
	}
	ls, err := s.named(name)
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range ls {
		l.suspended = false
		if l.sock == nil {
			if err := l.start(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (s *Server) named(name string) ([]*listener, error) {
	if name == "" {
		var all []*listener
		for _, k := range s.order {
			all = append(all, s.lis[k])
		}
		return all, nil
	}
	if l := s.lis[strings.ToLower(name)]; l != nil {
		return []*listener{l}, nil
	}
	var names []string
	for _, k := range s.order {
		names = append(names, s.lis[k].name)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("no listener named %q: no listeners are configured", name)
	}
	return nil, fmt.Errorf("no listener named %q; listeners: %s", name, strings.Join(names, ", "))
}

// Listeners reports every configured listener in configuration order.
func (s *Server) Listeners() []ListenerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ListenerStatus
	for _, k := range s.order {
		l := s.lis[k]
		st := ListenerStatus{Name: l.name, Address: l.addr, Port: l.port, Connections: l.connections()}
		if l.sock != nil {
			st.Listening = l.sock.ln.Addr().String()
		}
		switch {
		case l.suspended:
			st.State = StateSuspended
		case l.misplaced():
			st.State = StateMisplaced
			if l.err != nil {
				st.Err = l.err.Error()
			}
		case l.sock != nil:
			st.State = StateRunning
			st.Port = l.sock.port
		default:
			st.State = StateFailed
			if l.err != nil {
				st.Err = l.err.Error()
			}
		}
		out = append(out, st)
	}
	return out
}

// Close stops accepting on every listener and waits for the sessions in
// flight to finish until ctx is done; then it cuts the rest and returns
// ctx's error.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		close(s.quit)
	}
	s.closed = true
	var stopped []<-chan struct{}
	for _, l := range s.lis {
		if ch := l.stop(); ch != nil {
			stopped = append(stopped, ch)
		}
	}
	s.mu.Unlock()
	// Once no socket accepts, every connection is tracked.
	for _, ch := range stopped {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	if err := s.waitDrained(ctx); err != nil {
		s.connMu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.connMu.Unlock()
		return err
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) track(c net.Conn) {
	s.connMu.Lock()
	s.conns[c] = struct{}{}
	s.connMu.Unlock()
}

func (s *Server) untrack(c net.Conn) {
	s.connMu.Lock()
	delete(s.conns, c)
	if len(s.conns) == 0 && s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
	s.connMu.Unlock()
}

func (s *Server) waitDrained(ctx context.Context) error {
	s.connMu.Lock()
	if len(s.conns) == 0 {
		s.connMu.Unlock()
		return nil
	}
	if s.drained == nil {
		s.drained = make(chan struct{})
	}
	ch := s.drained
	s.connMu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
