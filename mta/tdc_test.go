package mta

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"seg/internal/mailapi"
	"seg/mta/delivery"
	"seg/mta/tdc"
	"seg/store"

	"seg/internal/segtest"
)

func TestTDCJournalsEachPartToItsIntake(t *testing.T) {
	other := segtest.NewSink(t, segtest.SinkOptions{})
	e := newTDCEnv(t, tdcSetup{edit: func(cfg *store.Config) {
		cfg.System.Routes = append(cfg.System.Routes, store.SMTPRoute{Domain: "other-intake.test", Hosts: []string{other.Addr()}})
		cfg.Incoming = append([]store.MailPolicy{
			{Name: "Sales", Recipients: []string{"@sales.example.test"}, TDC: store.TDCCustom, TDCAddress: "sales@other-intake.test"},
			{Name: "Quiet", Recipients: []string{"@quiet.example.test"}, TDC: store.TDCOff},
		}, cfg.Incoming...)
	}})
	mids := e.send(1, "alice@client.test", []string{"a@example.test", "s@sales.example.test", "q@quiet.example.test"}, testBody)
	if mids[0] != 1 {
		t.Fatalf("MID %d", mids[0])
	}
	e.wait("3 parts and 2 copies delivered", func() bool {
		return e.dest.Count() == 3 && e.intake.Count() == 1 && other.Count() == 1
	})
	e.waitEmpty()

	// MID 1 keeps the Sales recipient; Quiet and DEFAULT are split off.
	e.mustLog(
		"Info: MID 1 was split creating MID 2 due to a per-recipient policy Quiet in the inbound table",
		"Info: MID 1 was split creating MID 3 due to a per-recipient policy DEFAULT in the inbound table",
		"Info: MID 1 matched all recipients for per-recipient policy Sales in the inbound table",
		"Info: MID 2 matched all recipients for per-recipient policy Quiet in the inbound table",
		"Info: MID 3 matched all recipients for per-recipient policy DEFAULT in the inbound table",
		"Info: TDC: MID 1 with Message-ID '<m1@client.test>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address sales@other-intake.test",
		"Info: TDC: MID 3 with Message-ID '<m1@client.test>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address journal@intake.test",
		// The copies, MIDs 4 and 5, each with its own life.
		"Info: Start MID 4 ICID 0",
		"Info: MID 4 was generated based on MID 1 by tdc filter 'Threat Defense Connector'",
		"Info: MID 4 ICID 0 RID 0 To: <sales@other-intake.test>",
		"Info: MID 5 was generated based on MID 3 by tdc filter 'Threat Defense Connector'",
		"Info: MID 5 ICID 0 RID 0 To: <journal@intake.test>",
		"Info: TDC: MID 4 successfully delivered for scanning with Cisco Secure Email Threat Defense.",
		"Info: TDC: MID 5 successfully delivered for scanning with Cisco Secure Email Threat Defense.",
		"Info: Message finished MID 4 done",
		"Info: Message finished MID 5 done",
	)
	if n := e.count("TDC: MID 2 ") + e.count("based on MID 2 "); n != 0 {
		t.Errorf("the No Scan part was journaled (%d lines)", n)
	}
	// Every TDC delivery line carries a copy's MID, never an original's.
	for _, l := range e.log.Lines() {
		if strings.Contains(l, "TDC: Delivery start") && !strings.HasSuffix(l, " MID 4") && !strings.HasSuffix(l, " MID 5") {
			t.Errorf("TDC line without a copy's MID: %q", l)
		}
	}

	byRcpt := map[string][]byte{}
	for _, r := range e.dest.Messages() {
		byRcpt[r.Rcpts[0]] = r.Data
	}
	check := func(s *segtest.Sink, intake, rcpt string, origMID int64) {
		t.Helper()
		got := s.Messages()[0]
		if got.From != "MAILER-DAEMON@seg.test" || len(got.Rcpts) != 1 || got.Rcpts[0] != intake {
			t.Errorf("copy envelope %s -> %v, want MAILER-DAEMON@seg.test -> %s", got.From, got.Rcpts, intake)
		}
		j := segtest.ParseJournal(t, got.Data)
		// The copy carries the original as delivered: seg's Received
		// header, then what the client sent, byte for byte.
		if !bytes.Equal(j.Orig, byRcpt[rcpt]) {
			t.Errorf("rfc822 part of %s's copy differs from what %s received:\n%q\n%q", intake, rcpt, j.Orig, byRcpt[rcpt])
		}
		if hdr, rest, err := segtest.SplitReceived(j.Orig); err != nil || string(rest) != testBody ||
			!strings.HasPrefix(string(hdr), "Received: from client.test ([127.0.0.1])\r\n\tby seg.test with ESMTP id 1;") {
			t.Errorf("rfc822 part is not seg's Received header + the client's message:\n%q", j.Orig)
		}
		if ip := j.Header.Get("X-IronPort-RemoteIP"); ip != "127.0.0.1" {
			t.Errorf("X-IronPort-RemoteIP %q", ip)
		}
		if !strings.Contains(j.Text, fmt.Sprintf("Original MID: %d\r\n", origMID)) || !strings.Contains(j.Text, "<"+rcpt+">") {
			t.Errorf("text part:\n%s", j.Text)
		}
	}
	check(other, "sales@other-intake.test", "s@sales.example.test", 1)
	check(e.intake, "journal@intake.test", "a@example.test", 3)

	// findevent follows the original to its copy's lines and ends with
	// message tracking's line about the original.
	if out := e.findEvent(3); !strings.HasSuffix(out, "\n"+tdc.TrackDelivered(3)+"\n") ||
		!strings.Contains(out, "Info: Start MID 5 ICID 0\n") || !strings.Contains(out, "Info: TDC: Delivery start DCID ") ||
		!strings.Contains(out, "Info: Message finished MID 5 done\n") || strings.Contains(out, "MID 4 ") {
		t.Errorf("findevent --mid 3 does not show its copy's life (MID 5), then the TDC line:\n%s", out)
	}
	if out := e.findEvent(2); strings.Contains(out, "TDC:") {
		t.Errorf("findevent --mid 2 (No Scan) shows TDC lines:\n%s", out)
	}
	if out := e.command("hoststatus", func(w io.Writer) error { return e.m.HostStatus(w, tdc.Host) }); !strings.Contains(out, "2    Delivered Recipients") {
		t.Errorf("hoststatus %s:\n%s", tdc.Host, out)
	}
	if out := e.command("tophosts 3", func(w io.Writer) error { return e.m.TopHosts(w, mailapi.ByDeliveredRecipients) }); !strings.Contains(out, tdc.Host) {
		t.Errorf("tophosts:\n%s", out)
	}
}

