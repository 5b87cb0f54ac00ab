package delivery

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
	"seg/mta/counters"
	"seg/mta/dns"
	"seg/mta/queue"
	"seg/store"
)

func TestDeliverViaSMTPRoute(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	h.start()
	mid := h.send("alice@src.test", "bob@example.test", "carol@Example.TEST")
	h.waitFinished(mid)

	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server got %d messages, want 1 transaction", len(got))
	}
	if got[0].from != "alice@src.test" || !slices.Equal(got[0].rcpts, []string{"bob@example.test", "carol@Example.TEST"}) {
		t.Errorf("envelope = %q %q", got[0].from, got[0].rcpts)
	}
	if !strings.Contains(got[0].data, "hello") {
		t.Errorf("body = %q", got[0].data)
	}
	h.wait("DCID 1 close", func() bool { return h.logged("Info: DCID 1 close") })
	h.mustLog(
		fmt.Sprintf("Info: New SMTP DCID 1 interface 127.0.0.1 address 127.0.0.1 port %d", srv.port),
		fmt.Sprintf("Info: Delivery start DCID 1 MID %d to RID [0, 1]", mid),
		fmt.Sprintf("Info: Message done DCID 1 MID %d to RID [0, 1]", mid),
		fmt.Sprintf("Info: MID %d RID [0, 1] Response '2.0.0 OK: queued'", mid),
		fmt.Sprintf("Info: Message finished MID %d done", mid),
	)
	for rid := range 2 {
		if st := h.q.state(mid, rid); st != queue.Delivered {
			t.Errorf("RID %d state %d, want Delivered", rid, st)
		}
	}
	hs := h.host("example.test")
	if hs.Delivered != 2 || hs.Active() != 0 || hs.ConnOut != 0 || hs.Down {
		t.Errorf("host counters = %+v", hs)
	}
	if !slices.Equal(hs.Route, []string{srv.addr}) {
		t.Errorf("route gauge = %q", hs.Route)
	}
}

func TestDeliverViaMX(t *testing.T) {
	srv := newSMTPServer(t, nil)
	ns := segtest.NewDNS(t,
		"mx.test. 300 IN MX 10 mx1.mx.test.",
		"mx1.mx.test. 300 IN A 127.0.0.1",
	)
	h := newHarness(t, nil)
	res, err := dns.NewClient(dns.Options{Servers: []string{ns}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h.res = res
	var nd net.Dialer
	h.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		if port != "25" || host != "127.0.0.1" {
			return nil, fmt.Errorf("unexpected dial to %s", addr)
		}
		return nd.DialContext(ctx, network, srv.addr)
	}
	h.start()
	mid := h.send("alice@src.test", "bob@mx.test")
	h.waitFinished(mid)
	if got := srv.received(); len(got) != 1 || got[0].rcpts[0] != "bob@mx.test" {
		t.Fatalf("server got %+v", got)
	}
	h.mustLog("Info: New SMTP DCID 1 interface 127.0.0.1 address 127.0.0.1 port 25")
	if r := h.host("mx.test").Route; !slices.Equal(r, []string{"mx1.mx.test"}) {
		t.Errorf("route gauge = %q", r)
	}
}

func TestSoftBounceThenDelivered(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	tries := 0
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(string) error {
			tries++
			if tries == 1 {
				return smtpErr(451, smtp.NoEnhancedCode, "Try later")
			}
			return nil
		}
	})
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:")) == 1 })
	retry := t0.Add(60 * time.Second)
	h.mustLog(
		fmt.Sprintf("Info: Delayed: DCID 1 MID %d From: <alice@src.test> To: <bob@example.test> RID 0 - 4.1.0 - Unknown address error ('451', ['Try later'])", mid),
		fmt.Sprintf("Info: Message %d to RID [0] pending till %s", mid, retry.Local().Format(ctimeLayout)),
	)
	m, _ := h.q.Get(mid)
	if rc := m.Rcpts[0]; rc.Attempts != 1 || !rc.NextAttempt.Equal(retry) || !strings.Contains(rc.LastError, "451") {
		t.Errorf("after soft bounce: %+v", rc)
	}
	if hs := h.host("example.test"); hs.SoftBounced != 1 || hs.Attempted != 1 || hs.Unattempted != 0 {
		t.Errorf("host counters = %+v", hs)
	}
	// Not due yet: a kick changes nothing.
	h.tick(59 * time.Second)
	if n, _, _, _ := srv.stats(); n != 1 {
		t.Fatalf("retried early: %d connections", n)
	}
	h.tick(time.Second)
	h.waitFinished(mid)
	h.mustLog(fmt.Sprintf("Info: Message done DCID 2 MID %d to RID [0]", mid))
	if hs := h.host("example.test"); hs.Delivered != 1 || hs.Active() != 0 {
		t.Errorf("host counters = %+v", hs)
	}
}

