package smtpd

import (
	"slices"
	"strings"
	"testing"
)

func TestMaxRcptsPerMsg(t *testing.T) {
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = map[string]string{"max_rcpts_per_msg": "2"}
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<r1@example.com>", "250 ")
	c.expect("RCPT TO:<r2@example.com>", "250 ")
	if got := c.cmd("RCPT TO:<r3@example.com>"); got != "452 4.5.3 Too many recipients" {
		t.Fatalf("3rd recipient: %q", got)
	}
	// A RAT rejection still says so, and does not use up the limit.
	c.expect("RCPT TO:<r4@far.test>", "550 5.7.1 ")
	c.expect("DATA", "354 ")
	c.send("\r\nbody\r\n.\r\n")
	c.reply()
	if m := e.q.messages(); len(m) != 1 || len(m[0].m.Rcpts) != 2 {
		t.Fatalf("queued %+v", m)
	}
	// The limit is per message.
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<r1@example.com>", "250 ")
	c.expect("RCPT TO:<r2@example.com>", "250 ")
	e.waitLog("Info: ICID 1 Receiving Failed: Too Many Recipients")
}

func TestMaxMsgsPerSession(t *testing.T) {
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = map[string]string{"max_msgs_per_session": "2"}
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	for i := 0; i < 2; i++ {
		if got := c.sendMessage("a@x.test", []string{"b@example.com"}, "\r\nx\r\n"); !strings.HasPrefix(got, "250 ") {
			t.Fatalf("message %d: %q", i+1, got)
		}
	}
	// Pipelined commands after the refused MAIL must not be acted on.
	c.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
	if got := c.reply(); got[0] != "421 4.7.0 Too many messages for this session, closing connection" {
		t.Fatalf("3rd MAIL: %q", got)
	}
	c.expectClosed()
	e.waitLog("Info: ICID 1 Receiving Failed: Too Many Messages")
	e.waitLog("Info: ICID 1 close")
	if e.hasLog("Start MID 3") {
		t.Errorf("a third transaction was started")
	}
}

func TestMaxMessageSize(t *testing.T) {
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = map[string]string{"max_message_size": "2048"}
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.line()
	c.send("EHLO x.test\r\n")
	if r := c.reply(); !slices.Contains(r, "250 SIZE 2048") {
		t.Errorf("EHLO %q does not advertise SIZE 2048", r)
	}
	if got := c.cmd("MAIL FROM:<a@x.test> SIZE=4096"); got != "552 5.3.4 Message size exceeds limit" {
		t.Errorf("MAIL SIZE=4096: %q", got)
	}
	c.expect("MAIL FROM:<a@x.test> SIZE=1000", "250 ")
	c.expect("RCPT TO:<b@example.com>", "250 ")
	c.expect("DATA", "354 ")
	big := "Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("y", 70)+"\r\n", 60)
	c.send(big + ".\r\n")
	if got := c.reply(); got[0] != "552 5.3.4 Message size exceeds limit" {
		t.Fatalf("oversized DATA: %q", got)
	}
	// The session goes on; exactly the limit passes.
	exact := "\r\n" + strings.Repeat(strings.Repeat("z", 1021)+"\r\n", 2)
	if got := c.sendMessage("a@x.test", []string{"b@example.com"}, exact); !strings.HasPrefix(got, "250 ") {
		t.Fatalf("message of exactly max_message_size: %q", got)
	}
	e.waitLog("Info: ICID 1 Receiving Failed: Message size exceeds limit")
	e.waitLog("Info: Message aborted MID 1 Receiving aborted")
	if n := len(e.q.messages()); n != 1 {
		t.Errorf("%d messages queued", n)
	}
}

func TestMaxConcurrencyPerIP(t *testing.T) {
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = map[string]string{"max_concurrency": "1"}
	e := newEnv(t, cfg)
	addr := e.addr("IncomingMail")
	first := dialFrom(t, addr, "127.0.0.2")
	first.greet("x.test")

	second := dialFrom(t, addr, "127.0.0.2")
	if got := second.line(); got != "421 4.7.0 Too many concurrent connections from your address, try again later" {
		t.Fatalf("2nd connection from the same IP: %q", got)
	}
	second.expectClosed()
	e.waitLog("Info: ICID 2 Receiving Failed: Connection limit exceeded")

	other := dialFrom(t, addr, "127.0.0.3")
	other.greet("y.test")

	first.expect("QUIT", "221 ")
	e.waitLog("Info: ICID 1 close")
	again := dialFrom(t, addr, "127.0.0.2")
	again.greet("x.test")
}

