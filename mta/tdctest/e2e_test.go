package tdctest

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// message is what a client sends, CRLF lines, with a dot line, a line
// starting with a dot (transparency) and 8-bit text.
func message(subject string) string {
	return "From: Alice <alice@client.test>\r\n" +
		"To: team@example.test\r\n" +
		"Message-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@client.test>\r\n" +
		"Subject: " + subject + "\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		".leading dot\r\n" +
		".\r\n" +
		"caf\xc3\xa9 \xe2\x82\xac\r\n" +
		"  indented, trailing space \r\n" +
		"last line\r\n"
}

// TestJournalByteForByte: with TDC on, the destination gets every
// message and the intake every copy; each copy's message/rfc822 part is
// exactly the message as the destination received it, which is seg's
// Received header followed by what the client sent, byte for byte. A
// second policy's custom intake gets its recipients' copies and only
// those; a No Scan policy's recipients are not journaled.
func TestJournalByteForByte(t *testing.T) {
	t.Parallel()
	dest, intake, other := newSink(t, SinkOptions{}), newSink(t, SinkOptions{}), newSink(t, SinkOptions{})
	a := newAppliance(t, dest.Addr, intake.Addr,
		"smtproutes new other-intake.test "+other.Addr,
		"policyconfig incoming new Sales --recipients @sales.example.test --tdc custom:sales@other-intake.test",
		"policyconfig incoming new Quiet --recipients @quiet.example.test --tdc off",
	)
	a.start()

	type sent struct {
		client string
		mid    int64
		body   string
		rcpts  []string
	}
	var msgs []sent
	add := func(client string, rcpts []string, send func(body string) int64) {
		body := message("from " + client)
		msgs = append(msgs, sent{client: client, mid: send(body), body: body, rcpts: rcpts})
	}
	goRcpts := []string{"a@example.test", "s@sales.example.test", "q@quiet.example.test"}
	add("go-smtp", goRcpts, func(b string) int64 { return sendGo(t, a.addr(), 1, "alice@client.test", goRcpts, b)[0] })
	pyRcpts := []string{"b@example.test"}
	add("python smtplib", pyRcpts, func(b string) int64 { return sendPython(t, a.port, "alice@client.test", pyRcpts, b) })
	swRcpts := []string{"c@example.test", "t@sales.example.test"}
	add("swaks", swRcpts, func(b string) int64 { return sendSwaks(t, a.port, "alice@client.test", swRcpts, b) })

	// 6 parts: go-smtp's 3, python's 1, swaks' 2. Copies: the DEFAULT
	// parts (3) to the default intake, the Sales parts (2) to Sales'.
	if !dest.Wait(30*time.Second, func(s Stats) bool { return s.Messages == 6 }) ||
		!intake.Wait(30*time.Second, func(s Stats) bool { return s.Messages == 3 }) ||
		!other.Wait(30*time.Second, func(s Stats) bool { return s.Messages == 2 }) {
		t.Fatalf("destination %+v, intake %+v, Sales intake %+v\n%s", dest.Stats(), intake.Stats(), other.Stats(), strings.Join(a.mailLog(), "\n"))
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
			if bytes.HasSuffix(orig, []byte(msgs[i].body)) {
				return &msgs[i]
			}
		}
		return nil
	}
	reRcpt := regexp.MustCompile(`(?m)^    <([^>]+)>\r$`)
	check := func(s *Sink, intakeAddr string, wantRcpts []string) {
		t.Helper()
		var got []string
		for _, c := range s.Messages() {
			if c.From != "MAILER-DAEMON@seg.localdomain" || !slices.Equal(c.Rcpts, []string{intakeAddr}) {
				t.Errorf("copy envelope %s -> %v, want MAILER-DAEMON@seg.localdomain -> %s", c.From, c.Rcpts, intakeAddr)
			}
			hdr, orig := rfc822Part(t, c.Data)
			if ip := hdr.Get("X-IronPort-RemoteIP"); ip != "127.0.0.1" {
				t.Errorf("X-IronPort-RemoteIP %q", ip)
			}
			m := clientOf(orig)
			if m == nil {
				t.Errorf("a copy at %s carries no message a client sent:\n%q", intakeAddr, orig)
				continue
			}
			// The relation: Received header + the client's bytes ==
			// the rfc822 part == what the recipients got.
			received, rest, err := segtest.SplitReceived(orig)
			if err != nil {
				t.Errorf("%s: %v", m.client, err)
			}
			if string(rest) != m.body {
				t.Errorf("%s: the rfc822 part after seg's Received header differs from what the client sent:\n got %q\nwant %q", m.client, rest, m.body)
			}
			if want := fmt.Sprintf("\r\n\tby seg.localdomain with ESMTP id %d", m.mid); !bytes.HasPrefix(received, []byte("Received: from ")) || !bytes.Contains(received, []byte(want)) {
				t.Errorf("%s: first header is not seg's Received: %q", m.client, received)
			}
			text := string(c.Data)
			for _, r := range reRcpt.FindAllStringSubmatch(text, -1) {
				got = append(got, r[1])
				if !bytes.Equal(delivered[r[1]], orig) {
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
	a.wait(10*time.Second, "5 delivered lines", func() bool { return a.count("successfully delivered for scanning") == 5 })
	a.mustLog(
		fmt.Sprintf("Info: TDC: MID %d with Message-ID '<from.go-smtp@client.test>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address sales@other-intake.test", gm),
		fmt.Sprintf("Info: MID %d matched all recipients for per-recipient policy Sales in the inbound table", gm),
		fmt.Sprintf("Info: TDC: MID %d successfully delivered for scanning with Cisco Secure Email Threat Defense.", gm),
		fmt.Sprintf("Info: TDC: MID %d with Message-ID '<from.python.smtplib@client.test>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address journal@intake.test", msgs[1].mid),
	)
	for _, p := range []string{"Quiet", "DEFAULT"} {
		if a.count(fmt.Sprintf("Info: MID %d was split creating MID ", gm), " due to a per-recipient policy "+p+" in the inbound table") != 1 {
			t.Errorf("no line for the %s part split off MID %d", p, gm)
		}
	}
	if n := a.count("TDC: New SMTP DCID", "interface 127.0.0.1 address 127.0.0.1 port"); n == 0 {
		t.Error("no TDC: New SMTP DCID line")
	}
	if n := a.count("TDC: Delivery start DCID"); n != 5 {
		t.Errorf("%d TDC: Delivery start lines, want 5", n)
	}

	out := a.cli("findevent", "--mid", fmt.Sprint(gm))
	if !strings.HasSuffix(out, fmt.Sprintf("TDC: Message %d was successfully delivered for scanning with Cisco Secure Email Threat Defense.\n", gm)) {
		t.Errorf("findevent --mid %d:\n%s", gm, out)
	}
	if out := a.cli("tophosts", "3"); !regexp.MustCompile(`the\.tdc\.queue +0 +\d+ +5 +0 +0`).MatchString(out) {
		t.Errorf("tophosts:\n%s", out)
	}
	if out := a.cli("hoststatus", "the.tdc.queue"); !regexp.MustCompile(`\b5 +Delivered Recipients`).MatchString(out) {
		t.Errorf("hoststatus the.tdc.queue:\n%s", out)
	}
	a.stop()
}

// TestNoScanSendsNothing: with the policy set to No Scan the intake gets
// nothing. Stopping seg waits for copies being made, so none comes later.
func TestNoScanSendsNothing(t *testing.T) {
	t.Parallel()
	dest, intake := newSink(t, SinkOptions{}), newSink(t, SinkOptions{})
	a := newAppliance(t, dest.Addr, intake.Addr, "policyconfig incoming edit DEFAULT --tdc off")
	a.start()
	sendGo(t, a.addr(), 3, "alice@client.test", []string{"a@example.test"}, message("no scan"))
	sendPython(t, a.port, "alice@client.test", []string{"b@example.test"}, message("no scan py"))
	if !dest.Wait(30*time.Second, func(s Stats) bool { return s.Messages == 4 }) {
		t.Fatalf("destination: %+v", dest.Stats())
	}
	a.stop()
	if s := intake.Stats(); s.Conns != 0 {
		t.Errorf("the intake was contacted: %+v", s)
	}
	if n := a.count("TDC:"); n != 0 {
		t.Errorf("%d TDC lines:\n%s", n, strings.Join(a.mailLog(), "\n"))
	}
}

// TestIntakeRefusals: the cases that end at the first attempt, over the
// real binary (those with a retry are tested with a fake clock in
// package mta: the retry comes tdc.RetryWait later).
func TestIntakeRefusals(t *testing.T) {
	t.Parallel()
	t.Run("550", func(t *testing.T) {
		t.Parallel()
		dest, intake := newSink(t, SinkOptions{}), newSink(t, SinkOptions{})
		intake.SetFaults(Faults{Rcpt: func(int) error { return Reply(550, "5.1.1", "No such intake") }})
		a := newAppliance(t, dest.Addr, intake.Addr)
		a.start()
		mid := sendGo(t, a.addr(), 1, "alice@client.test", []string{"a@example.test"}, message("refused"))[0]
		failed := fmt.Sprintf("Info: TDC: MID %d delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.", mid)
		a.waitLog(failed)
		a.wait(10*time.Second, "both messages finished", func() bool { return a.count("Message finished MID") == 2 })
		a.mustLog("Info: TDC: Hard bounced - 5.1.1 - No such intake", failed)
		if s := intake.Stats(); s.Rcpts != 1 || s.Conns != 1 {
			t.Errorf("intake saw %+v, want one attempt", s)
		}
		if s := dest.Stats(); s.Messages != 1 {
			t.Errorf("destination: %+v, want the original only (no DSN)", s)
		}
		if a.count("generated for bounce") != 0 {
			t.Error("a DSN was generated")
		}
		if out := a.cli("findevent", "--mid", fmt.Sprint(mid)); !strings.HasSuffix(out,
			fmt.Sprintf("TDC: Message %d delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.\n", mid)) {
			t.Errorf("findevent:\n%s", out)
		}
		if out := a.cli("hoststatus", "the.tdc.queue"); !regexp.MustCompile(`\b1 +5XX Hard Bounces`).MatchString(out) {
			t.Errorf("hoststatus the.tdc.queue:\n%s", out)
		}
		a.stop()
	})
	t.Run("TLS handshake failure", func(t *testing.T) {
		t.Parallel()
		dest, intake := newSink(t, SinkOptions{}), newSink(t, SinkOptions{BrokenTLS: true})
		a := newAppliance(t, dest.Addr, intake.Addr, "destconfig new the.tdc.queue --use_tls=required")
		a.start()
		mid := sendGo(t, a.addr(), 1, "alice@client.test", []string{"a@example.test"}, message("tls"))[0]
		failed := fmt.Sprintf("Info: TDC: MID %d delivery failed to Cisco Secure Email Threat Defense:TLS Error.", mid)
		a.waitLog(failed)
		a.wait(10*time.Second, "both messages finished", func() bool { return a.count("Message finished MID") == 2 })
		if n := a.count("TLS failed"); n != 1 {
			t.Errorf("%d TLS failed lines", n)
		}
		if s := intake.Stats(); s.Conns != 1 || s.Mails != 0 {
			t.Errorf("intake saw %+v, want one connection and no transaction", s)
		}
		if s := dest.Stats(); s.Messages != 1 {
			t.Errorf("destination: %+v, want the original only", s)
		}
		a.stop()
	})
	t.Run("TLS success", func(t *testing.T) {
		t.Parallel()
		dest, intake := newSink(t, SinkOptions{}), newSink(t, SinkOptions{TLS: true})
		a := newAppliance(t, dest.Addr, intake.Addr, "destconfig new the.tdc.queue --use_tls=required")
		a.start()
		mid := sendGo(t, a.addr(), 1, "alice@client.test", []string{"a@example.test"}, message("tls ok"))[0]
		a.waitLog(fmt.Sprintf("Info: TDC: MID %d successfully delivered for scanning with Cisco Secure Email Threat Defense.", mid))
		if n := a.count("TLS success protocol TLSv1.3 cipher "); n != 1 {
			t.Errorf("%d DCID n TLS success lines", n)
		}
		if m := intake.Messages(); len(m) != 1 || !m[0].TLS {
			t.Errorf("the copy did not travel over TLS: %+v", m)
		}
		a.stop()
	})
}

// TestConnections: with 200 copies for the intake, the.tdc.queue holds
// tdc.MinConnections connections open, although the destination controls
// allow one, and closes them when it empties.
func TestConnections(t *testing.T) {
	t.Parallel()
	dest, intake := newSink(t, SinkOptions{}), newSink(t, SinkOptions{})
	gate := make(chan struct{})
	intake.SetFaults(Faults{Gate: gate})
	a := newAppliance(t, dest.Addr, intake.Addr, "destconfig new the.tdc.queue --max_host_concurrency=1")
	a.start()
	const n = 200
	sendGo(t, a.addr(), n, "alice@client.test", []string{"a@example.test"}, message("many"))
	a.wait(30*time.Second, "200 copies queued", func() bool { return a.count("enqueued for forwarding") == n })
	if !intake.Wait(20*time.Second, func(s Stats) bool { return s.Open == 3 }) {
		t.Fatalf("intake: %+v, want 3 connections open", intake.Stats())
	}
	if out := a.cli("hoststatus", "the.tdc.queue"); !regexp.MustCompile(`\b3 +Current Outbound Connections`).MatchString(out) {
		t.Errorf("hoststatus the.tdc.queue while 200 wait:\n%s", out)
	}
	close(gate)
	if !intake.Wait(60*time.Second, func(s Stats) bool { return s.Messages == n }) {
		t.Fatalf("intake: %+v", intake.Stats())
	}
	if !intake.Wait(20*time.Second, func(s Stats) bool { return s.Open == 0 }) {
		t.Fatalf("connections stay open after the queue emptied: %+v", intake.Stats())
	}
	if s := intake.Stats(); s.Peak != 3 {
		t.Errorf("intake peak %d connections, want 3", s.Peak)
	}
	if s := dest.Stats(); s.Messages != n {
		t.Errorf("destination: %+v", s)
	}
	a.wait(10*time.Second, "an empty queue", func() bool {
		return regexp.MustCompile(`Messages In Work Queue: +0\n`).MatchString(a.cli("workqueue"))
	})
	a.stop()
}

// TestExpiresAfter120Seconds runs in real time (about 2 minutes): an
// intake that accepts connections and never answers. The copy's one
// attempt is cut when it has been queued 120 s, and it leaves the queue,
// with no DSN; the original is delivered at once.
func TestExpiresAfter120Seconds(t *testing.T) {
	t.Parallel()
	dest := newSink(t, SinkOptions{})
	silent, err := NewSilent()
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	a := newAppliance(t, dest.Addr, silent.Addr)
	a.start()
	start := time.Now()
	mid := sendGo(t, a.addr(), 1, "alice@client.test", []string{"a@example.test"}, message("black hole"))[0]
	if !dest.Wait(10*time.Second, func(s Stats) bool { return s.Messages == 1 }) {
		t.Fatal("the original was not delivered")
	}
	a.waitLog("TDC: New SMTP DCID")
	expired := fmt.Sprintf("Info: TDC: MID %d delivery failed to Cisco Secure Email Threat Defense: Expired.", mid)
	a.wait(150*time.Second, "the copy to expire", func() bool { return a.count(expired) == 1 })
	if d := time.Since(start); d < 119*time.Second || d > 135*time.Second {
		t.Errorf("the copy left the queue after %v, want 120 s", d.Round(time.Second))
	}
	a.wait(10*time.Second, "an empty queue", func() bool {
		return regexp.MustCompile(`Messages In Work Queue: +0\n`).MatchString(a.cli("workqueue"))
	})
	if n := silent.Conns(); n != 1 {
		t.Errorf("%d connections to the intake, want 1", n)
	}
	if a.count("generated for bounce") != 0 || dest.Stats().Messages != 1 {
		t.Errorf("a DSN was sent: destination %+v", dest.Stats())
	}
	a.stop()
}