func TestHardBounceSendsDSN(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, edits(viaRoute("example.test", srv), viaRoute("src.test", srv)))
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(to string) error {
			if strings.HasPrefix(to, "bad@") {
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "No such user")
			}
			return nil
		}
	})
	h.start()
	body := "From: alice@src.test\r\nSubject: quarterly report\r\nMessage-ID: <orig@src.test>\r\n\r\nnumbers\r\n"
	mid := h.sendBody("alice@src.test", body, "good@example.test", "bad@example.test")
	h.waitFinished(mid)
	if st := h.q.state(mid, 0); st != queue.Delivered {
		t.Errorf("good: state %d", st)
	}
	if st := h.q.state(mid, 1); st != queue.HardBounced {
		t.Errorf("bad: state %d", st)
	}
	h.mustLog(
		fmt.Sprintf("Info: Message done DCID 1 MID %d to RID [0]", mid),
		fmt.Sprintf("Info: Bounced: DCID 1 MID %d From: <alice@src.test> To: <bad@example.test> RID 1 - 5.1.1 - Bad destination mailbox address ('550', ['5.1.1 No such user'])", mid),
	)
	hs := h.host("example.test")
	if hs.Delivered != 1 || hs.HardBounced != 1 || hs.HardByKind[counters.Hard5XX] != 1 {
		t.Errorf("host counters = %+v", hs)
	}
	b := h.q.bounces()
	if len(b) != 1 {
		t.Fatalf("%d DSNs queued, want 1", len(b))
	}
	dsnMID := b[0].MID
	if b[0].From != "" || b[0].OrigMID != mid || b[0].Rcpts[0].Addr != "alice@src.test" {
		t.Errorf("DSN envelope = %+v", b[0])
	}
	h.mustLog(fmt.Sprintf("Info: MID %d was generated for bounce of MID %d", dsnMID, mid))
	if s := h.ctr.Snapshot(); s.Uptime[counters.GenBounceRecipients] != 1 {
		t.Errorf("Gen. Bounce Recipients = %d", s.Uptime[counters.GenBounceRecipients])
	}

	// The DSN goes out too, with the null sender, and parses as RFC 3464.
	h.waitFinished(dsnMID)
	var dsnMsg *received
	for _, r := range srv.received() {
		if r.from == "" {
			dsnMsg = &r
		}
	}
	if dsnMsg == nil || !slices.Equal(dsnMsg.rcpts, []string{"alice@src.test"}) {
		t.Fatalf("DSN not delivered to the sender: %+v", srv.received())
	}
	msg, err := mail.ReadMessage(strings.NewReader(dsnMsg.data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("Content-Type = %q", msg.Header.Get("Content-Type"))
	}
	if msg.Header.Get("Subject") != "Delivery Status Notification (Failure)" {
		t.Errorf("Subject = %q", msg.Header.Get("Subject"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var status, headers string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		switch p.Header.Get("Content-Type") {
		case "message/delivery-status":
			status = string(b)
		case "text/rfc822-headers":
			headers = string(b)
		}
	}
	for _, want := range []string{"Reporting-MTA: dns; seg.test", "Final-Recipient: rfc822; bad@example.test", "Action: failed", "Status: 5.1.1", "Diagnostic-Code: smtp; 550 5.1.1 No such user"} {
		if !strings.Contains(status, want) {
			t.Errorf("delivery-status lacks %q:\n%s", want, status)
		}
	}
	if strings.Contains(status, "good@example.test") {
		t.Error("the DSN reports the delivered recipient")
	}
	if !strings.Contains(headers, "Subject: quarterly report") || strings.Contains(headers, "numbers") {
		t.Errorf("original headers part = %q", headers)
	}
}

func TestNoDSNForNullSender(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(string) error { return smtpErr(550, smtp.NoEnhancedCode, "Relaying denied") }
	})
	h.start()
	mid := h.send("", "bad@example.test")
	h.waitFinished(mid)
	h.mustLog(fmt.Sprintf("Info: Bounced: DCID 1 MID %d From: <> To: <bad@example.test> RID 0 - 5.1.0 - Unknown address error ('550', ['Relaying denied'])", mid))
	if b := h.q.bounces(); len(b) != 0 {
		t.Fatalf("a DSN was queued for a <> sender: %+v", b)
	}
}

