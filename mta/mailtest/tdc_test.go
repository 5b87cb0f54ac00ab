package mailtest

// The Threat Defense Connector end to end: mail from real clients
// (go-smtp, python3 smtplib, swaks) through `seg run`, to Sinks as the
// destination and the message intakes, reached by smtproutes. The cases
// that need a fake clock (the retry wait, expiry while queued) are in
// package mta.

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// newTDCAppliance configures an appliance offline: 127.0.0.1 sends as a
// trusted incoming host (ALLOWED_LIST, $TRUSTED), 127.0.0.2 relays
// (RELAYLIST); the RAT accepts example.test and its subdomains, which are
// routed to dest; intake.test is routed to intake; TDC is enabled with
// journal@intake.test, and the DEFAULT incoming policy uses it; then
// extra. A failing test shows the end of mail_logs.
func newTDCAppliance(t *testing.T, dest, intake string, extra ...string) *segtest.Appliance {
	t.Helper()
	hat := "listenerconfig edit IncomingMail hostaccess edit sendergroup "
	a := segtest.New(t, append([]string{
		hat + "RELAYLIST --remove 127.0.0.1",
		hat + "RELAYLIST --add 127.0.0.2",
		hat + "ALLOWED_LIST --add 127.0.0.1",
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"listenerconfig edit IncomingMail rcptaccess new .example.test ACCEPT",
		"smtproutes new example.test " + dest,
		"smtproutes new .example.test " + dest,
		"smtproutes new elsewhere.test " + dest,
		"smtproutes new intake.test " + intake,
		"tdcconfig setup --enable yes --intake journal@intake.test",
		"policyconfig incoming edit DEFAULT --tdc default",
	}, extra...)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mail_logs ends:\n%s", tailLines(a.MailLog(), 60))
		}
	})
	return a
}

// sendGo sends msg n times from alice@client.test with the go-smtp
// client over one session and returns the MIDs.
func sendGo(t *testing.T, a *segtest.Appliance, n int, to []string, msg []byte) []int64 {
	t.Helper()
	return segtest.Client{}.SendN(t, a.SMTPAddr(), n, "alice@client.test", to, msg)
}

// sendGoSMTP is a send (clients_test.go) with the go-smtp client, which
// puts the message on the wire as given.
func sendGoSMTP(t *testing.T, addr, from string, to []string, msg []byte) (int64, []byte) {
	t.Helper()
	return segtest.Client{}.SendN(t, addr, 1, from, to, msg)[0], msg
}

