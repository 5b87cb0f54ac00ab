package smtpd

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"seg/mta/counters"
	"seg/mta/queue"
	"seg/store"
)

// A body that exercises transparency: dot lines, a line that looks like a
// command, 8-bit and NUL bytes, a 990-byte line, bare LF and CR, and a
// header-like line in the body. It must be stored byte for byte.
var trickyBody = "Message-ID: <m1@sender.test>\r\n" +
	"Subject: Hello\r\n there\r\n" +
	"From: Alice <alice@sender.test>\r\n" +
	"\r\n" +
	".leading dot\r\n" +
	"..two dots\r\n" +
	".\r\n.\r\n" +
	"FOO not a command\r\n" +
	"MAIL FROM:<inside@body.test>\r\n" +
	"\xe9t\xe9 8-bit \x00 NUL\r\n" +
	strings.Repeat("x", 990) + "\r\n" +
	"bare\nLF and bare\rCR\r\n" +
	"Subject: not the subject\r\n" +
	"last line\r\n"

func TestOneMessage(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")

	if b := c.line(); b != "220 mx.seg.test ESMTP" {
		t.Fatalf("banner %q", b)
	}
	c.send("EHLO client.test\r\n")
	ehlo := c.reply()
	for _, want := range []string{"250-8BITMIME", "250-PIPELINING", "250 SIZE 10485760"} {
		if !slices.Contains(ehlo, want) {
			t.Errorf("EHLO reply %q lacks %q", ehlo, want)
		}
	}
	for _, l := range ehlo {
		if strings.Contains(l, "CHUNKING") {
			t.Errorf("EHLO advertises CHUNKING: %q", ehlo)
		}
	}
	c.expect("MAIL FROM:<alice@sender.test>", "250 ")
	c.expect("RCPT TO:<bob@example.com>", "250 ")
	if got := c.cmd("RCPT TO:<x@other.test>"); got != "550 5.7.1 Recipient address rejected" {
		t.Fatalf("outside recipient: %q", got)
	}
	c.expect("DATA", "354 ")
	c.send(dotStuff(trickyBody) + ".\r\n")
	if got := c.reply(); got[0] != "250 2.0.0 Ok: queued as 1" {
		t.Fatalf("DATA: %q", got)
	}
	c.expect("QUIT", "221 ")

	msgs := e.q.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages queued", len(msgs))
	}
	m := msgs[0]
	wantHdr := "Received: from client.test ([127.0.0.2])\r\n" +
		"\tby mx.seg.test with ESMTP id 1\r\n" +
		"\tfor <bob@example.com>; Mon, 23 Nov 2026 22:22:23 +0100\r\n"
	if got := string(m.body); got != wantHdr+trickyBody {
		t.Errorf("stored body differs:\n got %q\nwant %q", got, wantHdr+trickyBody)
	}
	want := queue.Message{MID: 1, ICID: 1, Kind: queue.KindNormal, From: "alice@sender.test",
		Rcpts:    []queue.Recipient{{RID: 0, Addr: "bob@example.com"}},
		Received: testNow, Size: int64(len(m.body)), RemoteIP: "127.0.0.2", Listener: "IncomingMail",
		MessageID: "<m1@sender.test>", Subject: "Hello there", Policy: "DEFAULT"}
	if fmt.Sprint(m.m) != fmt.Sprint(want) {
		t.Errorf("queued message\n got %+v\nwant %+v", m.m, want)
	}

	lines := e.waitLog("Info: ICID 1 close")
	wantLog := []string{
		"Info: New SMTP ICID 1 interface Management (127.0.0.1) address 127.0.0.2 reverse dns host unknown verified no",
		"Info: ICID 1 ACCEPT SG None match ALL SBRS None",
		"Info: Start MID 1 ICID 1",
		"Info: MID 1 ICID 1 From: <alice@sender.test>",
		"Info: MID 1 ICID 1 RID 0 To: <bob@example.com>",
		"Info: MID 1 ICID 1 To: <x@other.test> Rejected by RAT",
		"Info: MID 1 Message-ID '<m1@sender.test>'",
		"Info: MID 1 Subject 'Hello there'",
		fmt.Sprintf("Info: MID 1 ready %d bytes from <alice@sender.test>", len(m.body)),
		"Info: MID 1 matched all recipients for per-recipient policy DEFAULT in the inbound table",
		"Info: MID 1 queued for delivery",
		"Info: ICID 1 close",
	}
	if !slices.Equal(lines, wantLog) {
		t.Errorf("mail_logs:\n got %s\nwant %s", strings.Join(lines, "\n     "), strings.Join(wantLog, "\n     "))
	}

	snap := e.cnt.Snapshot()
	if snap.Uptime[counters.MessagesReceived] != 1 || snap.Uptime[counters.RecipientsReceived] != 1 || snap.Uptime[counters.RejectedRecipients] != 1 {
		t.Errorf("counters: received %d, recipients %d, rejected %d", snap.Uptime[counters.MessagesReceived],
			snap.Uptime[counters.RecipientsReceived], snap.Uptime[counters.RejectedRecipients])
	}
	waitFor(t, "ConnIn back to 0", func() bool { return e.cnt.Snapshot().ConnIn == 0 })
}

