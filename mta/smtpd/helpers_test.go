package smtpd

import (
	"bufio"
	"context"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seg/mta/counters"
	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/store"
)

// fakeQueue is an in-memory Enqueuer.
type fakeQueue struct {
	mid, icid atomic.Int64

	mu   sync.Mutex
	msgs []queued
	fail error
	low  bool // SpaceLow's answer
}

type queued struct {
	m       queue.Message
	body    []byte
	derived []queue.Derived // queued in the same call (journal copies)
}

func (q *fakeQueue) NextMID() int64  { return q.mid.Add(1) }
func (q *fakeQueue) NextICID() int64 { return q.icid.Add(1) }

func (q *fakeQueue) EnqueueWith(m *queue.Message, body []byte, derived ...queue.Derived) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	c := *m
	c.Rcpts = append([]queue.Recipient(nil), m.Rcpts...)
	q.msgs = append(q.msgs, queued{m: c, body: append([]byte(nil), body...), derived: derived})
	return nil
}

func (q *fakeQueue) SpaceLow(int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.low
}

func (q *fakeQueue) setLow(low bool) {
	q.mu.Lock()
	q.low = low
	q.mu.Unlock()
}

func (q *fakeQueue) setFail(err error) {
	q.mu.Lock()
	q.fail = err
	q.mu.Unlock()
}

func (q *fakeQueue) messages() []queued {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]queued(nil), q.msgs...)
}

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 23, 22, 22, 23, 0, time.FixedZone("CET", 3600))

type env struct {
	t   testing.TB
	srv *Server
	q   *fakeQueue
	log *maillog.Memory
	cnt *counters.Counters
}

// testConfig is the embedded default with its listener on an ephemeral
// loopback port and a RAT accepting example.com.
func testConfig() *store.Config {
	cfg := store.Default("mx.seg.test", "")
	l := &cfg.Listeners[0]
	l.Port = 0
	l.IdleTimeout = 10
	l.RAT = []store.RATEntry{{Entry: "example.com", Action: store.RATAccept}, {Entry: "ALL", Action: store.RATReject}}
	return cfg
}

func newEnv(t testing.TB, cfg *store.Config) *env { return newEnvWith(t, cfg, nil) }

// newEnvWith lets a test change the Deps before the Server is made.
func newEnvWith(t testing.TB, cfg *store.Config, edit func(*Deps)) *env {
	t.Helper()
	return makeEnv(t, cfg, edit, func(err error) {
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
	})
}

// newEnvAllowErr hands the first Apply's error to check.
func newEnvAllowErr(t testing.TB, cfg *store.Config, check func(error)) *env {
	t.Helper()
	return makeEnv(t, cfg, nil, check)
}

func makeEnv(t testing.TB, cfg *store.Config, edit func(*Deps), check func(error)) *env {
	t.Helper()
	e := &env{t: t, q: &fakeQueue{}, log: &maillog.Memory{}}
	now := func() time.Time { return testNow }
	e.cnt = counters.New(now, nil)
	d := Deps{Queue: e.q, Counters: e.cnt, Log: e.log, Now: now}
	if edit != nil {
		edit(&d)
	}
	e.srv = New(d)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	check(e.srv.Apply(cfg))
	return e
}

// addr is a running listener's "host:port".
func (e *env) addr(name string) string {
	e.t.Helper()
	for _, l := range e.srv.Listeners() {
		if strings.EqualFold(l.Name, name) {
			if l.State != StateRunning {
				e.t.Fatalf("listener %s is %s", name, l.State)
			}
			return net.JoinHostPort(l.Address, strconv.Itoa(l.Port))
		}
	}
	e.t.Fatalf("no listener %s", name)
	return ""
}

// waitLog waits for a mail_logs line and returns all lines so far.
func (e *env) waitLog(line string) []string {
	e.t.Helper()
	var lines []string
	waitFor(e.t, "log line "+line, func() bool {
		lines = e.log.Lines()
		for _, l := range lines {
			if l == line {
				return true
			}
		}
		return false
	})
	return lines
}

func (e *env) hasLog(sub string) bool {
	for _, l := range e.log.Lines() {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds, failing the test after 5 seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// client speaks raw SMTP, so replies can be checked to the byte.
type client struct {
	t testing.TB
	c net.Conn
	r *textproto.Reader
}

// dialFrom connects to addr from the loopback address src ("" for any).
func dialFrom(t testing.TB, addr, src string) *client {
	t.Helper()
	c, err := dialRaw(addr, src)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, src, err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, r: textproto.NewReader(bufio.NewReader(c))}
}

func dialRaw(addr, src string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	return d.Dial("tcp", addr)
}

// line reads one raw reply line.
func (c *client) line() string {
	c.t.Helper()
	l, err := c.r.ReadLine()
	if err != nil {
		c.t.Fatalf("reading reply: %v", err)
	}
	return l
}

// reply reads a whole (possibly multi-line) reply as its raw lines.
func (c *client) reply() []string {
	c.t.Helper()
	var lines []string
	for {
		l := c.line()
		lines = append(lines, l)
		if len(l) < 4 || l[3] != '-' {
			return lines
		}
	}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := c.c.Write([]byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// cmd sends one command and returns the last line of its reply.
func (c *client) cmd(line string) string {
	c.t.Helper()
	c.send(line + "\r\n")
	r := c.reply()
	return r[len(r)-1]
}

// expect sends a command and checks the reply starts with want.
func (c *client) expect(line, want string) {
	c.t.Helper()
	if got := c.cmd(line); !strings.HasPrefix(got, want) {
		c.t.Fatalf("%s: got %q, want %q...", line, got, want)
	}
}

// expectClosed checks the server hung up.
func (c *client) expectClosed() {
	c.t.Helper()
	if l, err := c.r.ReadLine(); err == nil {
		c.t.Fatalf("connection still open, got %q", l)
	}
}

// greet reads the banner and says EHLO.
func (c *client) greet(helo string) {
	c.t.Helper()
	if b := c.line(); !strings.HasPrefix(b, "220 ") {
		c.t.Fatalf("banner %q", b)
	}
	c.send("EHLO " + helo + "\r\n")
	if r := c.reply(); !strings.HasPrefix(r[len(r)-1], "250 ") {
		c.t.Fatalf("EHLO: %q", r)
	}
}

// sendMessage runs one transaction and returns the final DATA reply.
func (c *client) sendMessage(from string, rcpts []string, body string) string {
	c.t.Helper()
	c.expect("MAIL FROM:<"+from+">", "250 ")
	for _, r := range rcpts {
		c.expect("RCPT TO:<"+r+">", "250 ")
	}
	c.expect("DATA", "354 ")
	c.send(dotStuff(body) + ".\r\n")
	r := c.reply()
	return r[len(r)-1]
}

// dotStuff applies RFC 5321 section 4.5.2 transparency.
func dotStuff(body string) string {
	if strings.HasPrefix(body, ".") {
		body = "." + body
	}
	return strings.ReplaceAll(body, "\r\n.", "\r\n..")
}

// freePort finds a loopback port nothing listens on.
func freePort(t testing.TB, host string) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// policy returns the HAT's named policy of listener 0, to edit.
func policy(cfg *store.Config, name string) *store.FlowPolicy {
	return cfg.Listeners[0].HAT.Policy(name)
}

// The real queue is what the wiring passes as Deps.Queue.
var _ Enqueuer = (*queue.Queue)(nil)
