package smtpd

import (
	"strings"
	"testing"
	"time"

	"seg/store"
)

// These tests run the limits for real (net.Conn deadlines are wall-clock)
// at a second or two; they check what happens, never how long it took.

// drip writes s one byte at a time, every, until the server hangs up,
// and returns what the server said after that.
func (c *client) drip(s string, every time.Duration) string {
	c.t.Helper()
	for i := 0; i < len(s); i++ {
		if _, err := c.c.Write([]byte{s[i]}); err != nil {
			break
		}
		time.Sleep(every)
	}
	return c.line()
}

func timeoutConfig(edit func(*store.ConnLimits)) *store.Config {
	cfg := testConfig()
	edit(&cfg.Listeners[0].ConnLimits)
	return cfg
}

func TestIdleTimeoutCoversACommandLineDrip(t *testing.T) {
	e := newEnv(t, timeoutConfig(func(c *store.ConnLimits) { c.IdleTimeout = 1 }))
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	// Every byte arrives well within the second, the line does not.
	got := c.drip("MAIL FROM:<slow@x.test>\r\n", 100*time.Millisecond)
	if got != "421 4.4.2 Idle timeout, disconnecting." {
		t.Fatalf("drip: %q", got)
	}
	c.expectClosed()
	e.waitLog("Info: ICID 1 disconnected address 127.0.0.2, idle timeout (1 s) exceeded")
	e.waitLog("Info: ICID 1 close")
	if e.hasLog("Start MID") {
		t.Error("the dripped MAIL was acted on")
	}
}

func TestMaxConnectionTime(t *testing.T) {
	e := newEnv(t, timeoutConfig(func(c *store.ConnLimits) { c.MaxConnectionTime = 2 }))
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	// NOOPs keep the session from idling; the total time ends it.
	var got string
	for got == "" || strings.HasPrefix(got, "250 ") {
		time.Sleep(100 * time.Millisecond)
		got = c.cmd("NOOP")
	}
	if got != "421 4.4.2 Exceeded allowable connection time, disconnecting." {
		t.Fatalf("after 2 s: %q", got)
	}
	c.expectClosed()
	e.waitLog("Info: ICID 1 disconnected address 127.0.0.2, exceeded allowable connection time")
}

func TestMaxConnectionTimeRefusesMAILAfter80Percent(t *testing.T) {
	e := newEnv(t, timeoutConfig(func(c *store.ConnLimits) { c.MaxConnectionTime = 2 }))
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	time.Sleep(1700 * time.Millisecond) // past 80% of 2 s, before 100%
	c.send("MAIL FROM:<a@x.test>\r\n")
	if got := c.line(); got != "421 4.4.2 Exceeded allowable connection time, disconnecting." {
		t.Fatalf("MAIL at 85%%: %q", got)
	}
	c.expectClosed()
	e.waitLog("Info: ICID 1 disconnected address 127.0.0.2, exceeded allowable connection time")
	if e.hasLog("Start MID") {
		t.Error("a transaction was started")
	}
}

func TestDataTimeout(t *testing.T) {
	e := newEnv(t, timeoutConfig(func(c *store.ConnLimits) { c.DataTimeout = 1; c.MinDataRate = 0 }))
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<b@example.com>", "250 ")
	c.expect("DATA", "354 ")
	got := c.drip("Subject: slow\r\n\r\n"+strings.Repeat("x", 100)+"\r\n.\r\n", 50*time.Millisecond)
	if got != "421 4.4.2 Exceeded allowable time for message data, disconnecting." {
		t.Fatalf("slow DATA: %q", got)
	}
	c.expectClosed()
	e.waitLog("Info: ICID 1 disconnected address 127.0.0.2, exceeded allowable data time (1 s)")
	e.waitLog("Info: Message aborted MID 1 Receiving aborted")
	e.waitLog("Info: ICID 1 close")
	if n := len(e.q.messages()); n != 0 {
		t.Errorf("%d messages queued", n)
	}
}