func TestDataRejection(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	srv.set(func(s *smtpServer) {
		s.dataErr = func(int) error { return smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "Message refused") }
	})
	h.start()
	mid := h.send("alice@src.test", "a@example.test", "b@example.test")
	h.waitFinished(mid)
	for rid := range 2 {
		if st := h.q.state(mid, rid); st != queue.HardBounced {
			t.Errorf("RID %d state %d, want HardBounced", rid, st)
		}
	}
	// One DSN for both recipients.
	b := h.q.bounces()
	if len(b) != 1 {
		t.Fatalf("%d DSNs, want 1", len(b))
	}
	body := h.q.body(b[0].MID)
	if !strings.Contains(body, "a@example.test") || !strings.Contains(body, "b@example.test") {
		t.Errorf("DSN does not name both recipients:\n%s", body)
	}
}

func TestConnectionReuse(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, edits(viaRoute("example.test", srv),
		destParams("example.test", store.Params{"max_messages_per_connection": "2", "max_host_concurrency": "1"})))
	// Queue five messages before the scheduler runs, so all are due at once.
	var mids []int64
	for i := range 5 {
		mids = append(mids, h.send("alice@src.test", fmt.Sprintf("r%d@example.test", i)))
	}
	h.start(h.q.Messages()...)
	for _, mid := range mids {
		h.waitFinished(mid)
	}
	conns, _, top, _ := srv.stats()
	if conns != 3 || top != 1 {
		t.Errorf("connections = %d (max simultaneous %d), want 3 (1) for 5 messages at 2 per connection", conns, top)
	}
	per := map[int]int{}
	for _, r := range srv.received() {
		per[r.conn]++
	}
	for c, n := range per {
		if n > 2 {
			t.Errorf("connection %d carried %d messages, limit 2", c, n)
		}
	}
	if n := len(h.lines("Delivery start DCID 1 ")); n != 2 {
		t.Errorf("DCID 1 carried %d messages, want 2", n)
	}
	h.wait("all connections closed", func() bool { return len(h.lines(" close")) == 3 })
	if hs := h.host("example.test"); hs.ConnOut != 0 || hs.Delivered != 5 {
		t.Errorf("host counters = %+v", hs)
	}
}

func TestMaxHostConcurrency(t *testing.T) {
	srv := newSMTPServer(t, nil)
	gate := make(chan struct{})
	srv.set(func(s *smtpServer) { s.gate = gate })
	t.Cleanup(func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	})
	h := newHarness(t, edits(viaRoute("example.test", srv),
		destParams("example.test", store.Params{"max_host_concurrency": "2", "max_messages_per_connection": "1"})))
	var mids []int64
	for i := range 6 {
		mids = append(mids, h.send("alice@src.test", fmt.Sprintf("r%d@example.test", i)))
	}
	h.start(h.q.Messages()...)
	h.wait("two deliveries in DATA", func() bool { _, _, _, in := srv.stats(); return in == 2 })
	// The scheduler started everything it could in one pass: with six
	// messages due, a third connection would exist by now if allowed.
	if conns, cur, _, _ := srv.stats(); conns != 2 || cur != 2 {
		t.Fatalf("connections = %d (%d open), want 2", conns, cur)
	}
	if w := h.x.WorkQueue(); w.Connections != 2 || w.Messages != 6 || w.Recipients != 6 {
		t.Errorf("workqueue = %+v", w)
	}
	if hs := h.host("example.test"); hs.ConnOut != 2 || hs.Unattempted != 4 || hs.Attempted != 2 {
		t.Errorf("gauges = %+v", hs)
	}
	close(gate)
	for _, mid := range mids {
		h.waitFinished(mid)
	}
	if _, _, top, _ := srv.stats(); top > 2 {
		t.Errorf("%d simultaneous connections, limit 2", top)
	}
	if conns, _, _, _ := srv.stats(); conns != 6 {
		t.Errorf("%d connections for 6 messages at 1 per connection", conns)
	}
}

