package delivery

import (
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// The delivery delay histogram (SPEC 13) measures from the message's
// receipt to its delivery on Deps.Now: a recipient delivered on the
// retry 60 s later is one observation of 60 s.
func TestDeliveryDelayObserved(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	tries := 0
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(string) error {
			if tries++; tries == 1 {
				return smtpErr(451, smtp.NoEnhancedCode, "Try later")
			}
			return nil
		}
	})
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:")) == 1 })
	h.tick(60 * time.Second)
	h.waitFinished(mid)
	d := h.ctr.Snapshot().Delay
	if d.Count != 1 || d.Sum != 60 || d.Counts[5] != 1 {
		t.Errorf("delay histogram %+v, want one observation of 60 s in the bucket le=60", d)
	}
}
