package delivery

import (
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/mta/queue"
)

func TestSuspendResume(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	h.start()
	h.x.Suspend("Example.test")
	mid := h.send("alice@src.test", "bob@example.test")
	h.wait("the message in the queue", func() bool { return len(h.x.Recipients(Selector{Domain: "example.test"})) == 1 })
	// Intake and dispatch run in one pass: had the destination not been
	// suspended, a connection would be open or done by now.
	if w := h.x.WorkQueue(); w.Connections != 0 || len(w.Suspended) != 1 || w.Suspended[0] != "example.test" {
		t.Fatalf("workqueue = %+v", w)
	}
	if n, _, _, _ := srv.stats(); n != 0 {
		t.Fatal("delivered to a suspended destination")
	}
	h.x.Resume("example.test")
	h.waitFinished(mid)
	h.waitIdle("the connection closed", func() bool { return true })

	h.x.Suspend("ALL")
	mid = h.send("alice@src.test", "carol@example.test")
	h.wait("the message in the queue", func() bool { return len(h.x.Recipients(Selector{All: true})) == 1 })
	if w := h.x.WorkQueue(); !w.SuspendedAll || w.Connections != 0 {
		t.Fatalf("workqueue = %+v", w)
	}
	h.x.Resume("")
	h.waitFinished(mid)
}

func TestDeliverNow(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	first := true
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(string) error {
			if first {
				first = false
				return smtpErr(421, smtp.EnhancedCode{4, 3, 2}, "busy")
			}
			return nil
		}
	})
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	h.waitIdle("soft bounce", func() bool { return len(h.lines("Delayed:")) == 1 })
	if n := h.x.DeliverNow("other.test"); n != 0 {
		t.Errorf("DeliverNow(other.test) = %d", n)
	}
	if n := h.x.DeliverNow("ALL"); n != 1 {
		t.Errorf("DeliverNow(ALL) = %d, want 1", n)
	}
	// No time passes: delivernow alone makes it due.
	h.waitFinished(mid)
}

func TestRecipientsAndDelete(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	h.start()
	h.x.Suspend("ALL")
	a := h.send("alice@src.test", "x@example.test", "y@other.test")
	b := h.send("bob@src.test", "z@example.test")
	h.wait("both messages", func() bool { return len(h.x.Recipients(Selector{All: true})) == 3 })

	byDomain := h.x.Recipients(Selector{Domain: "example.test"})
	if len(byDomain) != 2 || byDomain[0].MID != a || byDomain[0].Rcpt != "x@example.test" || byDomain[1].MID != b {
		t.Errorf("by domain = %+v", byDomain)
	}
	bySender := h.x.Recipients(Selector{Sender: "<alice@src.test>"})
	if len(bySender) != 2 || bySender[1].Rcpt != "y@other.test" || bySender[1].Host != "other.test" || bySender[1].State != queue.Unattempted {
		t.Errorf("by sender = %+v", bySender)
	}
	if got := h.x.Recipients(Selector{}); len(got) != 0 {
		t.Errorf("an empty selector picked %d", len(got))
	}

	if n := h.x.Delete(Selector{Sender: "alice@src.test"}); n != 2 {
		t.Fatalf("Delete = %d, want 2", n)
	}
	for rid := range 2 {
		if st := h.q.state(a, rid); st != queue.Deleted {
			t.Errorf("MID %d RID %d state %d, want Deleted", a, rid, st)
		}
	}
	h.mustLog(
		fmt.Sprintf("Info: Deleted: MID %d to [0]", a),
		fmt.Sprintf("Info: Deleted: MID %d to [1]", a),
		fmt.Sprintf("Info: Message finished MID %d done", a),
	)
	if hs := h.host("example.test"); hs.Deleted != 1 || hs.Active() != 1 {
		t.Errorf("example.test counters = %+v", hs)
	}
	if w := h.x.WorkQueue(); w.Messages != 1 || w.Recipients != 1 {
		t.Errorf("workqueue = %+v", w)
	}
	h.x.Resume("ALL")
	h.waitFinished(b)
	if got := srv.received(); len(got) != 1 || got[0].rcpts[0] != "z@example.test" {
		t.Errorf("delivered = %+v", got)
	}
}