func TestExpiryAfterQueueLifetime(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, func(c *store.Config) {
		viaRoute("example.test", srv)(c)
		c.Bounce[0].Params["max_queue_lifetime"] = "300"
		viaRoute("src.test", srv)(c)
	})
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(to string) error {
			if to == "alice@src.test" {
				return nil
			}
			return smtpErr(451, smtp.EnhancedCode{4, 3, 2}, "try again later")
		}
	})
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	delayed := func(n int) {
		t.Helper()
		h.waitIdle(fmt.Sprintf("%d Delayed lines", n), func() bool { return len(h.lines("Delayed:", fmt.Sprintf("MID %d ", mid))) == n })
	}
	delayed(1) // t0, retry at +60
	h.tick(60 * time.Second)
	delayed(2) // t0+60, retry at +120 -> t0+180
	h.tick(120 * time.Second)
	delayed(3) // t0+180, backoff 240 would pass the lifetime: retry at t0+300
	m, _ := h.q.Get(mid)
	if want := t0.Add(300 * time.Second); !m.Rcpts[0].NextAttempt.Equal(want) {
		t.Fatalf("third retry at %v, want the expiry time %v", m.Rcpts[0].NextAttempt, want)
	}
	h.tick(120 * time.Second)
	h.waitFinished(mid)
	if st := h.q.state(mid, 0); st != queue.Expired {
		t.Fatalf("state %d, want Expired", st)
	}
	h.mustLog(
		fmt.Sprintf("Info: Delayed: DCID 1 MID %d From: <alice@src.test> To: <bob@example.test> RID 0 - 4.3.2 - Not accepting messages at this time ('451', ['4.3.2 try again later'])", mid),
		fmt.Sprintf("Info: Bounced: DCID 0 MID %d From: <alice@src.test> To: <bob@example.test> RID 0 - 5.4.7 - Delivery expired (message too old) ('000', ['timeout'])", mid),
	)
	if n, _, _, _ := srv.stats(); n < 3 {
		t.Errorf("%d connections, want 3 attempts", n)
	}
	hs := h.host("example.test")
	if hs.SoftBounced != 3 || hs.HardByKind[counters.HardExpired] != 1 || hs.Active() != 0 {
		t.Errorf("host counters = %+v", hs)
	}
	if b := h.q.bounces(); len(b) != 1 || b[0].Rcpts[0].Addr != "alice@src.test" {
		t.Fatalf("DSNs = %+v", b)
	}
	body := h.q.body(h.q.bounces()[0].MID)
	if !strings.Contains(body, "Status: 5.4.7") || !strings.Contains(body, "try again later") || !strings.Contains(body, "Subject: test") {
		t.Errorf("expiry DSN:\n%s", body)
	}
}

func TestMaxRetries(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, func(c *store.Config) {
		viaRoute("example.test", srv)(c)
		c.Bounce[0].Params["max_retries"] = "1"
		c.Bounce[0].Params["send_bounces"] = "off"
	})
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(string) error { return smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "Mailbox full") }
	})
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	h.waitIdle("first attempt", func() bool { return len(h.lines("Delayed:")) == 1 })
	h.tick(60 * time.Second)
	h.waitFinished(mid)
	if st := h.q.state(mid, 0); st != queue.Expired {
		t.Fatalf("state %d after the only retry, want Expired", st)
	}
	if n := len(h.lines("Delayed:")); n != 2 {
		t.Errorf("%d Delayed lines, want 2 (first attempt and one retry)", n)
	}
	if b := h.q.bounces(); len(b) != 0 {
		t.Errorf("send_bounces off, yet %d DSNs", len(b))
	}
}

