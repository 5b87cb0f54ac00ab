package delivery

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
	"seg/mta/counters"
	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/store"
)

// memQueue is an in-memory Queue with the semantics of mta/queue: it
// hands each enqueued message to notify, like the real queue's SetNotify,
// and forgets a message (Get, Body, Messages) once all its recipients are
// final; tests still see it through state, bounces and body.
type memQueue struct {
	mu       sync.Mutex
	mid      int64
	dcid     int64
	msgs     map[int64]*queue.Message
	bodies   map[int64][]byte
	finished map[int64]bool
	attempts int
	notify   func(*queue.Message)
	// failAttempt makes Attempt fail (a full disk, say).
	failAttempt bool
}

func newMemQueue() *memQueue {
	return &memQueue{mid: 100, msgs: map[int64]*queue.Message{}, bodies: map[int64][]byte{}, finished: map[int64]bool{}}
}

func (q *memQueue) NextMID() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.mid++
	return q.mid
}

func (q *memQueue) NextDCID() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.dcid++
	return q.dcid
}

func (q *memQueue) Enqueue(m *queue.Message, body []byte) error {
	q.mu.Lock()
	c := copyMessage(m)
	q.msgs[m.MID] = c
	q.bodies[m.MID] = append([]byte(nil), body...)
	notify := q.notify
	q.mu.Unlock()
	if notify != nil {
		notify(copyMessage(c))
	}
	return nil
}

func (q *memQueue) Body(mid int64) ([]byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	b, ok := q.bodies[mid]
	if !ok || q.finished[mid] {
		return nil, fmt.Errorf("MID %d not in queue", mid)
	}
	return b, nil
}

func (q *memQueue) Attempt(mid int64, rids []int, next time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failAttempt {
		return errors.New("disk full")
	}
	m := q.msgs[mid]
	if m == nil || q.finished[mid] {
		return fmt.Errorf("MID %d not in queue", mid)
	}
	q.attempts++
	for _, rid := range rids {
		rc := &m.Rcpts[rid]
		rc.Attempts++
		rc.State = queue.Attempted
		rc.NextAttempt = next
	}
	return nil
}

func (q *memQueue) Update(mid int64, ups []queue.Update) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.msgs[mid]
	if m == nil || q.finished[mid] {
		return fmt.Errorf("MID %d not in queue", mid)
	}
	for _, u := range ups {
		rc := &m.Rcpts[u.RID]
		rc.State, rc.NextAttempt, rc.LastError = u.State, u.NextAttempt, u.LastError
	}
	done := true
	for _, rc := range m.Rcpts {
		done = done && rc.State.Final()
	}
	q.finished[mid] = done
	return nil
}

func (q *memQueue) Messages() []*queue.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*queue.Message
	for mid, m := range q.msgs {
		if !q.finished[mid] {
			out = append(out, copyMessage(m))
		}
	}
	return out
}

func (q *memQueue) Get(mid int64) (*queue.Message, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, ok := q.msgs[mid]
	if !ok || q.finished[mid] {
		return nil, false
	}
	return copyMessage(m), true
}

// rcpt returns a recipient, finished or not.
func (q *memQueue) rcpt(mid int64, rid int) queue.Recipient {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, ok := q.msgs[mid]
	if !ok || rid >= len(m.Rcpts) {
		return queue.Recipient{State: 255}
	}
	return m.Rcpts[rid]
}

func (q *memQueue) state(mid int64, rid int) queue.State { return q.rcpt(mid, rid).State }

// body returns a message's body, finished or not.
func (q *memQueue) body(mid int64) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return string(q.bodies[mid])
}

// bounces returns the DSNs queued so far, by MID.
func (q *memQueue) bounces() []*queue.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*queue.Message
	for _, m := range q.msgs {
		if m.Kind == queue.KindBounce {
			out = append(out, copyMessage(m))
		}
	}
	slices.SortFunc(out, func(a, b *queue.Message) int { return int(a.MID - b.MID) })
	return out
}

// received is one message a test server accepted.
type received struct {
	from  string
	rcpts []string
	data  string
	conn  int // which connection carried it (segtest.ConnID)
	tls   bool
}

