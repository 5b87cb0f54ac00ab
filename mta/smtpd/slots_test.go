package smtpd

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"seg/store"
)

// fakeClock is an advancing Deps.Now: eviction measures idleness by it,
// so the tests make connections idle without waiting.
type fakeClock struct{ off atomic.Int64 }

func (f *fakeClock) now() time.Time          { return testNow.Add(time.Duration(f.off.Load())) }
func (f *fakeClock) advance(d time.Duration) { f.off.Add(int64(d)) }
func withClock(f *fakeClock) func(*Deps)     { return func(d *Deps) { d.Now = f.now } }
func limitsConfig(max int, edit func(*store.ConnLimits)) *store.Config {
	cfg := testConfig()
	cfg.Listeners[0].MaxConcurrency = max
	edit(&cfg.Listeners[0].ConnLimits)
	return cfg
}

// waitIdle waits until n sessions of the listener wait for their client,
// so that advancing the clock makes them idle.
func (e *env) waitIdle(n int) {
	e.t.Helper()
	e.srv.mu.Lock()
	l := e.srv.lis["incomingmail"]
	e.srv.mu.Unlock()
	waitFor(e.t, "idle sessions", func() bool {
		l.cmu.Lock()
		defer l.cmu.Unlock()
		k := 0
		for c := range l.sessions {
			if c.t.idleSince.Load() != 0 {
				k++
			}
		}
		return k >= n
	})
}

func TestReservedSlotsForRelay(t *testing.T) {
	// 10 slots, 2 reserved for RELAY (RELAYLIST: 127.0.0.1); no eviction.
	cfg := limitsConfig(10, func(c *store.ConnLimits) { c.ReservedPercent = 20; c.PressureIdle = 0 })
	e := newEnv(t, cfg)
	addr := e.addr("IncomingMail")
	for i := 0; i < 8; i++ {
		dialFrom(t, addr, "127.0.0.2").greet("x.test")
	}
	// The 9th ordinary client finds no slot, new address or not.
	third := dialFrom(t, addr, "127.0.0.3")
	if got := third.line(); got != "421 4.3.2 Too many connections to this listener, try again later" {
		t.Fatalf("ordinary client at a full listener: %q", got)
	}
	third.expectClosed()
	// Its slot is free once the server has logged the close (the client
	// may see the connection end a moment before).
	e.waitLog("Info: ICID 9 close")
	// RELAYLIST takes the reserve, and relays.
	r1 := dialFrom(t, addr, "127.0.0.1")
	r1.greet("relay.test")
	if got := r1.sendMessage("a@relay.test", []string{"b@far.test"}, "\r\nx\r\n"); !strings.HasPrefix(got, "250 ") {
		t.Fatalf("relay through the reserve: %q", got)
	}
	dialFrom(t, addr, "127.0.0.1").greet("relay.test")
	// Past the whole of max_concurrency nobody gets in.
	over := dialFrom(t, addr, "127.0.0.1")
	if got := over.line(); !strings.HasPrefix(got, "421 4.3.2 ") {
		t.Fatalf("11th connection: %q", got)
	}
	if n := len(e.q.messages()); n != 1 {
		t.Errorf("%d messages queued", n)
	}
}

func TestPressureAdmitsNewAddressesOnly(t *testing.T) {
	// No reserve, no eviction: above 8 of 10 slots, an address that
	// holds a session gets no second one; an address that holds none
	// does.
	cfg := limitsConfig(10, func(c *store.ConnLimits) { c.ReservedPercent = 0; c.PressureIdle = 0 })
	e := newEnv(t, cfg)
	addr := e.addr("IncomingMail")
	for i := 0; i < 8; i++ {
		dialFrom(t, addr, "127.0.0.2").greet("x.test")
	}
	again := dialFrom(t, addr, "127.0.0.2")
	if got := again.line(); got != "421 4.3.2 Too many connections to this listener, try again later" {
		t.Fatalf("9th from a holder under pressure: %q", got)
	}
	dialFrom(t, addr, "127.0.0.3").greet("new.test")
	dialFrom(t, addr, "127.0.0.4").greet("new.test")
}

func TestPressureEvictsIdleOldestFirst(t *testing.T) {
	clk := &fakeClock{}
	cfg := limitsConfig(10, func(c *store.ConnLimits) { c.ReservedPercent = 0; c.PressureIdle = 30 })
	e := newEnvWith(t, cfg, withClock(clk))
	addr := e.addr("IncomingMail")
	var cs []*client
	for i := 0; i < 8; i++ {
		c := dialFrom(t, addr, "127.0.0.2")
		c.greet("x.test")
		cs = append(cs, c)
		e.waitIdle(i + 1)
		clk.advance(time.Second) // ICID 1 has waited longest
	}
	clk.advance(30 * time.Second)
	// ICID 2 keeps sending NOOP and EHLO: that is no activity. ICID 3 starts a
	// transaction: that is.
	cs[1].expect("NOOP", "250 ")
	cs[1].expect("EHLO again.x.test", "250 ")
	cs[2].expect("MAIL FROM:<a@x.test>", "250 ")
	e.waitIdle(8)

	// The 9th connection puts the listener over 80%: one idle session
	// goes (the longest idle), and the newcomer gets its slot.
	dialFrom(t, addr, "127.0.0.3").greet("new.test")
	if got := cs[0].line(); got != "421 4.7.0 Server busy, idle connection closed, try again later" {
		t.Fatalf("evicted session: %q", got)
	}
	cs[0].expectClosed()
	e.waitLog("Info: ICID 1 disconnected address 127.0.0.2, idle for 38 s while listener IncomingMail was over 80% full")
	e.waitLog("Info: ICID 1 close")

	// The 10th evicts the NOOP sender (next longest idle), not the one in
	// a transaction.
	dialFrom(t, addr, "127.0.0.4").greet("new.test")
	if got := cs[1].line(); !strings.HasPrefix(got, "421 4.7.0 ") {
		t.Fatalf("NOOP sender: %q", got)
	}
	e.waitLog("Info: ICID 2 disconnected address 127.0.0.2, idle for 37 s while listener IncomingMail was over 80% full")
	// The session in a transaction carries on.
	cs[2].expect("RCPT TO:<b@example.com>", "250 ")
	if e.hasLog("ICID 3 disconnected") {
		t.Error("the session in a transaction was evicted")
	}
}