func TestDNSFailures(t *testing.T) {
	h := newHarness(t, nil)
	h.fake.MX = map[string][]dns.MX{"norecords.test": {{Host: "mx.norecords.test", Pref: 10}}, "null.test": {{Host: ".", Pref: 0}}}
	h.fake.Errors = map[string]error{"broken.test": dns.TempFail("broken.test", "MX")}
	h.start()
	nx := h.send("alice@src.test", "bob@nx.test")
	tmp := h.send("alice@src.test", "bob@broken.test")
	nomx := h.send("alice@src.test", "bob@norecords.test")
	null := h.send("alice@src.test", "bob@null.test")
	h.waitFinished(nx)
	h.waitFinished(nomx)
	h.waitFinished(null)
	h.waitIdle("temporary failure", func() bool { return len(h.lines("Delayed:", fmt.Sprintf("MID %d ", tmp))) == 1 })
	h.mustLog(
		fmt.Sprintf("Info: Bounced: DCID 0 MID %d From: <alice@src.test> To: <bob@nx.test> RID 0 - 5.1.2 - Bad destination host ('000', ['DNS Hard Error looking up nx.test (MX):  NXDomain'])", nx),
		fmt.Sprintf("Info: Bounced: DCID 0 MID %d From: <alice@src.test> To: <bob@norecords.test> RID 0 - 5.1.2 - Bad destination host ('000', ['DNS Hard Error looking up mx.norecords.test (A/AAAA):  NXDomain'])", nomx),
		fmt.Sprintf("Info: Bounced: DCID 0 MID %d From: <alice@src.test> To: <bob@null.test> RID 0 - 5.1.10 - Recipient address has null MX ('000', ['Domain null.test does not accept mail (null MX)'])", null),
		fmt.Sprintf("Info: Delayed: DCID 0 MID %d From: <alice@src.test> To: <bob@broken.test> RID 0 - 4.4.3 - Directory server failure ('000', ['DNS Temporary Failure looking up broken.test (MX): SERVFAIL'])", tmp),
		"Info: DNS Temporary Failure broken.test MX - SERVFAIL",
		"Info: DNS Error nx.test MX - NXDomain",
	)
	if hs := h.host("nx.test"); hs.HardByKind[counters.HardDNS] != 1 {
		t.Errorf("nx.test counters = %+v", hs)
	}
	if len(h.q.bounces()) != 3 {
		t.Errorf("%d DSNs, want 3", len(h.q.bounces()))
	}
}

func TestImplicitMX(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, nil)
	// No MX, an A record: the domain is its own mail host (RFC 5321 5.1).
	h.fake.IP = map[string][]netip.Addr{"plain.test": {ap("127.0.0.1")}}
	var nd net.Dialer
	h.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nd.DialContext(ctx, network, srv.addr)
	}
	h.start()
	mid := h.send("alice@src.test", "bob@plain.test")
	h.waitFinished(mid)
	if len(srv.received()) != 1 {
		t.Fatal("not delivered to the implicit MX")
	}
	if q := h.fake.Queries(); !slices.Contains(q, "MX plain.test") || !slices.Contains(q, "A/AAAA plain.test") {
		t.Errorf("queries = %q", q)
	}
}

func TestDevNullRoute(t *testing.T) {
	h := newHarness(t, func(c *store.Config) {
		c.System.Routes = []store.SMTPRoute{{Domain: "ALL", Hosts: []string{"/dev/null"}}}
	})
	h.start()
	mid := h.send("alice@src.test", "bob@anywhere.test")
	h.waitFinished(mid)
	h.mustLog(fmt.Sprintf("Info: Message done DCID 0 MID %d to RID [0] (discarded by SMTP route to /dev/null)", mid))
	if st := h.q.state(mid, 0); st != queue.Delivered {
		t.Errorf("state %d", st)
	}
	if len(h.fake.Queries()) != 0 {
		t.Errorf("DNS asked for an smtproute: %q", h.fake.Queries())
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	h := newHarness(t, func(c *store.Config) {
		c.System.Routes = []store.SMTPRoute{{Domain: "example.test", Hosts: []string{addr}}}
	})
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:")) == 1 })
	// The short reason, and the address the connection left from (the
	// route's to 127.0.0.1 is 127.0.0.1), as AsyncOS writes them.
	want := fmt.Sprintf("Info: Connection Error: DCID 1 domain: example.test IP: 127.0.0.1 port: %d details: connection refused interface: 127.0.0.1 reason: connection refused", port)
	if lines := h.lines(want); len(lines) != 1 {
		t.Errorf("no Connection Error line:\n%s", strings.Join(h.log.Lines(), "\n"))
	}
	h.mustLog(fmt.Sprintf("Info: Delayed: DCID 1 MID %d From: <alice@src.test> To: <bob@example.test> RID 0 - 4.4.1 - No answer from host ('000', ['connection refused'])", mid))
	if hs := h.host("example.test"); !hs.Down || hs.SoftBounced != 1 || hs.PendingConn != 0 {
		t.Errorf("host = %+v", hs)
	}
}

func TestAttemptRecordedBeforeDial(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	var mu sync.Mutex
	var atDial []queue.Recipient
	var nd net.Dialer
	h.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		for _, m := range h.q.Messages() {
			atDial = append(atDial, m.Rcpts[0])
		}
		mu.Unlock()
		return nd.DialContext(ctx, network, addr)
	}
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	h.waitFinished(mid)
	mu.Lock()
	defer mu.Unlock()
	if len(atDial) != 1 || atDial[0].State != queue.Attempted || atDial[0].Attempts != 1 || !atDial[0].NextAttempt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("queue at dial time: %+v", atDial)
	}
}

