package delivery

import (
	"fmt"
	"strings"
	"testing"

	"seg/internal/segtest"
	"seg/mta/queue"
	"seg/store"
)

func viaSink(domain string, s *segtest.Sink) func(*store.Config) {
	return func(c *store.Config) {
		c.System.Routes = append(c.System.Routes, store.SMTPRoute{Domain: domain, Hosts: []string{s.Addr()}})
	}
}

// enqueueRaw queues a message as a queue record holds it, whatever the
// addresses: records of earlier releases, or made outside smtpd.
func (h *harness) enqueueRaw(from string, relayed bool, rcpts ...string) int64 {
	h.t.Helper()
	body := "Subject: spam subject\r\nMessage-ID: <raw@src.test>\r\n\r\nspam body\r\n"
	m := &queue.Message{MID: h.q.NextMID(), ICID: 1, From: from, Received: h.clk.Now(), Subject: "raw", Relayed: relayed}
	for i, r := range rcpts {
		m.Rcpts = append(m.Rcpts, queue.Recipient{RID: i, Addr: r})
	}
	if err := h.q.Enqueue(m, []byte(body)); err != nil {
		h.t.Fatal(err)
	}
	return m.MID
}

// TestOutboundLinesCanonical: the MAIL and RCPT lines carry the canonical
// text of each queued address, a quoted local part quoted.
func TestOutboundLinesCanonical(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	h := newHarness(t, viaSink("example.test", sink))
	h.start()
	mid := h.enqueueRaw(`"a b"@src.test`, true, `"victim@outside.test> NOTIFY=NEVER"@example.test`, `"plain"@Example.Test.`)
	h.waitFinished(mid)
	got := sink.EnvelopeLines()
	want := []string{
		`MAIL FROM:<"a b"@src.test>`,
		`RCPT TO:<"victim@outside.test> NOTIFY=NEVER"@example.test>`,
		`RCPT TO:<plain@Example.Test>`,
	}
	if len(got) != 3 || !strings.HasPrefix(got[0], want[0]+" ") || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("lines %q, want %q", got, want)
	}
	for rid := range 2 {
		if st := h.q.state(mid, rid); st != queue.Delivered {
			t.Errorf("RID %d state %d", rid, st)
		}
	}
}

// TestOutboundRefusesUnparseable: a queued address that does not parse
// (here, as go-smtp's parser handed it to earlier releases, the
// smuggled recipient unquoted) is never sent: the recipient hard-bounces
// with 5.1.3 and a Warning says why; the others go. A sender that does
// not parse fails every recipient with 5.1.7 without a connection.
func TestOutboundRefusesUnparseable(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	senders := segtest.NewSink(t, segtest.SinkOptions{}) // where DSNs go
	h := newHarness(t, edits(viaSink("example.test", sink), viaSink("src.test", senders)))
	h.start()
	mid := h.enqueueRaw("alice@src.test", true, "victim@outside.test> NOTIFY=NEVER@example.test", "good@example.test", "nul\x00@example.test")
	h.waitFinished(mid)
	for _, l := range sink.EnvelopeLines() {
		if strings.Contains(l, "victim") || strings.Contains(l, "nul") {
			t.Errorf("sent %q", l)
		}
	}
	if st := h.q.state(mid, 1); st != queue.Delivered {
		t.Errorf("good recipient state %d", st)
	}
	for _, rid := range []int{0, 2} {
		if st := h.q.state(mid, rid); st != queue.HardBounced {
			t.Errorf("RID %d state %d, want HardBounced", rid, st)
		}
	}
	h.mustLog(
		fmt.Sprintf(`Warning: MID %d RID 0 not sent: the queued recipient address 'victim@outside.test> NOTIFY=NEVER@example.test' is not a valid RFC 5321 address (unexpected characters after the domain)`, mid),
		fmt.Sprintf(`Warning: MID %d RID 2 not sent: the queued recipient address 'nul\x00@example.test' is not a valid RFC 5321 address (NUL in address)`, mid),
	)
	if len(h.lines(fmt.Sprintf("MID %d From: <alice@src.test> To: <victim@outside.test> NOTIFY=NEVER@example.test> RID 0 - 5.1.3 - Bad destination mailbox address syntax", mid))) != 1 {
		t.Errorf("no Bounced line for RID 0:\n%s", strings.Join(h.log.Lines(), "\n"))
	}

	before := sink.Attempts("MAIL")
	mid = h.enqueueRaw("a b@src.test", true, "x@example.test", "y@example.test")
	h.waitFinished(mid)
	for rid := range 2 {
		if st := h.q.state(mid, rid); st != queue.HardBounced {
			t.Errorf("bad sender: RID %d state %d, want HardBounced", rid, st)
		}
	}
	if len(h.lines(fmt.Sprintf("MID %d From: <a b@src.test> To: <y@example.test> RID 1 - 5.1.7 - Bad sender's mailbox address syntax", mid))) != 1 {
		t.Errorf("no 5.1.7 Bounced line:\n%s", strings.Join(h.log.Lines(), "\n"))
	}
	// No DSN is made for "a b@src.test": it could not be sent.
	h.mustLog(fmt.Sprintf(`Warning: MID %d no bounce sent: the bounce address 'a b@src.test' is not a valid RFC 5321 address (invalid character in local part)`, mid))
	h.waitIdle("idle", func() bool { return true })
	if sink.Attempts("MAIL") != before {
		t.Errorf("%d MAIL commands for a message with a bad sender", sink.Attempts("MAIL")-before)
	}
}