func TestMinDataRate(t *testing.T) {
	e := newEnv(t, timeoutConfig(func(c *store.ConnLimits) { c.MinDataRate = 50; c.DataRateInterval = 1 }))
	addr := e.addr("IncomingMail")
	c := dialFrom(t, addr, "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<b@example.com>", "250 ")
	c.expect("DATA", "354 ")
	// About 10 bytes a second against 50: each byte is far within the
	// idle timeout, the average is not.
	got := c.drip("Subject: drip\r\n\r\n"+strings.Repeat("x", 100)+"\r\n.\r\n", 100*time.Millisecond)
	if got != "421 4.4.2 Message data too slow, disconnecting." {
		t.Fatalf("drip: %q", got)
	}
	c.expectClosed()
	e.waitLog("Info: ICID 1 disconnected address 127.0.0.2, message data slower than 50 bytes/s over 1 s")
	e.waitLog("Info: Message aborted MID 1 Receiving aborted")
	if n := len(e.q.messages()); n != 0 {
		t.Errorf("%d messages queued", n)
	}

	// Data at full speed in several intervals passes; so does a client
	// that pauses between messages (the rate is of the DATA phase only).
	ok := dialFrom(t, addr, "127.0.0.3")
	ok.greet("y.test")
	time.Sleep(1100 * time.Millisecond)
	ok.expect("MAIL FROM:<a@y.test>", "250 ")
	ok.expect("RCPT TO:<b@example.com>", "250 ")
	ok.expect("DATA", "354 ")
	for i := 0; i < 3; i++ {
		ok.send(strings.Repeat("y", 70) + "\r\n")
		time.Sleep(500 * time.Millisecond)
	}
	ok.send(".\r\n")
	if got := ok.line(); !strings.HasPrefix(got, "250 ") {
		t.Fatalf("steady data: %q", got)
	}
}

func TestTooSlow(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		d    time.Duration
		rate int
		want bool
	}{
		{60, time.Minute, 1, false},
		{59, time.Minute, 1, true},
		{3, time.Minute, 1, true}, // the drip: a byte every 20 s
		{0, time.Minute, 1, true},
		{1 << 30, time.Hour, 1 << 20, true},
		{(1 << 20) * 3600, time.Hour, 1 << 20, false},
	} {
		if got := tooSlow(tc.n, tc.d, tc.rate); got != tc.want {
			t.Errorf("tooSlow(%d, %v, %d) = %v", tc.n, tc.d, tc.rate, got)
		}
	}
}

func TestTimersArm(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim := store.DefaultConnLimits()
	tm := &timers{lim: lim, clock: func() time.Time { return t0 }, start: t0, counted: true}
	// Command state: idle_timeout from now.
	if d, why := tm.arm(250, t0.Add(time.Second)); why != endNone || !d.Equal(t0.Add(301*time.Second)) {
		t.Errorf("command: %v %v", d, why)
	}
	// Near the end of the session, its end comes first.
	if d, _ := tm.arm(250, t0.Add(800*time.Second)); !d.Equal(t0.Add(900 * time.Second)) {
		t.Errorf("near the end: %v", d)
	}
	if _, why := tm.arm(250, t0.Add(900*time.Second)); why != endSession {
		t.Errorf("at the end: %v", why)
	}
	// DATA from 10 s: the rate interval ends first.
	if d, _ := tm.arm(354, t0.Add(10*time.Second)); !d.Equal(t0.Add(70 * time.Second)) {
		t.Errorf("data: %v", d)
	}
	tm.dataBytes = 100
	// An interval with enough data starts the next one.
	if d, why := tm.arm(354, t0.Add(70*time.Second)); why != endNone || !d.Equal(t0.Add(130*time.Second)) {
		t.Errorf("second interval: %v %v", d, why)
	}
	if _, why := tm.arm(354, t0.Add(130*time.Second)); why != endSlow {
		t.Errorf("an interval without data: %v", why)
	}
	// With no minimum rate, data_timeout bounds the phase.
	tm.lim.MinDataRate = 0
	if d, _ := tm.arm(354, t0.Add(400*time.Second)); !d.Equal(t0.Add(610 * time.Second)) {
		t.Errorf("data_timeout: %v", d)
	}
	if _, why := tm.arm(354, t0.Add(610*time.Second)); why != endData {
		t.Errorf("past data_timeout: %v", why)
	}
}