func TestConnInGauge(t *testing.T) {
	e := newEnv(t, testConfig())
	a := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	a.greet("a.test")
	b := dialFrom(t, e.addr("IncomingMail"), "127.0.0.3")
	b.greet("b.test")
	if n := e.cnt.Snapshot().ConnIn; n != 2 {
		t.Errorf("ConnIn = %d with two sessions open", n)
	}
	if n := e.srv.Listeners()[0].Connections; n != 2 {
		t.Errorf("listener connections = %d", n)
	}
	a.expect("QUIT", "221 ")
	waitFor(t, "ConnIn 1", func() bool { return e.cnt.Snapshot().ConnIn == 1 })
}

func TestHELOIsPlainSMTP(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.line()
	c.expect("HELO old.test", "250 ")
	c.sendMessage("a@old.test", []string{"x@example.com", "y@example.com"}, "Subject: hi\r\n\r\nbody\r\n")
	m := e.q.messages()[0]
	want := "Received: from old.test ([127.0.0.2])\r\n\tby mx.seg.test with SMTP id 1; Mon, 23 Nov 2026 22:22:23 +0100\r\n"
	if !strings.HasPrefix(string(m.body), want) {
		t.Errorf("two recipients over HELO: header %q, want %q (no for clause)", string(m.body), want)
	}
	if e.hasLog("Message-ID") {
		t.Errorf("logged a Message-ID for a message without one")
	}
}

func TestRelayAndNoOpenRelay(t *testing.T) {
	e := newEnv(t, testConfig())
	addr := e.addr("IncomingMail")

	// 127.0.0.1 is in RELAYLIST ($RELAYED): any recipient.
	c := dialFrom(t, addr, "127.0.0.1")
	c.greet("relay.test")
	if got := c.sendMessage("app@seg.test", []string{"someone@far.test"}, "Subject: out\r\n\r\nx\r\n"); !strings.HasPrefix(got, "250 2.0.0 Ok: queued as") {
		t.Fatalf("relay: %q", got)
	}
	e.waitLog("Info: ICID 1 RELAY SG RELAYLIST match 127.0.0.1 SBRS not enabled")
	e.waitLog("Info: MID 1 matched all recipients for per-recipient policy DEFAULT in the outbound table")

	// Nobody else relays: other loopback hosts fall to ALL ($ACCEPTED)
	// and the RAT.
	for _, src := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.9", "127.1.2.3"} {
		c := dialFrom(t, addr, src)
		c.greet("outsider.test")
		c.expect("MAIL FROM:<spam@outsider.test>", "250 ")
		for _, rcpt := range []string{"someone@far.test", "x@sub.example.com", "x@example.com.evil.test", "x@[127.0.0.1]"} {
			if got := c.cmd("RCPT TO:<" + rcpt + ">"); got != "550 5.7.1 Recipient address rejected" {
				t.Errorf("%s relaying to %s: %q", src, rcpt, got)
			}
		}
		c.expect("RCPT TO:<ok@EXAMPLE.com>", "250 ")
		c.expect("QUIT", "221 ")
	}
	if n := len(e.q.messages()); n != 1 {
		t.Errorf("%d messages queued, want only the relayed one", n)
	}
}

func TestDefaultRATRejectsEveryone(t *testing.T) {
	cfg := testConfig()
	cfg.Listeners[0].RAT = store.DefaultRAT()
	cfg.Listeners[0].HAT.SenderGroups[0].Members = nil // no RELAYLIST host either
	e := newEnv(t, cfg)
	for _, src := range []string{"127.0.0.1", "127.0.0.2"} {
		c := dialFrom(t, e.addr("IncomingMail"), src)
		c.greet("x.test")
		c.expect("MAIL FROM:<a@x.test>", "250 ")
		c.expect("RCPT TO:<a@example.com>", "550 5.7.1 ")
	}
}