func TestAttemptNotRecordedNoDial(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, viaRoute("example.test", srv))
	h.q.failAttempt = true
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	h.wait("warning", func() bool { return len(h.lines("Warning: MID", "could not record a delivery attempt")) == 1 })
	if n, _, _, _ := srv.stats(); n != 0 {
		t.Fatalf("dialled without a recorded attempt")
	}
	h.q.mu.Lock()
	h.q.failAttempt = false
	h.q.mu.Unlock()
	h.tick(time.Minute)
	h.waitFinished(mid)
}

func TestTLS(t *testing.T) {
	t.Run("opportunistic", func(t *testing.T) {
		srv := newSMTPServer(t, selfSigned(t))
		h := newHarness(t, edits(viaRoute("example.test", srv), destParams("example.test", store.Params{"use_tls": "on"})))
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitFinished(mid)
		if got := srv.received(); len(got) != 1 || !got[0].tls {
			t.Fatalf("not delivered over TLS: %+v", got)
		}
		if l := h.lines("DCID 1 TLS success protocol TLSv1.3 cipher TLS_"); len(l) != 1 {
			t.Errorf("no TLS success line:\n%s", strings.Join(h.log.Lines(), "\n"))
		}
		if hs := h.host("example.test"); hs.LastTLS != "success TLSv1.3" {
			t.Errorf("LastTLS = %q", hs.LastTLS)
		}
	})
	t.Run("opportunistic without STARTTLS", func(t *testing.T) {
		srv := newSMTPServer(t, nil)
		h := newHarness(t, edits(viaRoute("example.test", srv), destParams("example.test", store.Params{"use_tls": "on"})))
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitFinished(mid)
		if got := srv.received(); len(got) != 1 || got[0].tls {
			t.Fatalf("want plaintext delivery: %+v", got)
		}
	})
	t.Run("opportunistic handshake failure falls back", func(t *testing.T) {
		cfg := selfSigned(t)
		cfg.MaxVersion = tls.VersionTLS11 // below the client's minimum
		srv := newSMTPServer(t, cfg)
		h := newHarness(t, edits(viaRoute("example.test", srv), destParams("example.test", store.Params{"use_tls": "on"})))
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitFinished(mid)
		if got := srv.received(); len(got) != 1 || got[0].tls {
			t.Fatalf("want plaintext delivery after the failed handshake: %+v", got)
		}
		if len(h.lines("DCID 1 TLS failed: ")) != 1 {
			t.Errorf("no TLS failed line:\n%s", strings.Join(h.log.Lines(), "\n"))
		}
		h.mustLog("Info: DCID 1 close", fmt.Sprintf("Info: Message done DCID 2 MID %d to RID [0]", mid))
	})
	t.Run("required", func(t *testing.T) {
		srv := newSMTPServer(t, selfSigned(t))
		h := newHarness(t, edits(viaRoute("example.test", srv), destParams("example.test", store.Params{"use_tls": "required"})))
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitFinished(mid)
		if got := srv.received(); len(got) != 1 || !got[0].tls {
			t.Fatalf("not delivered over TLS: %+v", got)
		}
	})
	t.Run("required but not offered", func(t *testing.T) {
		srv := newSMTPServer(t, nil)
		h := newHarness(t, edits(viaRoute("example.test", srv), destParams("example.test", store.Params{"use_tls": "required"})))
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:")) == 1 })
		h.mustLog(
			"Info: DCID 1 IP 127.0.0.1 TLS was required but could not be successfully negotiated",
			fmt.Sprintf("Info: Delayed: DCID 1 MID %d From: <alice@src.test> To: <bob@example.test> RID 0 - 4.7.0 - Other or undefined security status ('000', ['TLS was required but the remote host did not offer STARTTLS'])", mid),
		)
		if len(srv.received()) != 0 {
			t.Fatal("delivered without TLS")
		}
	})
}