// TestTrailingDotRoutesAndDestconfig: a queued recipient whose domain has
// a trailing dot and other case (a record of an earlier release) is
// routed, and its destconfig entry applied, as the domain itself.
func TestTrailingDotRoutesAndDestconfig(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, edits(viaRoute("example.test", srv), destParams("example.test", store.Params{"use_tls": "required"})))
	h.start()
	mid := h.enqueueRaw("alice@src.test", true, "bob@Example.Test.")
	h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:")) == 1 })
	h.mustLog(fmt.Sprintf("Info: Delayed: DCID 1 MID %d From: <alice@src.test> To: <bob@Example.Test.> RID 0 - 4.7.0 - Other or undefined security status ('000', ['TLS was required but the remote host did not offer STARTTLS'])", mid))
	if hs := h.host("example.test"); hs.Active() != 1 {
		t.Errorf("example.test counters %+v, want the recipient there", hs)
	}
	for _, c := range []struct{ addr, domain string }{
		{"bob@Example.Test.", "example.test"},
		{`"a@b"@EXAMPLE.test`, "example.test"},
		{"bad address@Other.Test.", "other.test"},
		{"user@[IPv6:2001:DB8::1]", "[ipv6:2001:db8::1]"},
	} {
		if name, d := destOf(&queue.Message{}, c.addr); name != c.domain || d != c.domain {
			t.Errorf("destOf(%q) = %q, %q, want %q", c.addr, name, d, c.domain)
		}
	}
}

// TestBounceToUntrustedSender: the DSN for mail not received under RELAY
// quotes only the original's Message-ID and Date.
func TestBounceToUntrustedSender(t *testing.T) {
	srv := newSMTPServer(t, nil)
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(string) error { return smtpErr(550, [3]int{5, 1, 1}, "No such user") }
	})
	h := newHarness(t, viaRoute("example.test", srv))
	h.start()
	mid := h.enqueueRaw("victim@src.test", false, "nobody@example.test")
	h.waitFinished(mid)
	b := h.q.bounces()
	if len(b) != 1 {
		t.Fatalf("%d DSNs", len(b))
	}
	body := h.q.body(b[0].MID)
	if strings.Contains(body, "spam") || !strings.Contains(body, "Message-ID: <raw@src.test>") {
		t.Errorf("DSN to an untrusted sender:\n%s", body)
	}
}
