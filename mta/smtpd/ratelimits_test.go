package smtpd

import (
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/mta/ratelimit"
	"seg/store"
)

func newRateEnv(t *testing.T, params map[string]string) (*env, *segtest.Clock) {
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = params
	clk := segtest.NewClock(testNow)
	e := newEnvWith(t, cfg, func(d *Deps) { d.Rates = ratelimit.NewRates(clk.Now) })
	return e, clk
}

func TestMaxRcptsPerHour(t *testing.T) {
	e, clk := newRateEnv(t, map[string]string{"max_rcpts_per_hour": "3", "max_rcpts_per_hour_text": "Slow down"})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<r1@example.com>", "250 ")
	c.expect("RCPT TO:<r2@example.com>", "250 ")
	c.expect("RCPT TO:<r3@example.com>", "250 ")
	if got := c.cmd("RCPT TO:<r4@example.com>"); got != "452 4.5.3 Slow down" {
		t.Fatalf("4th recipient of a limit of 3: %q", got)
	}
	// The three accepted recipients stay accepted.
	c.expect("DATA", "354 ")
	c.send("\r\nbody\r\n.\r\n")
	c.reply()
	if m := e.q.messages(); len(m) != 1 || len(m[0].m.Rcpts) != 3 {
		t.Fatalf("queued %+v", m)
	}
	e.waitLog("Info: MID 1 ICID 1 To: <r4@example.com> Rejected by rate limit: host=127.0.0.2, max_rcpts_per_hour=3, sender_group=ALL")

	// Another host has its own count; a new connection from the first
	// does not reset its count.
	o := dialFrom(t, e.addr("IncomingMail"), "127.0.0.3")
	o.greet("y.test")
	o.expect("MAIL FROM:<a@y.test>", "250 ")
	o.expect("RCPT TO:<r1@example.com>", "250 ")
	c2 := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c2.greet("x.test")
	c2.expect("MAIL FROM:<a@x.test>", "250 ")
	c2.expect("RCPT TO:<r5@example.com>", "452 ")

	// The window slides: an hour on, the host may send again.
	clk.Advance(61 * time.Minute)
	c2.expect("RCPT TO:<r5@example.com>", "250 ")
}

func TestSigBitsGroupsHosts(t *testing.T) {
	e, _ := newRateEnv(t, map[string]string{"max_rcpts_per_hour": "1", "use_sb": "off", "sig_bits": "24"})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<r1@example.com>", "250 ")
	o := dialFrom(t, e.addr("IncomingMail"), "127.0.0.3")
	o.greet("y.test")
	o.expect("MAIL FROM:<a@y.test>", "250 ")
	if got := o.cmd("RCPT TO:<r1@example.com>"); got != "452 4.5.3 Too many recipients received this hour" {
		t.Fatalf("a host of the same /24: %q", got)
	}
	e.waitLog("Info: MID 2 ICID 2 To: <r1@example.com> Rejected by rate limit: host=127.0.0.0/24, max_rcpts_per_hour=1, sender_group=ALL")
}

func TestDHAP(t *testing.T) {
	e, _ := newRateEnv(t, map[string]string{"dhap_limit": "2", "dhap_drop": "on", "dhap_code": "551", "dhap_text": "Go away"})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<r1@far.test>", "550 5.7.1 Recipient address rejected")
	if e.hasLog("Potential Directory Harvest Attack") {
		t.Fatal("DHAP logged below the limit")
	}
	c.expect("RCPT TO:<r2@far.test>", "550 5.7.1 Recipient address rejected")
	e.waitLog("Info: Potential Directory Harvest Attack from host=127.0.0.2, dhap_limit=2, sender_group=ALL")
	c.expect("RCPT TO:<ok@example.com>", "250 ") // valid recipients are not DHAP's business
	if got := c.cmd("RCPT TO:<r3@far.test>"); got != "551 5.7.1 Go away" {
		t.Fatalf("3rd invalid recipient of a limit of 2: %q", got)
	}
	c.expectClosed()
	e.waitLog("Info: Dropping connection due to potential Directory Harvest Attack from host=127.0.0.2, dhap_limit=2, sender_group=ALL")
}

