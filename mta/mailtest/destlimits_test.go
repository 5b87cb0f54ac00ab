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

// Destination Controls limits on the wire (issue 12, SPEC 5 and 11): the
// receiving servers count the connections they see at once and the
// recipients they get; seg's own figures (destconfig detail, hoststatus)
// and its mail_logs lines are checked against them.

// sendEach sends n messages of one recipient each, user0@domain and on,
// from 127.0.0.1 (RELAYLIST).
func sendEach(t *testing.T, a *segtest.Appliance, domain string, n int) {
	t.Helper()
	cl, err := segtest.Client{}.Dial(a.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range n {
		rcpt := fmt.Sprintf("user%d@%s", i, domain)
		if _, err := segtest.Transact(cl, "sender@client.test", []string{rcpt}, plainMessage(rcpt, "limits", fmt.Sprintf("%s.%d@client.test", domain, i))); err != nil {
			t.Fatal(err)
		}
	}
	cl.Quit()
}

// perConn counts the messages each connection of a sink carried.
func perConn(s *segtest.Sink) map[int]int {
	n := map[int]int{}
	for _, m := range s.Messages() {
		n[m.Conn]++
	}
	return n
}

// TestDestLimitsPerMXIP: limit_type MXIP gives each MX address its own
// max_host_concurrency; connections carry at most
// max_messages_per_connection messages.
func TestDestLimitsPerMXIP(t *testing.T) {
	mx1 := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.31.2:25"})
	mx2 := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.31.3:25"})
	release1, release2 := mx1.HoldData(), mx2.HoldData()
	ns := segtest.NewDNS(t,
		"limits.test. 300 IN MX 10 mx1.limits.test.",
		"limits.test. 300 IN MX 10 mx2.limits.test.",
		"mx1.limits.test. 300 IN A 127.0.31.2",
		"mx2.limits.test. 300 IN A 127.0.31.3",
	)
	a := segtest.New(t, "dnsconfig setup --servers "+ns,
		"destconfig new limits.test --max_host_concurrency=2 --limit_type=MXIP --max_messages_per_connection=3")
	a.Start()
	const total = 16
	sendEach(t, a, "limits.test", total)
	segtest.Wait(t, 30*time.Second, "two sessions held at each MX", func() bool { return mx1.InData() == 2 && mx2.InData() == 2 })
	a.WaitLog(t, "Maximum outbound connections (2) reached for MXIP 127.0.31.2 (limits.test)", 10*time.Second)
	a.WaitLog(t, "Maximum outbound connections (2) reached for MXIP 127.0.31.3 (limits.test)", 10*time.Second)
	detail := a.MustCli("destconfig detail limits.test")
	for _, want := range []string{"Current connections:          4\n", "127.0.31.2: 2 connections\n", "127.0.31.3: 2 connections\n"} {
		if !strings.Contains(detail, want) {
			t.Errorf("destconfig detail lacks %q:\n%s", want, detail)
		}
	}
	if mx1.Open() != 2 || mx2.Open() != 2 {
		t.Errorf("open connections %d and %d, want 2 at each address", mx1.Open(), mx2.Open())
	}
	release1()
	release2()
	segtest.Wait(t, 60*time.Second, "every message delivered", func() bool { return mx1.Count()+mx2.Count() == total })
	for i, s := range []*segtest.Sink{mx1, mx2} {
		if s.MaxConns() > 2 {
			t.Errorf("MX %d saw %d connections at once, limit 2", i+1, s.MaxConns())
		}
		for c, n := range perConn(s) {
			if n > 3 {
				t.Errorf("MX %d connection %d carried %d messages, max_messages_per_connection 3", i+1, c, n)
			}
		}
	}
	t.Logf("MX 1: %d messages on %d connections, at most %d at once; MX 2: %d on %d, at most %d",
		mx1.Count(), mx1.Conns(), mx1.MaxConns(), mx2.Count(), mx2.Conns(), mx2.MaxConns())
	a.Stop()
}

// TestDestLimitsPerDomainAndSource: limit_type host holds the domain to
// max_host_concurrency; with limit_apply VG and two source addresses
// each source has the limit, and the receiver sees the connections come
// from those addresses.
func TestDestLimitsPerDomainAndSource(t *testing.T) {
	dom := segtest.NewSink(t, segtest.SinkOptions{})
	vg := segtest.NewSink(t, segtest.SinkOptions{})
	releaseDom, releaseVG := dom.HoldData(), vg.HoldData()
	a := segtest.New(t,
		"smtproutes new dom.test "+dom.Addr(),
		"smtproutes new vg.test "+vg.Addr(),
		"destconfig new dom.test --max_host_concurrency=2",
		"destconfig new vg.test --max_host_concurrency=1 --limit_apply=VG --source_ip=127.0.31.7,127.0.31.8")
	a.Start()
	sendEach(t, a, "dom.test", 8)
	sendEach(t, a, "vg.test", 6)
	segtest.Wait(t, 30*time.Second, "the sessions held", func() bool { return dom.InData() == 2 && vg.InData() == 2 })
	a.WaitLog(t, "Maximum outbound connections (2) reached for dom.test", 10*time.Second)
	a.WaitLog(t, "Maximum outbound connections (1) reached for vg.test interface 127.0.31.", 10*time.Second)
	if peers := slices.Sorted(slices.Values(vg.Peers())); strings.Join(peers, " ") != "127.0.31.7 127.0.31.8" {
		t.Errorf("vg.test connections came from %q, want one from each source_ip", peers)
	}
	if n := a.CountLog("New SMTP DCID", "interface 127.0.31.7 address 127.0.0.1"); n != 1 {
		t.Errorf("%d DCID lines from 127.0.31.7", n)
	}
	detail := a.MustCli("destconfig detail vg.test")
	for _, want := range []string{"Source IP addresses:          127.0.31.7, 127.0.31.8\n", "all MX addresses from 127.0.31.7: 1 connections\n"} {
		if !strings.Contains(detail, want) {
			t.Errorf("destconfig detail lacks %q:\n%s", want, detail)
		}
	}
	releaseDom()
	releaseVG()
	segtest.Wait(t, 60*time.Second, "every message delivered", func() bool { return dom.Count() == 8 && vg.Count() == 6 })
	if dom.MaxConns() != 2 {
		t.Errorf("dom.test: %d connections at once, want the limit, 2", dom.MaxConns())
	}
	if vg.MaxConns() != 2 {
		t.Errorf("vg.test: %d connections at once, want 1 from each of 2 sources", vg.MaxConns())
	}
	for _, p := range vg.Peers() {
		if p != "127.0.31.7" && p != "127.0.31.8" {
			t.Errorf("a vg.test connection came from %s", p)
		}
	}
	a.Stop()
}

// TestDestRecipientLimit: recipient_limit 3 per recipient_minutes 1.
// Five recipients: three go at once, the others stay queued (never
// bounced) and go when the minute has passed. Takes a minute of real
// time: the window is the appliance's clock.
func TestDestRecipientLimit(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new rate.test "+sink.Addr(),
		"destconfig new rate.test --recipient_limit=3 --recipient_minutes=1")
	a.Start()
	rcpts := func() int {
		n := 0
		for _, m := range sink.Messages() {
			n += len(m.Rcpts)
		}
		return n
	}
	var to []string
	for i := range 4 {
		to = append(to, fmt.Sprintf("user%d@rate.test", i))
	}
	if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "sender@client.test", to, plainMessage(to[0], "rate", "rate.1@client.test")); err != nil {
		t.Fatal(err)
	}
	sendEach(t, a, "rate.test", 1) // user0 once more, in a message of its own
	a.WaitLog(t, "Delivery to rate.test throttled by recipient limit", 20*time.Second)
	segtest.Wait(t, 10*time.Second, "the first window's recipients", func() bool { return rcpts() == 3 })
	if hs := a.MustCli("hoststatus rate.test"); !regexp.MustCompile(`(?m)^ +3  Recipients In Limit Window \(3 per 1 minutes\)$`).MatchString(hs) ||
		!regexp.MustCompile(`(?m)^ +2  Active Recipients$`).MatchString(hs) {
		t.Errorf("hoststatus:\n%s", hs)
	}
	if d := a.MustCli("destconfig detail rate.test"); !strings.Contains(d, "Recipient limit window:       3 of 3 recipients in the last 1 minutes\n") ||
		!strings.Contains(d, "Queued recipients:            2\n") {
		t.Errorf("destconfig detail:\n%s", d)
	}
	first := sink.Messages()[0].At
	a.WaitLog(t, "Recipient limit expired; resume delivery to rate.test", 90*time.Second)
	segtest.Wait(t, 20*time.Second, "every recipient delivered", func() bool { return rcpts() == 5 })
	msgs := sink.Messages()
	var early int
	for _, m := range msgs {
		if m.At.Sub(first) < 59*time.Second {
			early += len(m.Rcpts)
		}
	}
	if early != 3 {
		t.Errorf("%d recipients within the first minute, limit 3 (%d messages)", early, len(msgs))
	}
	if n := a.CountLog("Bounced:"); n != 0 {
		t.Errorf("%d bounces: held recipients must stay queued", n)
	}
	a.Stop()
}
