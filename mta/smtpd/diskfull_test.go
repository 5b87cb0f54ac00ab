package smtpd

import (
	"fmt"
	"testing"

	"seg/mta/counters"
	"seg/mta/queue"
)

// TestDiskFull452: with the queue's filesystem full, MAIL is answered
// 452 4.3.1 (RFC 3463 "mail system full") before the client sends the
// message; a filesystem that fills during DATA gets the same reply after
// it, not 451; neither is counted as received; and the session takes mail
// again once space returns.
func TestDiskFull452(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")

	e.q.setLow(true)
	c.expect("MAIL FROM:<a@x.test>", "452 4.3.1 Insufficient system storage")
	e.waitLog("Info: ICID 1 Receiving Failed: Insufficient system storage")
	c.expect("RCPT TO:<b@example.com>", "502 5.5.1 Missing MAIL FROM") // no transaction began

	e.q.setLow(false)
	e.q.setFail(fmt.Errorf("%w: write: no space left on device", queue.ErrNoSpace))
	if got := c.sendMessage("a@x.test", []string{"b@example.com"}, "Subject: s\r\n\r\nbody\r\n"); got != "452 4.3.1 Insufficient system storage" {
		t.Fatalf("DATA when the queue ran out of space: %q", got)
	}
	if n := e.cnt.Snapshot().Lifetime[counters.MessagesReceived]; n != 0 {
		t.Errorf("a refused message counted: Messages Received %d", n)
	}

	e.q.setFail(nil)
	if got := c.sendMessage("a@x.test", []string{"b@example.com"}, "Subject: s\r\n\r\nbody\r\n"); got != "250 2.0.0 Ok: queued as 2" {
		t.Fatalf("after space returned: %q", got)
	}
	if n := e.cnt.Snapshot().Lifetime[counters.MessagesReceived]; n != 1 {
		t.Errorf("Messages Received %d after one queued message", n)
	}
}