// copyMID is the MID of the journal copy of MID orig, read from the
// line that ties a copy to its original, as AsyncOS ties a message it
// generates from another (reference/mail_logs.sample S:142).
func copyMID(t *testing.T, a *segtest.Appliance, orig int64) int64 {
	t.Helper()
	re := regexp.MustCompile(fmt.Sprintf(`(?m)^Info: MID (\d+) was generated based on MID %d by tdc filter 'Threat Defense Connector'$`, orig))
	var m []string
	segtest.Wait(t, 10*time.Second, fmt.Sprintf("the copy of MID %d", orig), func() bool {
		m = re.FindStringSubmatch(strings.Join(a.LogLines(), "\n"))
		return m != nil
	})
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// emptyWorkQueue waits until `workqueue` shows no message.
func emptyWorkQueue(t *testing.T, a *segtest.Appliance) {
	t.Helper()
	empty := regexp.MustCompile(`Messages In Delivery Queue: +0\n`)
	segtest.Wait(t, 10*time.Second, "an empty queue", func() bool { return empty.MatchString(a.MustCli("workqueue")) })
}

// TestJournalByteForByte: with TDC on, the destination gets every
// message and the intake every copy; each copy's message/rfc822 part is
// exactly the message as the destination received it, which is seg's
// Received header followed by what the client sent, byte for byte. A
// second policy's custom intake gets its recipients' copies and only
// those; a No Scan policy's recipients are not journaled.
func TestJournalByteForByte(t *testing.T) {
	t.Parallel()
	dest, intake, other := segtest.NewSink(t, segtest.SinkOptions{}), segtest.NewSink(t, segtest.SinkOptions{}), segtest.NewSink(t, segtest.SinkOptions{})
	a := newTDCAppliance(t, dest.Addr(), intake.Addr(),
		"smtproutes new other-intake.test "+other.Addr(),
		"policyconfig incoming new Sales --recipients @sales.example.test --tdc custom:sales@other-intake.test",
		"policyconfig incoming new Quiet --recipients @quiet.example.test --tdc off",
	)
	a.Start()

	type sent struct {
		client string
		mid    int64
		wire   []byte // the message as the client put it on the wire
	}
	var msgs []sent
	add := func(client string, rcpts []string, send send) {
		token := "from." + strings.ReplaceAll(client, " ", ".") // the Message-ID's local part
		mid, wire := send(t, a.SMTPAddr(), "alice@client.test", rcpts, original(client, token, "team@example.test"))
		msgs = append(msgs, sent{client: client, mid: mid, wire: wire})
	}
	add("go-smtp", []string{"a@example.test", "s@sales.example.test", "q@quiet.example.test"}, sendGoSMTP)
	add("python smtplib", []string{"b@example.test"}, sendPython)
	add("swaks", []string{"c@example.test", "t@sales.example.test"}, sendSwaks)

	// 6 parts: go-smtp's 3, python's 1, swaks' 2. Copies: the DEFAULT
	// parts (3) to the default intake, the Sales parts (2) to Sales'.
	if !segtest.Poll(30*time.Second, func() bool { return dest.Count() == 6 }) ||
		!segtest.Poll(30*time.Second, func() bool { return intake.Count() == 3 }) ||
		!segtest.Poll(30*time.Second, func() bool { return other.Count() == 2 }) {
		t.Fatalf("destination %v, intake %v, Sales intake %v", dest, intake, other)
	}

	// What the destination received, by recipient.
	delivered := map[string][]byte{}
	for _, r := range dest.Messages() {
		for _, rc := range r.Rcpts {
			delivered[rc] = r.Data
		}
	}
	clientOf := func(orig []byte) *sent {
		for i := range msgs {
			if bytes.HasSuffix(orig, msgs[i].wire) {
				return &msgs[i]
			}
		}
		return nil
	}
	reRcpt := regexp.MustCompile(`(?m)^    <([^>]+)>\r$`)
	check := func(s *segtest.Sink, intakeAddr string, wantRcpts []string) {
		t.Helper()
		var got []string
		for _, c := range s.Messages() {
			if c.From != "MAILER-DAEMON@seg.localdomain" || !slices.Equal(c.Rcpts, []string{intakeAddr}) {
				t.Errorf("copy envelope %s -> %v, want MAILER-DAEMON@seg.localdomain -> %s", c.From, c.Rcpts, intakeAddr)
			}
			j := segtest.ParseJournal(t, c.Data)
			if ip := j.Header.Get("X-IronPort-RemoteIP"); ip != "127.0.0.1" {
				t.Errorf("X-IronPort-RemoteIP %q", ip)
			}
			m := clientOf(j.Orig)
			if m == nil {
				t.Errorf("a copy at %s carries no message a client sent:\n%q", intakeAddr, j.Orig)
				continue
			}
			// The relation: Received header + the client's bytes ==
			// the rfc822 part == what the recipients got.
			received, rest, err := segtest.SplitReceived(j.Orig)
			if err != nil {
				t.Errorf("%s: %v", m.client, err)
			}
			if !bytes.Equal(rest, m.wire) {
				t.Errorf("%s: the rfc822 part after seg's Received header differs from what the client sent:\n got %q\nwant %q", m.client, rest, m.wire)
			}
			if want := fmt.Sprintf("\r\n\tby seg.localdomain with ESMTP id %d", m.mid); !bytes.HasPrefix(received, []byte("Received: from ")) || !bytes.Contains(received, []byte(want)) {
				t.Errorf("%s: first header is not seg's Received: %q", m.client, received)
			}
			for _, r := range reRcpt.FindAllStringSubmatch(string(c.Data), -1) {
				got = append(got, r[1])
				if !bytes.Equal(delivered[r[1]], j.Orig) {
					t.Errorf("%s: the copy for %s differs from what %s received", m.client, r[1], r[1])
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, wantRcpts) {
			t.Errorf("%s got copies for %v, want %v", intakeAddr, got, wantRcpts)
		}
	}
	check(intake, "journal@intake.test", []string{"a@example.test", "b@example.test", "c@example.test"})
	check(other, "sales@other-intake.test", []string{"s@sales.example.test", "t@sales.example.test"})

	// Every journaled message has its enqueued and delivered lines; the
	// MID of the Sales part of go-smtp's message is the one it was sent
	// as (the first policy in the table keeps it).
	gm := msgs[0].mid
	segtest.Wait(t, 10*time.Second, "5 delivered lines", func() bool { return a.CountLog("successfully delivered for scanning") == 5 })
	a.MustLog(t,
		fmt.Sprintf("Info: TDC: MID %d with Message-ID '<from.go-smtp@client.test>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address sales@other-intake.test", gm),
		fmt.Sprintf("Info: MID %d matched all recipients for per-recipient policy Sales in the inbound table", gm),
		fmt.Sprintf("Info: TDC: MID %d successfully delivered for scanning with Cisco Secure Email Threat Defense.", copyMID(t, a, gm)),
		fmt.Sprintf("Info: TDC: MID %d with Message-ID '<from.python.smtplib@client.test>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address journal@intake.test", msgs[1].mid),
	)
	for _, p := range []string{"Quiet", "DEFAULT"} {
		if a.CountLog(fmt.Sprintf("Info: MID %d was split creating MID ", gm), " due to a per-recipient policy "+p+" in the inbound table") != 1 {
			t.Errorf("no line for the %s part split off MID %d", p, gm)
		}
	}
	if n := a.CountLog("TDC: New SMTP DCID", "interface 127.0.0.1 address 127.0.0.1 port"); n == 0 {
		t.Error("no TDC: New SMTP DCID line")
	}
	if n := a.CountLog("TDC: Delivery start DCID"); n != 5 {
		t.Errorf("%d TDC: Delivery start lines, want 5", n)
	}

	out := a.MustCli("findevent", "--mid", fmt.Sprint(gm))
	if !strings.HasSuffix(out, fmt.Sprintf("TDC: Message %d was successfully delivered for scanning with Cisco Secure Email Threat Defense.\n", gm)) {
		t.Errorf("findevent --mid %d:\n%s", gm, out)
	}
	if out := a.MustCli("tophosts", "3"); !regexp.MustCompile(`the\.tdc\.queue +0 +\d+ +5 +0 +0`).MatchString(out) {
		t.Errorf("tophosts:\n%s", out)
	}
	if out := a.MustCli("hoststatus", "the.tdc.queue"); !regexp.MustCompile(`\b5 +Delivered Recipients`).MatchString(out) {
		t.Errorf("hoststatus the.tdc.queue:\n%s", out)
	}
	a.Stop()
}

// TestTDCNoScanSendsNothing: with the policy set to No Scan the intake
// gets nothing. Stopping seg waits for copies being made, so none comes
// later.
func TestTDCNoScanSendsNothing(t *testing.T) {
	t.Parallel()
	dest, intake := segtest.NewSink(t, segtest.SinkOptions{}), segtest.NewSink(t, segtest.SinkOptions{})
	a := newTDCAppliance(t, dest.Addr(), intake.Addr(), "policyconfig incoming edit DEFAULT --tdc off")
	a.Start()
	sendGo(t, a, 3, []string{"a@example.test"}, original("go-smtp", "no-scan", "a@example.test"))
	sendPython(t, a.SMTPAddr(), "alice@client.test", []string{"b@example.test"}, original("python", "no-scan-py", "b@example.test"))
	if !segtest.Poll(30*time.Second, func() bool { return dest.Count() == 4 }) {
		t.Fatalf("destination: %v", dest)
	}
	a.Stop()
	if intake.Conns() != 0 {
		t.Errorf("the intake was contacted: %v", intake)
	}
	if n := a.CountLog("TDC:"); n != 0 {
		t.Errorf("%d TDC lines:\n%s", n, a.MailLog())
	}
}

// TestTDCIntakeRefusals: the cases that end at the first attempt, over
// the real binary (those with a retry are tested with a fake clock in
// package mta: the retry comes tdc.RetryWait later).
func TestTDCIntakeRefusals(t *testing.T) {
	t.Parallel()
	// journalOne starts an appliance whose intake is a sink with o, with
	// the extra settings, and sends it one message. It returns the
	// appliance, the destination, the intake and the message's MID.
	journalOne := func(t *testing.T, o segtest.SinkOptions, token string, extra ...string) (*segtest.Appliance, *segtest.Sink, *segtest.Sink, int64) {
		t.Helper()
		dest, intake := segtest.NewSink(t, segtest.SinkOptions{}), segtest.NewSink(t, o)
		a := newTDCAppliance(t, dest.Addr(), intake.Addr(), extra...)
		a.Start()
		return a, dest, intake, sendGo(t, a, 1, []string{"a@example.test"}, original("go-smtp", token, "a@example.test"))[0]
	}
	const requireTLS = "destconfig new the.tdc.queue --use_tls=required"
	t.Run("550", func(t *testing.T) {
		t.Parallel()
		a, dest, intake, mid := journalOne(t, segtest.SinkOptions{Reply: segtest.Refuse("RCPT", segtest.Reply(550, "5.1.1 No such intake"))}, "refused")
		failed := fmt.Sprintf("Info: TDC: MID %d delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.", copyMID(t, a, mid))
		a.WaitLog(t, failed, 20*time.Second)
		segtest.Wait(t, 10*time.Second, "both messages finished", func() bool { return a.CountLog("Message finished MID") == 2 })
		a.MustLog(t, "Info: TDC: Hard bounced - 5.1.1 - No such intake", failed)
		if intake.Attempts("RCPT") != 1 || intake.Conns() != 1 {
			t.Errorf("intake saw %v, want one attempt", intake)
		}
		if dest.Count() != 1 {
			t.Errorf("destination: %v, want the original only (no DSN)", dest)
		}
		if a.CountLog("generated for bounce") != 0 {
			t.Error("a DSN was generated")
		}
		if out := a.MustCli("findevent", "--mid", fmt.Sprint(mid)); !strings.HasSuffix(out,
			fmt.Sprintf("TDC: Message %d delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.\n", mid)) {
			t.Errorf("findevent:\n%s", out)
		}
		if out := a.MustCli("hoststatus", "the.tdc.queue"); !regexp.MustCompile(`\b1 +5XX Hard Bounces`).MatchString(out) {
			t.Errorf("hoststatus the.tdc.queue:\n%s", out)
		}
		a.Stop()
	})
	t.Run("TLS handshake failure", func(t *testing.T) {
		t.Parallel()
		a, dest, intake, mid := journalOne(t, segtest.SinkOptions{BrokenTLS: true}, "tls", requireTLS)
		failed := fmt.Sprintf("Info: TDC: MID %d delivery failed to Cisco Secure Email Threat Defense:TLS Error.", copyMID(t, a, mid))
		a.WaitLog(t, failed, 20*time.Second)
		segtest.Wait(t, 10*time.Second, "both messages finished", func() bool { return a.CountLog("Message finished MID") == 2 })
		if n := a.CountLog("TLS failed"); n != 1 {
			t.Errorf("%d TLS failed lines", n)
		}
		if intake.Conns() != 1 || intake.Attempts("MAIL") != 0 {
			t.Errorf("intake saw %v, want one connection and no transaction", intake)
		}
		if dest.Count() != 1 {
			t.Errorf("destination: %v, want the original only", dest)
		}
		a.Stop()
	})
	t.Run("TLS success", func(t *testing.T) {
		t.Parallel()
		a, _, intake, mid := journalOne(t, segtest.SinkOptions{TLS: true}, "tls-ok", requireTLS)
		a.WaitLog(t, fmt.Sprintf("Info: TDC: MID %d successfully delivered for scanning with Cisco Secure Email Threat Defense.", copyMID(t, a, mid)), 20*time.Second)
		if n := a.CountLog("TLS success protocol TLSv1.3 cipher "); n != 1 {
			t.Errorf("%d DCID n TLS success lines", n)
		}
		if m := intake.Messages(); len(m) != 1 || !m[0].TLS {
			t.Errorf("the copy did not travel over TLS: %+v", m)
		}
		a.Stop()
	})
}

// TestTDCConnections: with 200 copies for the intake, the.tdc.queue
// holds tdc.MinConnections connections open, although the destination
// controls allow one, and closes them when it empties.
func TestTDCConnections(t *testing.T) {
	t.Parallel()
	dest, intake := segtest.NewSink(t, segtest.SinkOptions{}), segtest.NewSink(t, segtest.SinkOptions{})
	release := intake.HoldData()
	a := newTDCAppliance(t, dest.Addr(), intake.Addr(), "destconfig new the.tdc.queue --max_host_concurrency=1")
	a.Start()
	const n = 200
	sendGo(t, a, n, []string{"a@example.test"}, original("go-smtp", "many", "a@example.test"))
	segtest.Wait(t, 30*time.Second, "200 copies queued", func() bool { return a.CountLog("enqueued for forwarding") == n })
	if !segtest.Poll(20*time.Second, func() bool { return intake.Open() == 3 }) {
		t.Fatalf("intake: %v, want 3 connections open", intake)
	}
	if out := a.MustCli("hoststatus", "the.tdc.queue"); !regexp.MustCompile(`\b3 +Current Outbound Connections`).MatchString(out) {
		t.Errorf("hoststatus the.tdc.queue while 200 wait:\n%s", out)
	}
	release()
	if !segtest.Poll(60*time.Second, func() bool { return intake.Count() == n }) {
		t.Fatalf("intake: %v", intake)
	}
	if !segtest.Poll(20*time.Second, func() bool { return intake.Open() == 0 }) {
		t.Fatalf("connections stay open after the queue emptied: %v", intake)
	}
	if top := intake.MaxConns(); top != 3 {
		t.Errorf("intake peak %d connections, want 3", top)
	}
	if dest.Count() != n {
		t.Errorf("destination: %v", dest)
	}
	emptyWorkQueue(t, a)
	a.Stop()
}

// TestTDCExpiresAfter120Seconds runs in real time (about 2 minutes): an
// intake that accepts connections and never answers. The copy's one
// attempt is cut when it has been queued 120 s, and it leaves the queue,
// with no DSN; the original is delivered at once.
func TestTDCExpiresAfter120Seconds(t *testing.T) {
	t.Parallel()
	dest := segtest.NewSink(t, segtest.SinkOptions{})
	silent := segtest.NewSilent(t)
	a := newTDCAppliance(t, dest.Addr(), silent.Addr())
	a.Start()
	start := time.Now()
	mid := sendGo(t, a, 1, []string{"a@example.test"}, original("go-smtp", "black-hole", "a@example.test"))[0]
	dest.WaitCount(t, 1, 10*time.Second)
	a.WaitLog(t, "TDC: New SMTP DCID", 20*time.Second)
	expired := fmt.Sprintf("Info: TDC: MID %d delivery failed to Cisco Secure Email Threat Defense: Expired.", copyMID(t, a, mid))
	segtest.Wait(t, 150*time.Second, "the copy to expire", func() bool { return a.CountLog(expired) == 1 })
	if d := time.Since(start); d < 119*time.Second || d > 135*time.Second {
		t.Errorf("the copy left the queue after %v, want 120 s", d.Round(time.Second))
	}
	emptyWorkQueue(t, a)
	if n := silent.Conns(); n != 1 {
		t.Errorf("%d connections to the intake, want 1", n)
	}
	if a.CountLog("generated for bounce") != 0 || dest.Count() != 1 {
		t.Errorf("a DSN was sent: destination %v", dest)
	}
	a.Stop()
}
