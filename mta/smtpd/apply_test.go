package smtpd

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/store"
)

func twoListeners() *store.Config {
	cfg := testConfig()
	b := store.NewListener("Second", store.ListenerPublic, "127.0.0.1", 0)
	b.RAT = cfg.Listeners[0].RAT
	cfg.Listeners = append(cfg.Listeners, b)
	return cfg
}

// openTransaction starts a transaction that a reload must not disturb.
func openTransaction(t *testing.T, addr string) *client {
	c := dialFrom(t, addr, "127.0.0.2")
	c.greet("inflight.test")
	c.expect("MAIL FROM:<a@inflight.test>", "250 ")
	c.expect("RCPT TO:<b@example.com>", "250 ")
	return c
}

func finishTransaction(t *testing.T, c *client) {
	t.Helper()
	c.expect("DATA", "354 ")
	c.send("Subject: in flight\r\n\r\nbody\r\n.\r\n")
	if r := c.reply(); !strings.HasPrefix(r[0], "250 2.0.0 Ok: queued as ") {
		t.Fatalf("in-flight message: %q", r)
	}
	c.expect("QUIT", "221 ")
}

func expectNoListener(t *testing.T, addr string) {
	t.Helper()
	if c, err := dialRaw(addr, ""); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections", addr)
	}
}

func TestApplyReconcilesListeners(t *testing.T) {
	cfg := twoListeners()
	e := newEnv(t, cfg)
	oldA, oldB := e.addr("IncomingMail"), e.addr("Second")
	inA := openTransaction(t, oldA)
	inB := openTransaction(t, oldB)

	// Rebind IncomingMail to a new port and tighten its RAT, delete
	// Second, add Third.
	cfg2 := cfg.Clone()
	newPort := freePort(t, "127.0.0.1")
	cfg2.Listeners[0].Port = newPort
	cfg2.Listeners[0].RAT = store.DefaultRAT()
	third := store.NewListener("Third", store.ListenerPublic, "127.0.0.1", 0)
	third.RAT = cfg.Listeners[0].RAT
	cfg2.Listeners = []store.Listener{cfg2.Listeners[0], third}
	if err := e.srv.Apply(cfg2); err != nil {
		t.Fatalf("Apply: %v", err)
	}

	expectNoListener(t, oldA)
	expectNoListener(t, oldB)
	newA := net.JoinHostPort("127.0.0.1", strconv.Itoa(newPort))
	if got := e.addr("IncomingMail"); got != newA {
		t.Fatalf("IncomingMail at %s, want %s", got, newA)
	}

	// Sessions in flight keep the configuration they connected with: the
	// old RAT still accepts example.com for them, and deleting their
	// listener does not cut them.
	inA.expect("RCPT TO:<c@example.com>", "250 ")
	finishTransaction(t, inA)
	finishTransaction(t, inB)

	c := dialFrom(t, newA, "127.0.0.2")
	c.greet("new.test")
	c.expect("MAIL FROM:<a@new.test>", "250 ")
	c.expect("RCPT TO:<b@example.com>", "550 5.7.1 ")

	c = dialFrom(t, e.addr("Third"), "127.0.0.2")
	c.greet("third.test")
	if got := c.sendMessage("a@third.test", []string{"b@example.com"}, "\r\nx\r\n"); !strings.HasPrefix(got, "250 ") {
		t.Fatalf("Third: %q", got)
	}

	var names []string
	for _, l := range e.srv.Listeners() {
		names = append(names, l.Name+":"+l.State)
	}
	if strings.Join(names, ",") != "IncomingMail:running,Third:running" {
		t.Errorf("Listeners: %v", names)
	}
	if n := len(e.q.messages()); n != 3 {
		t.Errorf("%d messages queued, want 3", n)
	}
}

func TestApplyKeepsUnchangedSocket(t *testing.T) {
	cfg := testConfig()
	e := newEnv(t, cfg)
	before := e.addr("IncomingMail") // port 0: a rebind would get a new port
	idle := dialFrom(t, before, "127.0.0.2")
	idle.greet("idle.test")

	cfg2 := cfg.Clone()
	policy(cfg2, "$ACCEPTED").Params = store.Params{"smtp_banner_text": "changed"}
	cfg2.Listeners[0].MaxConcurrency = 50
	if err := e.srv.Apply(cfg2); err != nil {
		t.Fatal(err)
	}
	if after := e.addr("IncomingMail"); after != before {
		t.Fatalf("unchanged listener rebound: %s -> %s", before, after)
	}
	c := dialFrom(t, before, "127.0.0.2")
	if b := c.line(); b != "220 changed" {
		t.Errorf("new connection banner %q", b)
	}
	idle.expect("NOOP", "250 ")
}

func TestApplyBindError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	busyPort := busy.Addr().(*net.TCPAddr).Port
	cfg := twoListeners()
	cfg.Listeners[1].Port = busyPort
	e := newEnvAllowErr(t, cfg, func(err error) {
		if err == nil || !strings.Contains(err.Error(), "listener Second: cannot listen on 127.0.0.1:"+strconv.Itoa(busyPort)) {
			t.Errorf("Apply error %v", err)
		}
	})
	st := e.srv.Listeners()
	if st[0].State != StateRunning || st[1].State != StateFailed || !strings.Contains(st[1].Err, "address already in use") {
		t.Fatalf("status %+v", st)
	}
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")

	busy.Close()
	if err := e.srv.Apply(cfg); err != nil {
		t.Fatalf("retry: %v", err)
	}
	c = dialFrom(t, e.addr("Second"), "127.0.0.2")
	c.greet("x.test")
}