func TestDHAPWithoutDrop(t *testing.T) {
	e, _ := newRateEnv(t, map[string]string{"dhap_limit": "1"})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<r1@far.test>", "550 5.7.1 Recipient address rejected")
	for i := 0; i < 2; i++ {
		if got := c.cmd("RCPT TO:<r2@far.test>"); got != "550 5.7.1 Too many invalid recipients" {
			t.Fatalf("invalid recipient over the limit: %q", got)
		}
	}
	c.expect("RCPT TO:<ok@example.com>", "250 ")
	if e.hasLog("Dropping connection") {
		t.Error("dropped with dhap_drop off")
	}
}

func TestBypassReceivingControl(t *testing.T) {
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = map[string]string{"max_rcpts_per_hour": "1"}
	cfg.Listeners[0].RAT = append([]store.RATEntry{{Entry: "vip.example.com", Action: store.RATAccept, BypassReceivingControl: true}}, cfg.Listeners[0].RAT...)
	e := newEnvWith(t, cfg, func(d *Deps) { d.Rates = ratelimit.NewRates(segtest.NewClock(testNow).Now) })
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<r1@example.com>", "250 ")
	c.expect("RCPT TO:<r2@example.com>", "452 4.5.3 ")
	for i := 0; i < 3; i++ {
		c.expect("RCPT TO:<boss@vip.example.com>", "250 ")
	}
}

func TestSenderRateLimit(t *testing.T) {
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = map[string]string{
		"sender_rate_limit": "2", "sender_rate_minutes": "10", "sender_rate_code": "450",
		"max_rcpts_per_hour": "3", "sender_rate_exceptions": "vips",
	}
	cfg.AddressLists = []store.AddressList{{Name: "vips", Addresses: []string{"@vip.test", "127.0.0.3"}}}
	clk := segtest.NewClock(testNow)
	e := newEnvWith(t, cfg, func(d *Deps) { d.Rates = ratelimit.NewRates(clk.Now) })
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<r1@example.com>", "250 ")
	c.expect("RCPT TO:<r2@example.com>", "250 ")
	if got := c.cmd("RCPT TO:<r3@example.com>"); got != "450 4.5.3 Too many recipients received from the sender" {
		t.Fatalf("3rd recipient of a sender limit of 2: %q", got)
	}
	e.waitLog("Info: MID 1 ICID 1 To: <r3@example.com> Rejected by rate limit: sender=<a@x.test>, sender_rate_limit=2, sender_rate_minutes=10, sender_group=ALL")
	// The refused recipient did not use up the host's hourly count (3):
	// another sender from the host gets one more.
	c.cmd("RSET")
	c.expect("MAIL FROM:<b@x.test>", "250 ")
	c.expect("RCPT TO:<r1@example.com>", "250 ")
	c.expect("RCPT TO:<r2@example.com>", "452 4.5.3 Too many recipients received this hour")
	// Exceptions: a sender in the list, a client address in the list.
	c.cmd("RSET")
	c.expect("MAIL FROM:<boss@VIP.test>", "250 ")
	c.expect("RCPT TO:<r1@example.com>", "452 ") // the hourly limit still holds
	o := dialFrom(t, e.addr("IncomingMail"), "127.0.0.3")
	o.greet("y.test")
	o.expect("MAIL FROM:<a@x.test>", "250 ")
	o.expect("RCPT TO:<r1@example.com>", "250 ")
	// The null sender is not limited.
	o.cmd("RSET")
	o.expect("MAIL FROM:<>", "250 ")
	// The window is ten minutes.
	clk.Advance(11 * time.Minute)
	p := dialFrom(t, e.addr("IncomingMail"), "127.0.0.4")
	p.greet("z.test")
	p.expect("MAIL FROM:<a@x.test>", "250 ")
	p.expect("RCPT TO:<r1@example.com>", "250 ")
	p.expect("RCPT TO:<r2@example.com>", "250 ")
	p.expect("RCPT TO:<r3@example.com>", "450 ")
}