func TestBounceRecipients(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.x.Suspend("ALL")
	mid := h.send("alice@src.test", "x@example.test")
	h.wait("the message", func() bool { return len(h.x.Recipients(Selector{All: true})) == 1 })
	if n := h.x.Bounce(Selector{Domain: "example.test"}); n != 1 {
		t.Fatalf("Bounce = %d", n)
	}
	if st := h.q.state(mid, 0); st != queue.HardBounced {
		t.Errorf("state %d", st)
	}
	h.mustLog(fmt.Sprintf("Info: Bounced: DCID 0 MID %d From: <alice@src.test> To: <x@example.test> RID 0 - 5.0.0 - Other or undefined status ('000', ['Message bounced by administrator'])", mid))
	if b := h.q.bounces(); len(b) != 1 || b[0].Rcpts[0].Addr != "alice@src.test" {
		t.Errorf("DSNs = %+v", b)
	}
}

func TestRedirectRecipients(t *testing.T) {
	srv := newSMTPServer(t, nil)
	other := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	h.start()
	h.x.Suspend("example.test")
	mid := h.send("alice@src.test", "x@example.test", "y@example.test")
	h.wait("the message", func() bool { return len(h.x.Recipients(Selector{All: true})) == 2 })
	if n := h.x.Redirect(Selector{Domain: "example.test"}, other.addr); n != 2 {
		t.Fatalf("Redirect = %d", n)
	}
	h.waitFinished(mid)
	h.wait("delivery to the new host", func() bool { return len(other.received()) == 1 })
	if got := other.received()[0]; len(got.rcpts) != 2 || got.from != "alice@src.test" {
		t.Errorf("redirected = %+v", got)
	}
	if n, _, _, _ := srv.stats(); n != 0 {
		t.Error("the original host was used")
	}
	lines := h.lines(fmt.Sprintf("MID %d rewritten to MID", mid), "by redirectrecipients to "+other.addr)
	if len(lines) != 1 {
		t.Errorf("no rewritten line")
	}
	if st := h.q.state(mid, 0); st != queue.Deleted {
		t.Errorf("original state %d", st)
	}
}

func TestSplitByDomain(t *testing.T) {
	a := newSMTPServer(t, nil)
	b := newSMTPServer(t, nil)
	h := newHarness(t, edits(viaRoute("a.test", a), viaRoute("b.test", b)))
	srvErr := false
	b.set(func(s *smtpServer) {
		s.rcptErr = func(string) error {
			if !srvErr {
				srvErr = true
				return smtpErr(450, smtp.EnhancedCode{4, 2, 1}, "later")
			}
			return nil
		}
	})
	h.start()
	mid := h.send("alice@src.test", "1@a.test", "2@b.test", "3@a.test")
	h.waitIdle("a delivered, b delayed", func() bool {
		return h.q.state(mid, 0) == queue.Delivered && len(h.lines("Delayed:")) == 1
	})
	if got := a.received(); len(got) != 1 || len(got[0].rcpts) != 2 {
		t.Fatalf("a.test got %+v, want one transaction with both its recipients", got)
	}
	if l := h.lines("Delivery start DCID", fmt.Sprintf("MID %d to RID [0, 2]", mid)); len(l) != 1 {
		t.Errorf("a.test recipients not in one transaction")
	}
	if h.logged(fmt.Sprintf("Info: Message finished MID %d done", mid)) {
		t.Fatal("finished with a recipient still queued")
	}
	h.tick(time.Minute)
	h.waitFinished(mid)
	if len(b.received()) != 1 {
		t.Error("b.test not delivered on retry")
	}
}