// TestTDCNotJournaled: no copy for relayed mail, a policy set to No Scan,
// or TDC disabled. Closing the MTA waits for copies being made, so none
// can come later.
func TestTDCNotJournaled(t *testing.T) {
	cases := []struct {
		name string
		edit func(*store.Config)
		from string // client address
	}{
		{"No Scan", func(c *store.Config) { c.Incoming[len(c.Incoming)-1].TDC = store.TDCOff }, "127.0.0.1"},
		{"TDC disabled", func(c *store.Config) { c.TDC.Enabled = false }, "127.0.0.1"},
		{"relayed", nil, "127.0.0.2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newTDCEnv(t, tdcSetup{edit: c.edit})
			if c.from == "127.0.0.2" {
				sendFrom(t, e.addr, "127.0.0.2", "alice@client.test", []string{"a@example.test", "x@elsewhere.test"}, testBody)
			} else {
				e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
			}
			e.waitLog("Message finished MID 1 done")
			e.close()
			if n := e.intake.Conns(); n != 0 {
				t.Errorf("the intake had %d connections", n)
			}
			if n := e.count("TDC:"); n != 0 {
				t.Errorf("%d TDC lines", n)
			}
		})
	}
}

// tdcFault is a way for the intake to fail.
type tdcFault struct {
	name  string
	su    tdcSetup
	reply func(segtest.Attempt) error // the intake's
	// attempts counts the attempts the intake saw (or the log shows).
	attempts func(e *tdcEnv) int
	want     int
	// final are the lines of the copy's end; delivered says whether it
	// reached the intake after all.
	final     []string
	delivered bool
}

func mails(e *tdcEnv) int { return e.intake.Attempts("MAIL") }