func TestCloseAbandonsInFlight(t *testing.T) {
	srv := newSMTPServer(t, nil)
	gate := make(chan struct{})
	srv.set(func(s *smtpServer) { s.gate = gate })
	defer close(gate)
	h := newHarness(t, viaRoute("example.test", srv))
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	h.wait("DATA", func() bool { _, _, _, in := srv.stats(); return in == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.x.Close(ctx); err == nil {
		t.Error("Close reported no abandonment")
	}
	m, _ := h.q.Get(mid)
	if rc := m.Rcpts[0]; rc.State != queue.Attempted || rc.Attempts != 1 {
		t.Fatalf("abandoned recipient = %+v, want Attempted", rc)
	}
	if n := len(h.lines("Delayed:")) + len(h.lines("Bounced:")); n != 0 {
		t.Errorf("abandonment logged as a bounce:\n%s", strings.Join(h.log.Lines(), "\n"))
	}
	h.mustLog("Info: DCID 1 close")

	// After a restart the recovered message is retried when due.
	srv.set(func(s *smtpServer) { s.gate = nil })
	h2 := newHarness(t, viaRoute("example.test", srv))
	h2.q, h2.clk = h.q, h.clk
	h2.start(h.q.Messages()...)
	h2.tick(time.Minute)
	h2.waitFinished(mid)
	if st := h.q.state(mid, 0); st != queue.Delivered {
		t.Errorf("state after restart %d", st)
	}
}

// giveUp is a retry policy like the Threat Defense Connector's for
// journal copies: no retries, no DSN.
type giveUp struct{}

func (giveUp) Permanent(*Failure) bool { return true }
func (giveUp) NextRetry(*queue.Message, int, time.Time) (time.Time, bool) {
	return time.Time{}, false
}
func (giveUp) Expired(*queue.Message, int, time.Time) bool { return false }
func (giveUp) Bounces() BounceSpec                         { return BounceSpec{} }
func (giveUp) Name() string                                { return "TDC" }

func TestRetryPolicySeam(t *testing.T) {
	srv := newSMTPServer(t, nil)
	// The pseudo-queue is routed like a domain, here by smtproutes.
	h := newHarness(t, viaRoute("the.tdc.queue", srv))
	srv.set(func(s *smtpServer) {
		s.rcptErr = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 0, 0}, "later") }
	})
	h.retry = func(cfg *store.Config, m *queue.Message, dest string) RetryPolicy {
		if m.Kind == queue.KindTDC {
			return giveUp{}
		}
		return NewProfilePolicy(cfg, dest)
	}
	h.start()
	m := &queue.Message{MID: h.q.NextMID(), Kind: queue.KindTDC, From: "bounce@seg.test", Host: "the.tdc.queue",
		Received: t0, Rcpts: []queue.Recipient{{RID: 0, Addr: "intake@example.test"}}}
	if err := h.q.Enqueue(m, []byte("Subject: copy\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	h.waitFinished(m.MID)
	if st := h.q.state(m.MID, 0); st != queue.HardBounced {
		t.Fatalf("state %d, want HardBounced on the first 4xx", st)
	}
	if b := h.q.bounces(); len(b) != 0 {
		t.Errorf("a journal copy sent a DSN")
	}
	if hs := h.host("the.tdc.queue"); hs.HardBounced != 1 || hs.SoftBounced != 0 {
		t.Errorf("the.tdc.queue counters = %+v", hs)
	}
}
