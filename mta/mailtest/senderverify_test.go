package mailtest

import (
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// mailFromReply connects from localIP, says EHLO and MAIL FROM:<from>,
// and returns the reply to MAIL as one line ("553 #5.1.8 ...").
func mailFromReply(t *testing.T, addr, localIP, from string) string {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	c := textproto.NewConn(nc)
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Fatalf("banner: %v", err)
	}
	if _, err := c.Cmd("EHLO client.test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadResponse(250); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	if _, err := c.Cmd("MAIL FROM:<%s>", from); err != nil {
		t.Fatal(err)
	}
	code, msg, err := c.ReadResponse(0)
	if err != nil && code == 0 {
		t.Fatalf("MAIL FROM:<%s>: %v", from, err)
	}
	c.Cmd("QUIT")
	return fmt.Sprintf("%d %s", code, msg)
}

// senderVerifyDNS is a DNS server with one domain per class: MX, A only,
// AAAA only, NXDOMAIN (any name not listed), a name with no address or MX
// (NODATA), SERVFAIL and silence.
func senderVerifyDNS(t *testing.T) string {
	return segtest.NewFailingDNS(t, []string{"servfail.test"}, []string{"silent.test"},
		"mx.test. 300 IN MX 10 mx1.mx.test.",
		"mx1.mx.test. 300 IN A 127.0.0.42",
		"a.test. 300 IN A 127.0.0.42",
		"aaaa.test. 300 IN AAAA ::1",
		"txtonly.test. 300 IN TXT \"no mail here\"",
		"good.sub.excepted.test. 300 IN A 127.0.0.42",
	)
}

// TestSenderVerification: with sender_verification on, each class of bad
// envelope sender gets its policy's code and text at MAIL FROM, a domain
// with an MX, an A or an AAAA record and <> are accepted, and a commit
// that turns verification off takes effect on the next connection.
func TestSenderVerification(t *testing.T) {
	a := segtest.New(t,
		"dnsconfig setup --servers "+senderVerifyDNS(t),
		"listenerconfig edit IncomingMail hostaccess default --sender_verification=on")
	a.Start()
	addr := a.SMTPAddr()
	const ip = "127.0.0.5" // ALL: $ACCEPTED, the listener defaults
	cases := []struct{ from, want string }{
		{"", "250 2.0.0 Roger, accepting mail from <>"},
		{"u@mx.test", "250 2.0.0 Roger, accepting mail from <u@mx.test>"},
		{"u@a.test", "250 2.0.0 Roger, accepting mail from <u@a.test>"},
		{"u@aaaa.test", "250 2.0.0 Roger, accepting mail from <u@aaaa.test>"},
		{"u@nx.test", "553 #5.1.8 Domain of sender address <u@nx.test> does not exist"},
		{"u@txtonly.test", "553 #5.1.8 Domain of sender address <u@txtonly.test> does not exist"},
		{"u@servfail.test", "451 #4.1.8 Domain of sender address <u@servfail.test> does not resolve"},
		{"u@localhost", "553 #5.1.7 Malformed sender address <u@localhost>"},
		{"u@[127.0.0.1]", "553 #5.1.7 Malformed sender address <u@[127.0.0.1]>"},
		{"u@1.2.3.4", "553 #5.1.7 Malformed sender address <u@1.2.3.4>"},
		// Bad syntax stays the parser's 501, verification or not.
		{"u@-bad-.test", "501"},
	}
	for _, c := range cases {
		if got := mailFromReply(t, addr, ip, c.from); !strings.HasPrefix(got, c.want) {
			t.Errorf("MAIL FROM:<%s>: %q, want %q", c.from, got, c.want)
		}
	}
	for _, l := range []string{
		"Sender Verification: <u@nx.test> domain does not exist (lookup nx.test (A/AAAA): NXDomain)",
		"Sender Verification: <u@servfail.test> temporary DNS failure (lookup servfail.test (MX): SERVFAIL)",
		"Sender Verification: <u@localhost> malformed",
	} {
		a.WaitLog(t, l, 10*time.Second)
	}

	// Codes and texts are the policy's.
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --sender_nxdomain_code=550 --sender_nxdomain_text=No_such_domain ; commit nxdomain reply")
	segtest.Wait(t, 10*time.Second, "the new nxdomain reply", func() bool {
		return mailFromReply(t, addr, ip, "u@nx.test") == "550 5.1.8 No_such_domain"
	})

	// Off: the next connection is not verified.
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --sender_verification=off ; commit verification off")
	segtest.Wait(t, 10*time.Second, "an unverified sender to be accepted", func() bool {
		return strings.HasPrefix(mailFromReply(t, addr, ip, "u@nx.test"), "250 ")
	})
	if got := mailFromReply(t, addr, ip, "u@localhost"); !strings.HasPrefix(got, "250 ") {
		t.Errorf("verification off: MAIL FROM:<u@localhost>: %q", got)
	}
}