func TestTDCRetryTable(t *testing.T) {
	// The original is MID 1, its copy MID 2.
	failed := func(reason string) string {
		return "Info: TDC: MID 2 delivery failed to Cisco Secure Email Threat Defense: " + reason + "."
	}
	hard := func(dsn, text string) []string {
		return []string{"Info: TDC: Hard bounced - " + dsn + " - " + text, failed("Hard Bounced")}
	}
	requireTLS := func(c *store.Config) {
		c.Destinations = append(c.Destinations, store.Destination{Domain: tdc.Host, Params: store.Params{"use_tls": "required"}})
	}
	closed := freeLoopbackPort(t)
	cases := []tdcFault{
		{name: "550 no retry", reply: segtest.Refuse("RCPT", segtest.Reply(550, "5.1.1 No such user")),
			attempts: mails, want: 1, final: hard("5.1.1", "No such user")},
		{name: "503 one retry", reply: segtest.Refuse("MAIL", segtest.Reply(503, "5.5.1 Bad sequence")),
			attempts: mails, want: 2, final: hard("5.5.1", "Bad sequence")},
		{name: "552 one retry", reply: segtest.Refuse("DATA", segtest.Reply(552, "5.3.4 Too big")),
			attempts: mails, want: 2, final: hard("5.3.4", "Too big")},
		{name: "451 one retry", reply: segtest.Refuse("DATA", segtest.Reply(451, "4.3.0 Try later")),
			attempts: mails, want: 2, final: []string{failed("Expired")}},
		{name: "451 then accepted", reply: func(a segtest.Attempt) error {
			if a.Cmd == "DATA" && a.N == 1 {
				return segtest.Reply(451, "4.3.0 Try later")
			}
			return nil
		}, attempts: mails, want: 2, final: []string{"Info: TDC: MID 2 successfully delivered for scanning with Cisco Secure Email Threat Defense."}, delivered: true},
		{name: "TLS handshake failure no retry", su: tdcSetup{intake: segtest.SinkOptions{BrokenTLS: true}, edit: requireTLS},
			attempts: func(e *tdcEnv) int { return e.intake.Conns() }, want: 1,
			final: []string{"Info: TDC: MID 2 delivery failed to Cisco Secure Email Threat Defense:TLS Error."}},
		{name: "connection refused one retry", su: tdcSetup{intakeRoute: closed},
			attempts: func(e *tdcEnv) int {
				return e.count("Info: TDC: Connection Error: DCID ", "domain: the.tdc.queue IP: 127.0.0.1", "reason: connection refused")
			},
			want: 2, final: []string{failed("Expired")}},
		{name: "DNS failure one retry", su: tdcSetup{intakeRoute: "-"},
			attempts: func(e *tdcEnv) int { return e.count("TDC: MID 2 delivery ") }, // one line per attempt
			want:     2, final: []string{failed("Expired")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newTDCEnv(t, c.su)
			e.intake.SetReply(c.reply)
			e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
			e.waitLog("Message finished MID 1 done") // the original
			e.waitLog("TDC: MID 2 delivery ")        // the copy's first attempt failed
			if c.want == 2 {
				e.waitLog("Info: TDC: MID 2 delivery delayed to Cisco Secure Email Threat Defense: ",
					fmt.Sprintf(". Retry at %s.", tdcT0.Add(tdc.RetryWait).Format("Mon Jan _2 15:04:05 2006")))
				if got := c.attempts(e); got != 1 {
					t.Fatalf("%d attempts before the retry wait", got)
				}
				e.tick(tdc.RetryWait - time.Second)
				if r := e.copyState(); r.Attempts != 1 || r.InFlight {
					t.Fatalf("a second before the retry: %+v, want 1 attempt and none under way", r)
				}
				e.tick(time.Second)
			}
			e.wait("the copy to leave the queue", func() bool { return e.count(c.final[len(c.final)-1]) == 1 })
			e.waitEmpty()
			e.mustLog(c.final...)
			if got := c.attempts(e); got != c.want {
				t.Errorf("%d attempts, want %d", got, c.want)
			}
			if got := e.intake.Count(); (got == 1) != c.delivered {
				t.Errorf("intake accepted %d copies", got)
			}
			// The original went, once; no DSN to anyone.
			if got := e.dest.Count(); got != 1 {
				t.Errorf("destination received %d messages, want the original only", got)
			}
			if e.count("generated for bounce") != 0 || e.count("Bounced:") != 0 {
				t.Errorf("a DSN was made:\n%s", strings.Join(e.log.Lines(), "\n"))
			}
			want := tdc.TrackDelivered(1)
			if !c.delivered {
				reason := strings.TrimSuffix(strings.TrimPrefix(c.final[len(c.final)-1], "Info: TDC: MID 2 delivery failed to Cisco Secure Email Threat Defense:"), ".")
				want = tdc.TrackFailed(1, strings.TrimSpace(reason))
			}
			if out := e.findEvent(1); !strings.HasSuffix(out, "\n"+want+"\n") {
				t.Errorf("findevent --mid 1 does not end with %q:\n%s", want, out)
			}
		})
	}
}

