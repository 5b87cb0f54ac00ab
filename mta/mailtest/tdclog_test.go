package mailtest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestTDCCopyLifeInMailLogs: every journal copy has a life of its own in
// mail_logs, as AsyncOS logs a message it generates from another
// (reference/mail_logs.sample S:141-148): Start MID with ICID 0, the line
// that names its original, its envelope and size, queued for delivery;
// then its delivery, under its own MID, and Message finished. The
// original's lines never carry the copy's delivery. Each message is split
// in two parts by policy, each part journaled: the Refused policy's
// intake refuses with 5.7.1, the default intake accepts. The messages go
// one at a time, so that each copy's TDC lines can be told apart in
// order. status counts the clients' messages, not the copies.
func TestTDCCopyLifeInMailLogs(t *testing.T) {
	t.Parallel()
	dest, intake := segtest.NewSink(t, segtest.SinkOptions{}), segtest.NewSink(t, segtest.SinkOptions{})
	refusing := segtest.NewSink(t, segtest.SinkOptions{Reply: segtest.Refuse("RCPT", segtest.Reply(550, "5.7.1 Journal refused"))})
	a := newTDCAppliance(t, dest.Addr(), intake.Addr(),
		"smtproutes new refusing-intake.test "+refusing.Addr(),
		"policyconfig incoming new Refused --recipients @refused.example.test --tdc custom:journal@refusing-intake.test",
	)
	a.Start()

	const n = 3
	type message struct {
		orig, part  int64 // the Refused part keeps the MID; DEFAULT's is split off
		refusedCopy int64 // the Refused part's copy, which the intake refuses
		copy        int64 // the DEFAULT part's, which it accepts
	}
	var msgs []message
	reSplit := func(mid int64) *regexp.Regexp {
		return regexp.MustCompile(fmt.Sprintf(`(?m)^Info: MID %d was split creating MID (\d+) due to a per-recipient policy DEFAULT in the inbound table$`, mid))
	}
	for i := range n {
		mid := sendGo(t, a, 1, []string{"r@refused.example.test", "a@example.test"}, original("go-smtp", fmt.Sprintf("life%d", i), "a@example.test"))[0]
		segtest.Wait(t, 20*time.Second, fmt.Sprintf("message %d's copies delivered and refused", i), func() bool {
			return intake.Count() == i+1 && a.CountLog("Info: TDC: MID ", " delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.") == i+1
		})
		m := reSplit(mid).FindStringSubmatch(strings.Join(a.LogLines(), "\n"))
		if m == nil {
			t.Fatalf("MID %d was not split", mid)
		}
		part := int64(num(m[1]))
		msgs = append(msgs, message{orig: mid, part: part, refusedCopy: copyMID(t, a, mid), copy: copyMID(t, a, part)})
	}
	segtest.Wait(t, 20*time.Second, "every message and copy finished", func() bool { return a.CountLog("Message finished MID ") == 4*n })
	emptyWorkQueue(t, a)
	lines := a.LogLines()

	// once returns the index of the one line equal to want (or matching
	// it, for a regexp), failing unless there is exactly one.
	once := func(want any) int {
		t.Helper()
		at := -1
		for i, l := range lines {
			hit := false
			switch w := want.(type) {
			case string:
				hit = l == w
			case *regexp.Regexp:
				hit = w.MatchString(l)
			}
			if hit {
				if at >= 0 {
					t.Errorf("%v is logged twice", want)
				}
				at = i
			}
		}
		if at < 0 {
			t.Errorf("no line %v", want)
		}
		return at
	}
	inOrder := func(what string, idx ...int) {
		t.Helper()
		if !slices.IsSorted(idx) || slices.Contains(idx, -1) {
			t.Errorf("%s: lines out of order or missing (indexes %v)", what, idx)
		}
	}
	tdcDCIDs := map[string]bool{}
	reNewTDC := regexp.MustCompile(`^Info: TDC: New SMTP DCID (\d+) interface `)
	for _, l := range lines {
		if m := reNewTDC.FindStringSubmatch(l); m != nil {
			tdcDCIDs[m[1]] = true
		}
	}

	// life checks copy c of orig, sent to intake, whose outcome is the
	// line out (after hard, when not ""); it returns the DCID it went on.
	life := func(c, orig int64, intakeAddr, msgID, hard, out string) string {
		t.Helper()
		what := fmt.Sprintf("copy MID %d of MID %d", c, orig)
		start := once(fmt.Sprintf("Info: Start MID %d ICID 0", c))
		gen := once(fmt.Sprintf("Info: MID %d was generated based on MID %d by tdc filter 'Threat Defense Connector'", c, orig))
		from := once(fmt.Sprintf("Info: MID %d ICID 0 From: <MAILER-DAEMON@seg.localdomain>", c))
		to := once(fmt.Sprintf("Info: MID %d ICID 0 RID 0 To: <%s>", c, intakeAddr))
		ready := once(regexp.MustCompile(fmt.Sprintf(`^Info: MID %d ready \d+ bytes from <MAILER-DAEMON@seg\.localdomain>$`, c)))
		queued := once(fmt.Sprintf("Info: MID %d queued for delivery", c))
		enq := once(fmt.Sprintf("Info: TDC: MID %d with Message-ID '%s' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address %s", orig, msgID, intakeAddr))
		reStart := regexp.MustCompile(fmt.Sprintf(`^Info: TDC: Delivery start DCID (\d+) MID %d$`, c))
		ds := once(reStart)
		dcid := ""
		if ds >= 0 {
			dcid = reStart.FindStringSubmatch(lines[ds])[1]
		}
		conn := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Info: TDC: New SMTP DCID "+dcid+" interface ") })
		outcome := once(out)
		fin := once(fmt.Sprintf("Info: Message finished MID %d done", c))
		inOrder(what, start, gen, from, to, ready, queued, enq)
		// The connection may be one an earlier copy opened.
		inOrder(what+" delivered", ready, ds, outcome, fin)
		inOrder(what+" connection", conn, ds)
		if hard != "" {
			// SPEC 6's hard bounce line names no MID: the copy's own
			// lines on either side do, with nothing of another copy's
			// failure between (the messages went one at a time).
			var hb []int
			for i := ds; i >= 0 && i < outcome; i++ {
				if lines[i] == hard {
					hb = append(hb, i)
				}
			}
			if len(hb) != 1 {
				t.Errorf("%s: %d lines %q between its Delivery start and its failure, want 1", what, len(hb), hard)
			}
		}
		// Its header lines are the original's: a generated message logs
		// none (S:141-148).
		if k := len(segtest.Grep(lines, fmt.Sprintf("Info: MID %d Message-ID ", c))) + len(segtest.Grep(lines, fmt.Sprintf("Info: MID %d Subject ", c))); k != 0 {
			t.Errorf("%s has %d Message-ID or Subject lines", what, k)
		}
		if !tdcDCIDs[dcid] {
			t.Errorf("%s went on DCID %q, which is not a TDC connection", what, dcid)
		}
		return dcid
	}
	reMIDs := regexp.MustCompile(`\bMID (\d+)\b`)
	reDCID := regexp.MustCompile(`\bDCID (\d+)\b`)
	// original checks that the lines of MID orig carry its own delivery
	// and none of its copy's: its only TDC line is the enqueued one.
	original := func(orig int64) {
		t.Helper()
		var tdcLines []string
		delivered := false
		for _, l := range lines {
			carries := false
			for _, m := range reMIDs.FindAllStringSubmatch(l, -1) {
				carries = carries || m[1] == fmt.Sprint(orig)
			}
			if !carries {
				continue
			}
			if strings.HasPrefix(l, "Info: TDC: ") {
				tdcLines = append(tdcLines, l)
			}
			if d := reDCID.FindStringSubmatch(l); d != nil {
				if tdcDCIDs[d[1]] {
					t.Errorf("MID %d carries a journal copy's delivery: %q", orig, l)
				}
				delivered = delivered || strings.HasPrefix(l, fmt.Sprintf("Info: Message done DCID %s MID %d to RID [0]", d[1], orig))
			}
		}
		if len(tdcLines) != 1 || !strings.Contains(tdcLines[0], " enqueued for forwarding ") {
			t.Errorf("MID %d's TDC lines %q, want only its enqueued line", orig, tdcLines)
		}
		if !delivered {
			t.Errorf("no Message done line for MID %d", orig)
		}
		once(fmt.Sprintf("Info: Message finished MID %d done", orig))
	}

	hard := "Info: TDC: Hard bounced - 5.7.1 - Journal refused"
	if k := a.CountLog(hard); k != n {
		t.Errorf("%d lines %q, want %d", k, hard, n)
	}
	for i, m := range msgs {
		msgID := fmt.Sprintf("<life%d@client.test>", i)
		life(m.refusedCopy, m.orig, "journal@refusing-intake.test", msgID, hard,
			fmt.Sprintf("Info: TDC: MID %d delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.", m.refusedCopy))
		life(m.copy, m.part, "journal@intake.test", msgID, "",
			fmt.Sprintf("Info: TDC: MID %d successfully delivered for scanning with Cisco Secure Email Threat Defense.", m.copy))
		original(m.orig)
		original(m.part)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Message tracking follows an original to its copy and ends with the
	// TDC line about the original.
	m := msgs[0]
	out := a.MustCli("findevent", "--mid", fmt.Sprint(m.orig))
	for _, want := range []string{
		fmt.Sprintf("Info: Start MID %d ICID 0\n", m.refusedCopy),
		fmt.Sprintf(" MID %d was generated based on MID %d by ", m.refusedCopy, m.orig),
		fmt.Sprintf("Info: TDC: MID %d delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.\n", m.refusedCopy),
		fmt.Sprintf("Info: Message finished MID %d done\n", m.refusedCopy),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("findevent --mid %d lacks %q:\n%s", m.orig, want, out)
		}
	}
	if want := fmt.Sprintf("\nTDC: Message %d delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.\n", m.orig); !strings.HasSuffix(out, want) {
		t.Errorf("findevent --mid %d does not end with %q:\n%s", m.orig, want, out)
	}
	if out := a.MustCli("findevent", "--mid", fmt.Sprint(m.part)); !strings.HasSuffix(out,
		fmt.Sprintf("\nTDC: Message %d was successfully delivered for scanning with Cisco Secure Email Threat Defense.\n", m.part)) ||
		strings.Contains(out, fmt.Sprintf("MID %d ", m.refusedCopy)) {
		t.Errorf("findevent --mid %d (the DEFAULT part) shows the wrong copy:\n%s", m.part, out)
	}

	// The counters as before copies had lives of their own: status
	// counts the clients' messages and recipients; each copy is one
	// recipient of the.tdc.queue, delivered or hard-bounced, and no
	// bounce is generated for any.
	st := a.MustCli("status")
	for _, c := range []struct {
		label string
		want  int
	}{
		{"Messages Received", n},
		{"Recipients Received", 2 * n},
		{"Gen. Bounce Recipients", 0},
		{"Delivered Recipients", 2*n + n},
		{"Hard Bounced Recipients", n},
		{"5XX Hard Bounces", n},
	} {
		if got := statusRow(t, st, c.label)[0]; got != c.want {
			t.Errorf("status %s = %d, want %d", c.label, got, c.want)
		}
	}
	hs := a.MustCli("hoststatus", "the.tdc.queue")
	if d, h := hostCounter(t, hs, "Delivered Recipients"), hostCounter(t, hs, "5XX Hard Bounces"); d != n || h != n {
		t.Errorf("hoststatus the.tdc.queue: %d delivered, %d 5XX hard bounces, want %d and %d:\n%s", d, h, n, n, hs)
	}
	if dest.Count() != 2*n || refusing.Attempts("RCPT") != n {
		t.Errorf("destination %v, refusing intake %v", dest, refusing)
	}
	a.Stop()
}