func TestSwapAddresses(t *testing.T) {
	cfg := twoListeners()
	p1, p2 := freePort(t, "127.0.0.1"), freePort(t, "127.0.0.1")
	cfg.Listeners[0].Port, cfg.Listeners[1].Port = p1, p2
	e := newEnv(t, cfg)
	cfg2 := cfg.Clone()
	cfg2.Listeners[0].Port, cfg2.Listeners[1].Port = p2, p1
	if err := e.srv.Apply(cfg2); err != nil {
		t.Fatalf("swapping ports: %v", err)
	}
	if e.addr("IncomingMail") != "127.0.0.1:"+strconv.Itoa(p2) {
		t.Errorf("IncomingMail at %s", e.addr("IncomingMail"))
	}
}

func TestSuspendResume(t *testing.T) {
	cfg := testConfig()
	cfg.Listeners[0].Port = freePort(t, "127.0.0.1")
	e := newEnv(t, cfg)
	addr := e.addr("IncomingMail")
	inflight := openTransaction(t, addr)

	if err := e.srv.Suspend("incomingmail"); err != nil {
		t.Fatal(err)
	}
	expectNoListener(t, addr)
	st := e.srv.Listeners()[0]
	if st.State != StateSuspended || st.Connections != 1 {
		t.Errorf("suspended status %+v", st)
	}
	finishTransaction(t, inflight)

	// A reload does not resume it.
	if err := e.srv.Apply(cfg.Clone()); err != nil {
		t.Fatal(err)
	}
	expectNoListener(t, addr)

	if err := e.srv.Resume("IncomingMail"); err != nil {
		t.Fatal(err)
	}
	c := dialFrom(t, addr, "127.0.0.2")
	c.greet("back.test")

	if err := e.srv.Suspend("nope"); err == nil || err.Error() != `no listener named "nope"; listeners: IncomingMail` {
		t.Errorf("unknown listener: %v", err)
	}
	if err := e.srv.Suspend(""); err != nil {
		t.Fatal(err)
	}
	expectNoListener(t, addr)
	if err := e.srv.Resume(""); err != nil {
		t.Fatal(err)
	}
	dialFrom(t, addr, "127.0.0.2").line()
}

func TestCloseWaitsForSessions(t *testing.T) {
	e := newEnv(t, testConfig())
	addr := e.addr("IncomingMail")
	inflight := openTransaction(t, addr)

	done := make(chan error, 1)
	go func() { done <- e.srv.Close(context.Background()) }()
	waitFor(t, "the socket to close", func() bool {
		c, err := dialRaw(addr, "")
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case err := <-done:
		t.Fatalf("Close returned %v with a session in flight", err)
	default:
	}
	finishTransaction(t, inflight)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after the last session ended")
	}
	if err := e.srv.Apply(testConfig()); err == nil {
		t.Errorf("Apply after Close succeeded")
	}
}

func TestCloseCutsSessionsAtDeadline(t *testing.T) {
	e := newEnv(t, testConfig())
	inflight := openTransaction(t, e.addr("IncomingMail"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.srv.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v", err)
	}
	inflight.expectClosed()
	e.waitLog("Info: Message aborted MID 1 Receiving aborted")
	e.waitLog("Info: ICID 1 close")
}

// A rebind onto a port someone else holds keeps the listener serving on
// its old address (a bad commit never takes SMTP down), reports both
// addresses, and moves once the port is free.
func TestRebindOntoBusyPortKeepsOldSocket(t *testing.T) {
	cfg := testConfig()
	cfg.Listeners[0].Port = freePort(t, "127.0.0.1")
	e := newEnv(t, cfg)
	old := e.addr("IncomingMail")
	inflight := openTransaction(t, old)

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	cfg2 := cfg.Clone()
	cfg2.Listeners[0].Port = busyPort
	err = e.srv.Apply(cfg2)
	if err == nil || !strings.Contains(err.Error(), "cannot listen on 127.0.0.1:"+strconv.Itoa(busyPort)) {
		t.Fatalf("Apply onto a busy port: %v", err)
	}
	st := e.srv.Listeners()[0]
	if st.State != StateMisplaced || st.Listening != old || st.Port != busyPort || !strings.Contains(st.Err, "address already in use") {
		t.Fatalf("status %+v, want misplaced, still listening on %s", st, old)
	}
	c := dialFrom(t, old, "127.0.0.2")
	c.greet("still.test")
	finishTransaction(t, inflight)

	// Another commit that does not touch the address leaves it as it is.
	cfg3 := cfg2.Clone()
	cfg3.Listeners[0].MaxConcurrency = 77
	if err := e.srv.Apply(cfg3); err == nil {
		t.Fatal("Apply: the busy port is still busy, want its error again")
	}
	dialFrom(t, old, "127.0.0.2").greet("again.test")

	busy.Close()
	if err := e.srv.Apply(cfg3); err != nil {
		t.Fatalf("Apply once the port is free: %v", err)
	}
	st = e.srv.Listeners()[0]
	want := "127.0.0.1:" + strconv.Itoa(busyPort)
	if st.State != StateRunning || st.Listening != want || st.Err != "" {
		t.Fatalf("status %+v, want running on %s", st, want)
	}
	expectNoListener(t, old)
	dialFrom(t, want, "127.0.0.2").greet("moved.test")
}