// TestTDCExpiresAt120s: a copy waiting for its retry, or held by a
// suspended queue, leaves the queue once it has been queued 120 s.
func TestTDCExpiresAt120s(t *testing.T) {
	t.Run("waiting for the retry", func(t *testing.T) {
		e := newTDCEnv(t, tdcSetup{})
		e.intake.SetReply(segtest.Refuse("DATA", segtest.Reply(421, "4.3.2 Shutting down")))
		e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
		e.waitLog("TDC: MID 2 delivery delayed to Cisco Secure Email Threat Defense: 4.3.2 - Shutting down.")
		e.tick(tdc.Lifetime + time.Second)
		e.waitLog("Info: TDC: MID 2 delivery failed to Cisco Secure Email Threat Defense: Expired.")
		e.waitEmpty()
		if got := mails(e); got != 1 {
			t.Errorf("%d attempts, want 1: the retry was due after the copy's lifetime", got)
		}
	})
	t.Run("suspended queue", func(t *testing.T) {
		e := newTDCEnv(t, tdcSetup{})
		e.m.delivery.Suspend(tdc.Host)
		e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
		e.waitLog("TDC: MID 1 with Message-ID")
		e.wait("the copy in the queue", func() bool { return len(e.m.queue.Messages()) == 1 })
		e.tick(tdc.Lifetime - time.Second)
		e.m.delivery.Resume(tdc.Host)
		e.wait("the copy to be attempted", func() bool { return e.intake.Count() == 1 })
		e.waitEmpty()

		e.m.delivery.Suspend(tdc.Host)
		e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
		e.waitLog("TDC: MID 3 with Message-ID")
		e.wait("the copy in the queue", func() bool { return len(e.m.queue.Messages()) == 1 })
		e.tick(tdc.Lifetime)
		e.m.delivery.Resume(tdc.Host)
		e.waitLog("Info: TDC: MID 4 delivery failed to Cisco Secure Email Threat Defense: Expired.")
		e.waitEmpty()
		if e.intake.Conns() != 1 || e.intake.Count() != 1 {
			t.Errorf("intake saw %v: the expired copy was attempted", e.intake)
		}
	})
}