// TestSenderVerificationTimeout: a DNS server that never answers makes
// the sender's MAIL wait for the lookup deadline and then get the
// temporary code, while other clients are served meanwhile.
func TestSenderVerificationTimeout(t *testing.T) {
	a := segtest.New(t,
		"dnsconfig setup --servers "+senderVerifyDNS(t),
		"listenerconfig edit IncomingMail hostaccess default --sender_verification=on")
	a.Start()
	addr := a.SMTPAddr()
	start := time.Now()
	slow := make(chan string, 1)
	go func() { slow <- mailFromReply(t, addr, "127.0.0.6", "u@silent.test") }()
	// The slow client is connected (its MAIL follows at once).
	a.WaitLog(t, "address 127.0.0.6 ", 10*time.Second)
	for i := 0; i < 3; i++ {
		if got := mailFromReply(t, addr, "127.0.0.7", "u@mx.test"); !strings.HasPrefix(got, "250 ") {
			t.Errorf("other client during the silent lookup: %q", got)
		}
	}
	select {
	case got := <-slow:
		t.Fatalf("the silent lookup answered before the other clients were served: %q", got)
	default:
	}
	other := time.Since(start)
	got := <-slow
	waited := time.Since(start)
	if got != "451 #4.1.8 Domain of sender address <u@silent.test> does not resolve" {
		t.Errorf("silent DNS: %q", got)
	}
	// The resolver gives up on a server after 5 s; the sender
	// verification deadline is 10 s.
	if waited < 4*time.Second || waited > 15*time.Second {
		t.Errorf("silent DNS: answered after %v, want the 5 s query timeout (10 s deadline)", waited)
	}
	t.Logf("other clients served within %v; the silent lookup answered after %v", other, waited)
	a.WaitLog(t, "Sender Verification: <u@silent.test> temporary DNS failure (lookup silent.test (MX): timeout", 10*time.Second)
}

// TestSenderVerificationExceptions: with the exception table on, ACCEPT
// lets a sender of a domain that does not exist in, REJECT refuses one
// whose domain resolves (with the entry's reply or the default), and the
// most specific entry wins; with the table off, the entries do nothing.
func TestSenderVerificationExceptions(t *testing.T) {
	a := segtest.New(t,
		"dnsconfig setup --servers "+senderVerifyDNS(t),
		"listenerconfig edit IncomingMail hostaccess default --sender_verification=on --sender_verification_exceptions=on",
		"exceptionconfig new @nx.test ACCEPT",
		"exceptionconfig new boss@mx.test REJECT --code 550 --text Not_you",
		"exceptionconfig new @a.test REJECT",
		"exceptionconfig new @.excepted.test REJECT",
		"exceptionconfig new ok@good.sub.excepted.test ACCEPT")
	a.Start()
	addr := a.SMTPAddr()
	const ip = "127.0.0.8"
	cases := []struct{ from, want string }{
		{"u@nx.test", "250 "},
		{"boss@mx.test", "550 5.7.1 Not_you"},
		{"other@mx.test", "250 "},
		{"u@a.test", "553 #5.7.1 Envelope sender <u@a.test> rejected"},
		{"u@good.sub.excepted.test", "553 #5.7.1 Envelope sender <u@good.sub.excepted.test> rejected"},
		{"ok@good.sub.excepted.test", "250 "},
		{"u@other-nx.test", "553 #5.1.8 "},
	}
	for _, c := range cases {
		if got := mailFromReply(t, addr, ip, c.from); !strings.HasPrefix(got, c.want) {
			t.Errorf("MAIL FROM:<%s>: %q, want %q", c.from, got, c.want)
		}
	}
	a.WaitLog(t, "Sender Verification: <u@a.test> rejected by the exception table (@a.test)", 10*time.Second)
	out := a.MustCli("exceptionconfig print")
	for _, w := range []string{"@nx.test ACCEPT", "boss@mx.test REJECT 550 \"Not_you\"", "@.excepted.test REJECT"} {
		if !strings.Contains(out, w) {
			t.Errorf("exceptionconfig print lacks %q:\n%s", w, out)
		}
	}

	// The table off: the entries are not consulted.
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --sender_verification_exceptions=off ; commit exceptions off")
	segtest.Wait(t, 10*time.Second, "the exception table to be ignored", func() bool {
		return strings.HasPrefix(mailFromReply(t, addr, ip, "u@nx.test"), "553 ")
	})
	if got := mailFromReply(t, addr, ip, "u@a.test"); !strings.HasPrefix(got, "250 ") {
		t.Errorf("table off: MAIL FROM:<u@a.test>: %q", got)
	}
	// Deleting an entry takes effect on the next connection too.
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --sender_verification_exceptions=on ; exceptionconfig delete @a.test ; commit delete entry")
	segtest.Wait(t, 10*time.Second, "the deleted entry to stop refusing", func() bool {
		return strings.HasPrefix(mailFromReply(t, addr, ip, "u@nx.test"), "250 ")
	})
	if got := mailFromReply(t, addr, ip, "u@a.test"); !strings.HasPrefix(got, "250 ") {
		t.Errorf("entry deleted: MAIL FROM:<u@a.test>: %q", got)
	}
}
