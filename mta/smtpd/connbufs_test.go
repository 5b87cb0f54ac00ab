package smtpd

import (
	"strings"
	"testing"
)

// A connection's buffers go to the next one only emptied: what a client
// sent after QUIT, or a reply never sent, does not reach the next
// session.
func TestRecycledBuffersCarryNothingOver(t *testing.T) {
	e := newEnv(t, testConfig())
	addr := e.addr("IncomingMail")
	c := dialFrom(t, addr, "127.0.0.1")
	c.greet("one.test")
	// Pipelined past QUIT: left unread in the read buffer at close.
	c.send("QUIT\r\nRCPT TO:<left@over.test>\r\n")
	if r := c.line(); !strings.HasPrefix(r, "221 ") {
		t.Fatalf("QUIT: %q", r)
	}
	c.expectClosed()
	for i := range 3 {
		c := dialFrom(t, addr, "127.0.0.1")
		c.greet("two.test")
		// Had the old input survived, RCPT would come before MAIL.
		if r := c.sendMessage("a@b.test", []string{"x@example.com"}, "Subject: t\r\n\r\nhi\r\n"); !strings.HasPrefix(r, "250 ") {
			t.Fatalf("session %d: DATA: %q", i, r)
		}
		c.expect("QUIT", "221 ")
	}
	if n := len(e.q.messages()); n != 3 {
		t.Fatalf("%d messages queued, want 3", n)
	}
}
