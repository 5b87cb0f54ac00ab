package smtpd

import (
	"context"
	"testing"
	"time"
)

// Session goroutines waiting for the next connection do not hold Close
// up: it returns well before sessionIdle.
func TestCloseDoesNotWaitForIdleSessionGoroutines(t *testing.T) {
	s := New(Deps{Queue: &fakeQueue{}})
	if err := s.Apply(testConfig()); err != nil {
		t.Fatal(err)
	}
	addr := (&env{t: t, srv: s}).addr("IncomingMail")
	for range 3 {
		c := dialFrom(t, addr, "127.0.0.1")
		c.greet("one.test")
		c.expect("QUIT", "221 ")
		c.expectClosed()
	}
	waitFor(t, "the sessions to end", func() bool {
		s.connMu.Lock()
		defer s.connMu.Unlock()
		return len(s.conns) == 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), sessionIdle/2)
	defer cancel()
	start := time.Now()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close after %v: %v (an idle session goroutine kept waiting)", time.Since(start), err)
	}
}
