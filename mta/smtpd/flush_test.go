package smtpd

import (
	"testing"
)

// TestFlushBeforeAccepting: every line of a message, "queued for
// delivery" included, is flushed before the client reads the 250 that
// accepts it, so a crash right after cannot lose them (issue 13).
func TestFlushBeforeAccepting(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.line()
	c.expect("EHLO client.test", "250 ")
	c.expect("MAIL FROM:<alice@sender.test>", "250 ")
	c.expect("RCPT TO:<bob@example.com>", "250 ")
	c.expect("DATA", "354 ")
	c.send("Subject: flush\r\n\r\nbody\r\n.\r\n")
	if got := c.reply(); got[0] != "250 2.0.0 Ok: queued as 1" {
		t.Fatalf("DATA: %q", got)
	}
	lines := e.log.Lines()
	queued := -1
	for i, l := range lines {
		if l == "Info: MID 1 queued for delivery" {
			queued = i
		}
	}
	if queued < 0 {
		t.Fatalf("no queued line in %q", lines)
	}
	if f := e.log.Flushed(); f <= queued {
		t.Errorf("the 250 came with %d of the lines flushed; the queued line is line %d:\n%q", f, queued+1, lines)
	}
}