// smtpServer is a go-smtp receiving server with a recording backend and
// injectable MAIL/RCPT/DATA errors (STYLE 5).
type smtpServer struct {
	t    *testing.T
	addr string
	port int
	srv  *smtp.Server

	cc     segtest.ConnCounter // connections: so far, now, most at once
	mu     sync.Mutex
	msgs   []received
	inData int
	peers  []string // each session's client address

	mailErr func(from string) error
	rcptErr func(to string) error
	dataErr func(n int) error // n: the message's index in the server's log
	gate    chan struct{}     // when set, DATA waits until it is closed
}

func newSMTPServer(t *testing.T, tlsCfg *tls.Config) *smtpServer {
	t.Helper()
	s := &smtpServer{t: t}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "mx.test"
	s.srv.TLSConfig = tlsCfg
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	go s.srv.Serve(s.cc.Listen(ln))
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *smtpServer) set(f func(s *smtpServer)) {
	s.mu.Lock()
	f(s)
	s.mu.Unlock()
}

func (s *smtpServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *smtpServer) stats() (conns, cur, top, inData int) {
	conns, cur, top = s.cc.Stats()
	s.mu.Lock()
	defer s.mu.Unlock()
	return conns, cur, top, s.inData
}

func (s *smtpServer) newSession(c *smtp.Conn) (smtp.Session, error) {
	if ta, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
		s.mu.Lock()
		s.peers = append(s.peers, ta.IP.String())
		s.mu.Unlock()
	}
	return &session{s: s, id: segtest.ConnID(c.Conn()), c: c}, nil
}

type session struct {
	s     *smtpServer
	id    int
	c     *smtp.Conn
	from  string
	rcpts []string
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	f := ss.s.mailErr
	ss.s.mu.Unlock()
	if f != nil {
		if err := f(from); err != nil {
			return err
		}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	f := ss.s.rcptErr
	ss.s.mu.Unlock()
	if f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	s.mu.Lock()
	gate, f, n := s.gate, s.dataErr, len(s.msgs)
	s.inData++
	s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	s.mu.Lock()
	s.inData--
	s.mu.Unlock()
	if f != nil {
		if err := f(n); err != nil {
			return err
		}
	}
	_, isTLS := ss.c.TLSConnectionState()
	s.mu.Lock()
	s.msgs = append(s.msgs, received{from: ss.from, rcpts: ss.rcpts, data: string(b), conn: ss.id, tls: isTLS})
	s.mu.Unlock()
	return nil
}

func (ss *session) Reset() { ss.from, ss.rcpts = "", nil }

func (ss *session) Logout() error { return nil }

func smtpErr(code int, ec smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: msg}
}

// selfSigned makes a TLS server config with a throwaway certificate.
func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	certPEM, keyPEM := segtest.SelfSigned(t, "mx.test")
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}}
}

// harness wires a Delivery to fakes.
type harness struct {
	t      *testing.T
	cfg    atomic.Pointer[store.Config]
	q      *memQueue
	clk    *segtest.Clock
	log    *maillog.Memory
	ctr    *counters.Counters
	fake   *dns.Fake
	res    dns.Resolver // when set, used instead of fake
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	retry  func(cfg *store.Config, m *queue.Message, dest string) RetryPolicy
	real   *queue.Queue // when set, the durable queue is used instead of q
	sp     func(dest string) Special
	busy   func() bool
	cmdTO  time.Duration // Timeouts.Command (default 5 s)
	dataTO time.Duration // Timeouts.Data (default 5 s)
	x      *Delivery
}

var t0 = time.Date(2026, 3, 5, 14, 21, 4, 0, time.UTC)

func newHarness(t *testing.T, edit func(c *store.Config)) *harness {
	t.Helper()
	h := &harness{t: t, q: newMemQueue(), clk: segtest.NewClock(t0), log: &maillog.Memory{}, fake: &dns.Fake{}}
	cfg := store.Default("seg.test", "")
	if edit != nil {
		edit(cfg)
	}
	h.cfg.Store(cfg)
	h.ctr = counters.New(h.clk.Now, nil)
	var nd net.Dialer
	h.dial = nd.DialContext
	return h
}

