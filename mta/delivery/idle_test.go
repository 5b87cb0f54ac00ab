package delivery

import (
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// TestSpecialSpareConnectionsGo: a burst opens one connection per due
// copy; once they are idle, all but MinConns go after Linger although the
// queue still holds a copy waiting for its retry. Before, they stayed
// parked for as long as the queue had entries: under steady mail, for
// good (`make soak`: 176 connections to the.tdc.queue after 21 minutes,
// most closed by the peer).
func TestSpecialSpareConnectionsGo(t *testing.T) {
	h, _, _, intake, _ := holdSetup(t)
	gate := make(chan struct{})
	intake.set(func(s *smtpServer) {
		s.gate = gate
		s.rcptErr = func(to string) error {
			if to == "stay@intake.test" {
				return smtpErr(451, smtp.NoEnhancedCode, "Try later")
			}
			return nil
		}
	})
	stay := h.sendBackground("stay@intake.test")
	h.wait("the copy deferred", func() bool { return h.q.state(stay, 0) != 0 && len(h.lines("bg delayed")) == 1 })
	const burst = 6
	var mids []int64
	for i := range burst {
		mids = append(mids, h.sendBackground("copy"+string(rune('a'+i))+"@intake.test"))
	}
	if !segtest.Poll(10*time.Second, func() bool { _, _, _, in := intake.stats(); return in == burst }) {
		_, cur, _, in := intake.stats()
		t.Fatalf("%d connections, %d in DATA: the burst did not open one connection per copy", cur, in)
	}
	close(gate)
	for _, mid := range mids {
		h.waitFinished(mid)
	}
	// The deferred copy keeps the queue non-empty; the spare connections
	// go after Linger (1 s), one stays.
	if !segtest.Poll(10*time.Second, func() bool { _, cur, _, _ := intake.stats(); return cur == bgQueue{}.MinConns() }) {
		_, cur, _, _ := intake.stats()
		t.Fatalf("%d connections still open to the intake with the queue waiting, want %d", cur, bgQueue{}.MinConns())
	}
}