func TestListenerMaxConcurrency(t *testing.T) {
	cfg := testConfig()
	cfg.Listeners[0].MaxConcurrency = 1
	e := newEnv(t, cfg)
	addr := e.addr("IncomingMail")
	first := dialFrom(t, addr, "127.0.0.2")
	first.greet("x.test")
	second := dialFrom(t, addr, "127.0.0.3")
	if got := second.line(); got != "421 4.3.2 Too many connections to this listener, try again later" {
		t.Fatalf("2nd connection: %q", got)
	}
	second.expectClosed()
	lines := e.waitLog("Info: ICID 2 close")
	want := []string{
		"Info: New SMTP ICID 2 interface Management (127.0.0.1) address 127.0.0.3 reverse dns host unknown verified no",
		"Info: ICID 2 Receiving Failed: Connection limit exceeded",
		"Info: ICID 2 close",
	}
	var got []string
	for _, l := range lines {
		if strings.Contains(l, "ICID 2 ") {
			got = append(got, l)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("log:\n%s", strings.Join(got, "\n"))
	}
}

func TestBadCommandLimit(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	if got := c.cmd("HELP"); !strings.HasPrefix(got, "214 ") {
		t.Errorf("HELP: %q", got)
	}
	c.expect("NOOP", "250 ")
	// Unknown verbs, BDAT (CHUNKING is not offered), an empty line and a
	// mangled one all count.
	for _, bad := range []string{"FOO", "BDAT 10 LAST", "", "MAILFROM:<a@b>"} {
		if got := c.cmd(bad); got != "500 #5.5.1 command not recognized" {
			t.Fatalf("%q: %q", bad, got)
		}
	}
	// Good commands in between do not reset the count.
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.send("XYZZY\r\n")
	if got := c.reply(); got[0] != "500 #5.5.1 command not recognized" {
		t.Fatalf("5th bad command: %q", got)
	}
	if got := c.line(); got != "421 Exceeded bad SMTP command limit, disconnecting." {
		t.Fatalf("after 5 bad commands: %q", got)
	}
	c.expectClosed()
	e.waitLog("Info: Message aborted MID 1 Receiving aborted")
	e.waitLog("Info: ICID 1 close")
}

func TestBadCommandsPipelined(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.send("A1\r\nNOOP\r\nA2\r\nRSET\r\nA3\r\nA4\r\nA5\r\nMAIL FROM:<a@x.test>\r\n")
	want := []string{"500 #5.5.1 command not recognized", "250 2.0.0 I have successfully done nothing",
		"500 #5.5.1 command not recognized", "250 2.0.0 Session reset", "500 #5.5.1 command not recognized",
		"500 #5.5.1 command not recognized", "500 #5.5.1 command not recognized",
		"421 Exceeded bad SMTP command limit, disconnecting."}
	for i, w := range want {
		if got := c.line(); got != w {
			t.Fatalf("reply %d: %q, want %q", i+1, got, w)
		}
	}
	c.expectClosed()
	e.waitLog("Info: ICID 1 close")
	if e.hasLog("Start MID") {
		t.Errorf("MAIL after the limit was acted on")
	}
}

func TestLongLineInData(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<b@example.com>", "250 ")
	c.expect("DATA", "354 ")
	c.send("Subject: long\r\n\r\n" + strings.Repeat("w", 3000) + "\r\n.\r\n")
	if got := c.line(); got != "500 5.5.2 Line too long" {
		t.Fatalf("3000-byte line: %q", got)
	}
	e.waitLog("Info: Message aborted MID 1 Receiving aborted")
	e.waitLog("Info: ICID 1 close")
	if len(e.q.messages()) != 0 {
		t.Errorf("queued a message with a 3000-byte line")
	}
}
