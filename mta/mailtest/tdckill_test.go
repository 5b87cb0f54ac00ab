package mailtest

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"seg/internal/segtest"
)

// journaledSeq is the X-Seq of the original inside a journal copy.
var journaledSeq = regexp.MustCompile(`(?m)^X-Seq: (\d+)\r$`)

// TestKill9KeepsJournalCopies: with TDC on for all mail, seg is killed
// with SIGKILL while 600 messages are being injected, then restarted.
// Every message that got a 250 reaches the recipient's server, and its
// journal copy reaches the intake: a copy is queued in the same write as
// its original (queue.EnqueueWith), so no 250 goes out without one.
func TestKill9KeepsJournalCopies(t *testing.T) {
	const total, clients = 600, 8
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	intake := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new example.test "+sink.Addr(),
		"smtproutes new intake.test "+intake.Addr(),
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"listenerconfig edit IncomingMail hostaccess edit sendergroup ALLOWED_LIST --add 127.0.0.2",
		"tdcconfig setup --enable yes --intake journal@intake.test",
		"policyconfig incoming edit DEFAULT --tdc default",
	)
	a.Start()
	// 127.0.0.2 is outside RELAYLIST, in ALLOWED_LIST (no session
	// limits): its mail is incoming mail, which the DEFAULT policy
	// journals.
	in := &injector{addr: a.SMTPAddr(), client: segtest.Client{LocalIP: "127.0.0.2"}, restarted: make(chan struct{}), accepted: map[int]int64{}}
	wg := in.start(t, total, clients)
	if !segtest.Poll(60*time.Second, func() bool { return in.count() >= total/2 }) {
		t.Fatalf("no progress: %d accepted", in.count())
	}
	a.Kill()
	t.Logf("killed with %d accepted, %d delivered, %d copies at the intake", in.count(), sink.Count(), intake.Count())
	a.Start()
	close(in.restarted)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	accepted := in.snapshot()

	seqs := func(s *segtest.Sink, re *regexp.Regexp) map[int]int {
		seen := map[int]int{}
		for _, m := range s.Messages() {
			if x := re.FindSubmatch(m.Data); x != nil {
				n, _ := strconv.Atoi(string(x[1]))
				seen[n]++
			}
		}
		return seen
	}
	var lostMail, lostCopies []int
	ok := segtest.Poll(60*time.Second, func() bool {
		mail, copies := seqs(sink, xSeq), seqs(intake, journaledSeq)
		lostMail, lostCopies = lostMail[:0], lostCopies[:0]
		for seq := range accepted {
			if mail[seq] == 0 {
				lostMail = append(lostMail, seq)
			}
			if copies[seq] == 0 {
				lostCopies = append(lostCopies, seq)
			}
		}
		return len(lostMail) == 0 && len(lostCopies) == 0
	})
	if !ok {
		t.Fatalf("of %d accepted messages, %d never reached the recipient's server (e.g. %v) and %d have no journal copy at the intake (e.g. %v)",
			len(accepted), len(lostMail), lostMail[:min(len(lostMail), 10)], len(lostCopies), lostCopies[:min(len(lostCopies), 10)])
	}
	if len(accepted) != total {
		t.Errorf("%d of %d messages accepted", len(accepted), total)
	}
	t.Logf("%d accepted, %d sessions failed: %d deliveries, %d journal copies, none lost", len(accepted), in.failures, sink.Count(), intake.Count())
	a.Stop()

	// Copies recovered from the queue after the kill are logged under
	// their own MIDs, as those queued before it: no TDC delivery line
	// names a message a client sent (Start MID n ICID n, n > 0). Lines
	// the kill cut from the log (SPEC 8's flush) can only hide a
	// violation, never invent one.
	lines := a.LogLines()
	injected := map[string]bool{}
	reStart := regexp.MustCompile(`^Info: Start MID (\d+) ICID [1-9]\d*$`)
	for _, l := range lines {
		if m := reStart.FindStringSubmatch(l); m != nil {
			injected[m[1]] = true
		}
	}
	reTDC := regexp.MustCompile(`^Info: TDC: (?:Delivery start DCID \d+ MID (\d+)$|MID (\d+) (?:successfully delivered|delivery ))`)
	checked := 0
	for _, l := range lines {
		m := reTDC.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if mid := m[1] + m[2]; injected[mid] {
			t.Errorf("a journal copy's delivery is logged under MID %s, a client's message: %q", mid, l)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no TDC delivery line in mail_logs")
	}
}