func TestAcceptWithoutRATRejects(t *testing.T) {
	// A private listener has no RAT; an ACCEPT policy there must not
	// become an open relay.
	cfg := testConfig()
	l := store.NewListener("Private", store.ListenerPrivate, "127.0.0.1", 0)
	l.HAT.SenderGroups[len(l.HAT.SenderGroups)-1].Policy = "$ACCEPTED"
	cfg.Listeners = []store.Listener{l}
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("Private"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<a@example.com>", "550 5.7.1 ")
}

func TestPrivateListenerRejectsUnlisted(t *testing.T) {
	cfg := testConfig()
	l := store.NewListener("Private", store.ListenerPrivate, "127.0.0.1", 0)
	l.HAT.SenderGroups[0].Members = []string{"127.0.0.5"}
	cfg.Listeners = []store.Listener{l}
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("Private"), "127.0.0.2")
	if b := c.line(); b != "554 Access denied" {
		t.Fatalf("banner %q", b)
	}
	c = dialFrom(t, e.addr("Private"), "127.0.0.5")
	c.greet("app.test")
	c.expect("MAIL FROM:<a@app.test>", "250 ")
	c.expect("RCPT TO:<anyone@far.test>", "250 ")
}

func TestRejectPolicy(t *testing.T) {
	cfg := testConfig()
	hat := &cfg.Listeners[0].HAT
	hat.SenderGroup("BLOCKED_LIST").Members = []string{"127.0.0.2"}
	hat.Policies = append(hat.Policies, store.FlowPolicy{Name: "$GOAWAY", Behavior: store.BehaviorReject,
		Params: store.Params{"reject_banner_code": "550", "reject_banner_text": "No mail from $RemoteIP to $Hostname"}})
	hat.SenderGroups = append([]store.SenderGroup{{Name: "CUSTOM", Members: []string{"127.0.0.6"}, Policy: "$GOAWAY"}}, hat.SenderGroups...)
	e := newEnv(t, cfg)

	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	if b := c.line(); b != "554 Access denied" {
		t.Fatalf("banner %q", b)
	}
	for _, cmd := range []string{"EHLO x.test", "MAIL FROM:<a@x.test>", "NOOP"} {
		if got := c.cmd(cmd); got != "503 5.5.1 Bad sequence of commands" {
			t.Errorf("%s after REJECT: %q", cmd, got)
		}
	}
	c.expect("QUIT", "221 ")
	c.expectClosed()
	e.waitLog("Info: ICID 1 REJECT SG BLOCKED_LIST match 127.0.0.2 SBRS None")
	e.waitLog("Info: ICID 1 close")

	c = dialFrom(t, e.addr("IncomingMail"), "127.0.0.6")
	if b := c.line(); b != "550 No mail from 127.0.0.6 to mx.seg.test" {
		t.Fatalf("custom banner %q", b)
	}
	// A client that will not stop is cut off.
	for i := 0; i < 4; i++ {
		c.expect("HELO x.test", "503 ")
	}
	c.send("HELO x.test\r\n")
	if r := c.reply(); r[0] != "503 5.5.1 Bad sequence of commands" {
		t.Fatalf("5th: %q", r)
	}
	if l := c.line(); l != "421 Exceeded bad SMTP command limit, disconnecting." {
		t.Fatalf("after 5: %q", l)
	}
	c.expectClosed()
}

func TestTCPRefuse(t *testing.T) {
	cfg := testConfig()
	hat := &cfg.Listeners[0].HAT
	hat.Policies = append(hat.Policies, store.FlowPolicy{Name: "$REFUSED", Behavior: store.BehaviorTCPRefuse})
	hat.SenderGroups = append([]store.SenderGroup{{Name: "REFUSELIST", Members: []string{"127.0.0.3"}, Policy: "$REFUSED"}}, hat.SenderGroups...)
	e := newEnv(t, cfg)
	// The RST may even beat the end of the client's connect.
	c, err := dialRaw(e.addr("IncomingMail"), "127.0.0.3")
	if err == nil {
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 64)
		var n int
		n, err = c.Read(buf)
		if n != 0 {
			t.Fatalf("TCPREFUSE sent %q", buf[:n])
		}
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("TCPREFUSE: %v; want a connection reset", err)
	}
	e.waitLog("Info: ICID 1 TCPREFUSE SG REFUSELIST match 127.0.0.3 SBRS None")
	e.waitLog("Info: ICID 1 close")
}