// start makes and starts the Delivery; recovered are handed to Start.
func (h *harness) start(recovered ...*queue.Message) {
	var q Queue = h.q
	if h.real != nil {
		q = h.real
	}
	h.x = New(Deps{
		Config:   func() *store.Config { return h.cfg.Load() },
		Queue:    q,
		Counters: h.ctr,
		Log:      h.log,
		Resolver: func(*store.Config) dns.Resolver {
			if h.res != nil {
				return h.res
			}
			return h.fake
		},
		Now:      h.clk.Now,
		Dial:     func(ctx context.Context, n, a string) (net.Conn, error) { return h.dial(ctx, n, a) },
		Hostname: func() string { return "seg.test" },
		Timeouts: Timeouts{Connect: 2 * time.Second, Command: cmp.Or(h.cmdTO, 5*time.Second), Data: cmp.Or(h.dataTO, 5*time.Second), DNS: 2 * time.Second},
		Retry:    h.retry,
		Special:  h.sp,
		Busy:     h.busy,
	})
	h.q.notify = h.x.Notify
	if h.real != nil {
		h.real.SetNotify(h.x.Notify)
	}
	h.x.Start(recovered)
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.x.Close(ctx)
	})
}

// route sends domain to the test server by smtproutes.
func viaRoute(domain string, s *smtpServer) func(*store.Config) {
	return func(c *store.Config) {
		c.System.Routes = append(c.System.Routes, store.SMTPRoute{Domain: domain, Hosts: []string{s.addr}})
	}
}

func destParams(domain string, params store.Params) func(*store.Config) {
	return func(c *store.Config) {
		c.Destinations = append(c.Destinations, store.Destination{Domain: domain, Params: params})
	}
}

func edits(edits ...func(*store.Config)) func(*store.Config) {
	return func(c *store.Config) {
		for _, e := range edits {
			e(c)
		}
	}
}

// send queues a message (as the SMTP server would) and returns its MID.
func (h *harness) send(from string, rcpts ...string) int64 {
	h.t.Helper()
	return h.sendBody(from, "Subject: test\r\nMessage-ID: <m@x>\r\n\r\nhello\r\n", rcpts...)
}

func (h *harness) sendBody(from, body string, rcpts ...string) int64 {
	h.t.Helper()
	// As mail from a RELAY host: its bounces quote the original header.
	m := &queue.Message{MID: h.q.NextMID(), ICID: 1, From: from, Received: h.clk.Now(), Size: int64(len(body)), Subject: "test", Relayed: true}
	for i, r := range rcpts {
		m.Rcpts = append(m.Rcpts, queue.Recipient{RID: i, Addr: r})
	}
	if err := h.q.Enqueue(m, []byte(body)); err != nil {
		h.t.Fatal(err)
	}
	return m.MID
}

// wait polls until cond holds, failing the test after a deadline.
func (h *harness) wait(what string, cond func() bool) {
	h.t.Helper()
	if !segtest.Poll(10*time.Second, cond) {
		h.t.Fatalf("timed out waiting for %s\nmail_logs:\n%s", what, strings.Join(h.log.Lines(), "\n"))
	}
}

// waitIdle waits until cond holds and no delivery connection is open:
// every attempt made so far has been reported to the scheduler.
func (h *harness) waitIdle(what string, cond func() bool) {
	h.t.Helper()
	h.wait(what, func() bool { return cond() && h.x.WorkQueue().Connections == 0 })
}

// waitFinished waits for the "Message finished" line of mid.
func (h *harness) waitFinished(mid int64) {
	h.t.Helper()
	h.wait(fmt.Sprintf("MID %d to finish", mid), func() bool { return h.logged(fmt.Sprintf("Info: Message finished MID %d done", mid)) })
}

func (h *harness) logged(line string) bool {
	for _, l := range h.log.Lines() {
		if l == line {
			return true
		}
	}
	return false
}

// lines returns the logged lines that contain all of subs.
func (h *harness) lines(subs ...string) []string { return segtest.Grep(h.log.Lines(), subs...) }

// mustLog fails unless each line was logged exactly.
func (h *harness) mustLog(lines ...string) {
	h.t.Helper()
	segtest.MustLog(h.t, h.log.Lines(), lines...)
}

// tick moves the fake clock and fires the scheduler's timer.
func (h *harness) tick(d time.Duration) {
	h.clk.Advance(d)
	h.x.poke()
}

func (h *harness) host(name string) counters.Host {
	s := h.ctr.Snapshot()
	hs, _ := s.Host(name)
	return hs
}

func ap(s string) netip.Addr { return netip.MustParseAddr(s) }