// TestTDCDeadlineCutsAHungAttempt: an intake that accepts the connection
// and never answers cannot hold a copy past its 120 s.
func TestTDCDeadlineCutsAHungAttempt(t *testing.T) {
	silent := segtest.NewSilent(t)
	e := newTDCEnv(t, tdcSetup{intakeRoute: silent.Addr()})
	e.m.delivery.Suspend(tdc.Host)
	e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
	e.waitLog("TDC: MID 1 with Message-ID")
	e.wait("the copy in the queue", func() bool { return len(e.m.delivery.Recipients(delivery.Selector{All: true})) == 1 })
	// 2 s of the lifetime are left when the attempt starts; the clock
	// passes the deadline while the server keeps silent.
	e.tick(tdc.Lifetime - 2*time.Second)
	start := time.Now()
	e.m.delivery.Resume(tdc.Host)
	e.wait("the connection", func() bool { return silent.Conns() == 1 })
	e.tick(5 * time.Second)
	e.waitLog("Info: TDC: MID 2 delivery failed to Cisco Secure Email Threat Defense: Expired.")
	if d := time.Since(start); d < 1500*time.Millisecond || d > 10*time.Second {
		t.Errorf("the hung attempt was cut after %v, want about 2 s", d)
	}
	e.waitEmpty()
	e.wait("the connection to close", func() bool { return silent.Open() == 0 })
	if n := silent.Conns(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	if e.count("TDC: New SMTP DCID") != 1 {
		t.Errorf("no TDC: New SMTP DCID line:\n%s", strings.Join(e.log.Lines(), "\n"))
	}
}

// TestTDCConnections: the.tdc.queue opens at least tdc.MinConnections
// connections while it has entries, even where the destination controls
// allow fewer, and closes them when it empties; ordinary mail keeps the
// normal limit.
func TestTDCConnections(t *testing.T) {
	e := newTDCEnv(t, tdcSetup{edit: func(c *store.Config) {
		c.DestDefault = c.DestDefault.Clone()
		c.DestDefault["max_host_concurrency"] = "1"
	}})
	release := e.intake.HoldData()
	e.m.delivery.Suspend(tdc.Host)
	const n = 200
	e.send(n, "alice@client.test", []string{"a@example.test"}, testBody)
	e.wait("200 copies queued", func() bool { return e.count("enqueued for forwarding") == n })
	e.m.delivery.Resume(tdc.Host)
	if !segtest.Poll(20*time.Second, func() bool { return e.intake.Open() == tdc.MinConnections }) {
		t.Fatalf("intake: %v, want %d connections open", e.intake, tdc.MinConnections)
	}
	release()
	e.wait("every copy delivered", func() bool { return e.intake.Count() == n })
	if !segtest.Poll(20*time.Second, func() bool { return e.intake.Open() == 0 }) {
		t.Fatalf("connections still open once the queue emptied: %v", e.intake)
	}
	e.waitEmpty()
	if top := e.intake.MaxConns(); top != tdc.MinConnections {
		t.Errorf("intake peak %d connections, want %d", top, tdc.MinConnections)
	}
	if e.dest.MaxConns() != 1 || e.dest.Count() != n {
		t.Errorf("destination: %v, want a peak of 1 connection and %d messages", e.dest, n)
	}
}

// TestTDCKeepsConnectionsWhileQueued: a connection whose copy is done
// stays open while the queue has entries (here a copy waiting for its
// retry) and closes when the queue empties.
func TestTDCKeepsConnectionsWhileQueued(t *testing.T) {
	e := newTDCEnv(t, tdcSetup{})
	e.intake.SetReply(func(a segtest.Attempt) error {
		if a.Cmd == "DATA" && a.N == 1 {
			return segtest.Reply(451, "4.3.0 Try later")
		}
		return nil
	})
	e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
	e.waitLog("TDC: MID 2 delivery delayed")
	mid := e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)[0]
	e.waitLog(fmt.Sprintf("Info: TDC: MID %d successfully delivered", e.copyOf(mid)))
	time.Sleep(100 * time.Millisecond)
	if e.intake.Open() == 0 {
		t.Fatalf("no connection kept open while a copy waits: %v", e.intake)
	}
	conns := e.intake.Conns()
	e.tick(tdc.RetryWait)
	e.waitLog("Info: TDC: MID 2 successfully delivered")
	e.waitEmpty()
	if !segtest.Poll(10*time.Second, func() bool { return e.intake.Open() == 0 }) {
		t.Fatalf("connections still open: %v", e.intake)
	}
	if got := e.intake.Conns(); got != conns {
		t.Errorf("the retry opened a new connection (%d, then %d): the open one should have carried it", conns, got)
	}
}

// TestTDCCloseWaitsForCopies: a copy submitted before Close is queued
// before the queue closes.
func TestTDCCloseWaitsForCopies(t *testing.T) {
	e := newTDCEnv(t, tdcSetup{})
	e.m.delivery.Suspend(tdc.Host)
	e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if e.count("TDC: MID 1 with Message-ID") != 1 || e.count("could not be enqueued") != 0 {
		t.Errorf("the copy was not queued before Close returned:\n%s", strings.Join(e.log.Lines(), "\n"))
	}
}