func TestCustomBanner(t *testing.T) {
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = store.Params{"smtp_banner_code": "220", "smtp_banner_text": "$Hostname welcomes $RemoteIP ($RemoteHost)"}
	policy(cfg, "$RELAYED").Params["use_override_hostname"] = "on"
	policy(cfg, "$RELAYED").Params["override_hostname"] = "relay.seg.test"
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	if b := c.line(); b != "220 mx.seg.test welcomes 127.0.0.2 (127.0.0.2)" {
		t.Errorf("banner %q", b)
	}
	c = dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	if b := c.line(); b != "220 relay.seg.test ESMTP" {
		t.Errorf("override banner %q", b)
	}
}

func TestReverseDNSSeam(t *testing.T) {
	e := newEnvWith(t, testConfig(), func(d *Deps) {
		d.ReverseDNS = func(_ context.Context, ip netip.Addr) (string, bool) {
			return "client.example.net", ip == netip.MustParseAddr("127.0.0.2")
		}
	})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("helo.test")
	c.sendMessage("a@b.test", []string{"c@example.com"}, "\r\nx\r\n")
	e.waitLog("Info: New SMTP ICID 1 interface Management (127.0.0.1) address 127.0.0.2 reverse dns host client.example.net verified yes")
	if got := string(e.q.messages()[0].body); !strings.HasPrefix(got, "Received: from helo.test (client.example.net [127.0.0.2])\r\n") {
		t.Errorf("Received with rDNS: %q", got)
	}
	c = dialFrom(t, e.addr("IncomingMail"), "127.0.0.3")
	c.line()
	e.waitLog("Info: New SMTP ICID 2 interface Management (127.0.0.1) address 127.0.0.3 reverse dns host client.example.net verified no")
}

func TestEnqueueFailure(t *testing.T) {
	e := newEnv(t, testConfig())
	e.q.setFail(errors.New("disk full"))
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	if got := c.sendMessage("a@x.test", []string{"b@example.com"}, "Subject: s\r\n\r\nbody\r\n"); got != "451 4.3.0 Message could not be queued, try again later" {
		t.Fatalf("DATA with a failing queue: %q", got)
	}
	// The session goes on: a retry on the same connection works.
	e.q.setFail(nil)
	if got := c.sendMessage("a@x.test", []string{"b@example.com"}, "Subject: s\r\n\r\nbody\r\n"); got != "250 2.0.0 Ok: queued as 2" {
		t.Fatalf("retry: %q", got)
	}
	e.waitLog("Warning: ICID 1 Receiving Failed: MID 1 could not be queued: disk full")
	e.waitLog("Info: Message aborted MID 1 Receiving aborted")
	if e.hasLog("MID 1 queued for delivery") {
		t.Errorf("logged a failed message as queued")
	}
	if n := e.cnt.Snapshot().Uptime[counters.MessagesReceived]; n != 1 {
		t.Errorf("MessagesReceived = %d", n)
	}
}

func TestDropMidMessage(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RCPT TO:<b@example.com>", "250 ")
	c.expect("DATA", "354 ")
	c.send("Subject: cut\r\n\r\nhalf a mess")
	c.c.Close()
	lines := e.waitLog("Info: ICID 1 close")
	i := slices.Index(lines, "Info: Message aborted MID 1 Receiving aborted")
	if i < 0 || i != len(lines)-2 {
		t.Errorf("abort line missing or out of place:\n%s", strings.Join(lines, "\n"))
	}
	if len(e.q.messages()) != 0 {
		t.Errorf("a cut message was queued")
	}
}

func TestRsetAbortsTransaction(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("RSET", "250 ")
	e.waitLog("Info: Message aborted MID 1 Receiving aborted")
	if got := c.sendMessage("a@x.test", []string{"b@example.com"}, "\r\nx\r\n"); got != "250 2.0.0 Ok: queued as 2" {
		t.Errorf("after RSET: %q", got)
	}
}

func TestNestedMailRefused(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("x.test")
	c.expect("MAIL FROM:<a@x.test>", "250 ")
	c.expect("MAIL FROM:<b@x.test>", "503 5.5.1 ")
}