// TestTDCConnectionsServeOneIntake: the.tdc.queue holds copies for
// several intake domains; an open connection carries only copies for the
// intake it was made for.
func TestTDCConnectionsServeOneIntake(t *testing.T) {
	other := segtest.NewSink(t, segtest.SinkOptions{})
	e := newTDCEnv(t, tdcSetup{edit: func(cfg *store.Config) {
		cfg.System.Routes = append(cfg.System.Routes, store.SMTPRoute{Domain: "other-intake.test", Hosts: []string{other.Addr()}})
		cfg.Incoming = append([]store.MailPolicy{
			{Name: "Sales", Recipients: []string{"@sales.example.test"}, TDC: store.TDCCustom, TDCAddress: "sales@other-intake.test"},
		}, cfg.Incoming...)
	}})
	const n = 30
	e.send(n, "alice@client.test", []string{"a@example.test", "s@sales.example.test"}, testBody)
	e.wait("every copy", func() bool { return e.intake.Count()+other.Count() == 2*n })
	for _, c := range e.intake.Messages() {
		if c.Rcpts[0] != "journal@intake.test" {
			t.Errorf("the default intake got a copy for %v", c.Rcpts)
		}
	}
	for _, c := range other.Messages() {
		if c.Rcpts[0] != "sales@other-intake.test" {
			t.Errorf("the Sales intake got a copy for %v", c.Rcpts)
		}
	}
	if a, b := e.intake.Count(), other.Count(); a != n || b != n {
		t.Errorf("intakes got %d and %d copies, want %d each", a, b, n)
	}
}

// TestTDCCopySurvivesRestart: a copy still queued when the MTA stops is
// delivered after it starts again, as a journal copy (the.tdc.queue, TDC
// lines with its own MID), within its 120 s.
func TestTDCCopySurvivesRestart(t *testing.T) {
	e := newTDCEnv(t, tdcSetup{})
	e.m.delivery.Suspend(tdc.Host)
	e.send(1, "alice@client.test", []string{"a@example.test"}, testBody)
	e.waitLog("Message finished MID 1 done")
	e.close()
	if e.intake.Conns() != 0 {
		t.Fatal("the copy went before the restart")
	}
	e.tick(time.Minute)
	e.start()
	e.waitLog("Info: TDC: MID 2 successfully delivered for scanning with Cisco Secure Email Threat Defense.")
	e.waitEmpty()
	if got := e.intake.Messages(); len(got) != 1 || got[0].Rcpts[0] != "journal@intake.test" {
		t.Errorf("intake got %+v", got)
	}
	if n := e.count("TDC: Delivery start DCID", "MID 2"); n != 1 {
		t.Errorf("%d TDC: Delivery start lines for MID 2", n)
	}
	if out := e.findEvent(1); !strings.HasSuffix(out, "\n"+tdc.TrackDelivered(1)+"\n") {
		t.Errorf("findevent --mid 1 across the restart:\n%s", out)
	}
}

// findEvent is findevent --mid mid.
func (e *tdcEnv) findEvent(mid int64) string {
	e.t.Helper()
	return e.command(fmt.Sprintf("findevent --mid %d", mid), func(w io.Writer) error {
		return e.m.FindEvent(w, mailapi.EventQuery{MID: mid})
	})
}

// TestTDCInheritedFromDefault: a policy whose TDC setting is inherit
// journals as the DEFAULT policy does (here to its intake address), and
// one that is off does not.
func TestTDCInheritedFromDefault(t *testing.T) {
	e := newTDCEnv(t, tdcSetup{edit: func(cfg *store.Config) {
		cfg.Incoming = append([]store.MailPolicy{
			{Name: "Support", Recipients: []string{"@support.example.test"}, TDC: store.TDCInherit},
			{Name: "Quiet", Recipients: []string{"@quiet.example.test"}, TDC: store.TDCOff},
		}, cfg.Incoming...)
	}})
	e.send(1, "alice@client.test", []string{"s@support.example.test", "q@quiet.example.test"}, testBody)
	e.wait("2 parts and 1 copy delivered", func() bool { return e.dest.Count() == 2 && e.intake.Count() == 1 })
	e.waitEmpty()
	e.mustLog(
		"Info: MID 1 matched all recipients for per-recipient policy Support in the inbound table",
		"Info: TDC: MID 1 with Message-ID '<m1@client.test>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address journal@intake.test",
	)
	if n := e.count("TDC: MID 2 "); n != 0 {
		t.Errorf("the Quiet part was journaled (%d lines)", n)
	}
}
