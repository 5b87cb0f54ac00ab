package mailtest

import (
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestHATDNSMembers drives sender groups whose members need the DNS
// (SPEC 4.1, 10) with a client per loopback address and a real DNS
// server:
//   - 127.0.0.5's PTR mx.good.test points back to it (FCrDNS);
//     127.0.0.6 claims the same name, which does not point back;
//     127.0.0.7 is host7.partner.test both ways;
//   - bl.test lists 127.0.0.8; the SBRS zones (bl.test -6, rep.test
//     -2.5, worse.test -5, good.test +3) score 127.0.0.6 -2.5,
//     127.0.0.9 -7.5, 127.0.0.10 +3.0, 127.0.0.11 0.0.
//
// Then commits change the sender groups, a policy's use_sb and the SBRS
// zones, each taking effect on the next connection.
func TestHATDNSMembers(t *testing.T) {
	dnsAddr := segtest.NewDNS(t,
		"5.0.0.127.in-addr.arpa. 60 IN PTR mx.good.test.",
		"mx.good.test. 60 IN A 127.0.0.5",
		"6.0.0.127.in-addr.arpa. 60 IN PTR mx.good.test.",
		"7.0.0.127.in-addr.arpa. 60 IN PTR host7.partner.test.",
		"host7.partner.test. 60 IN A 127.0.0.7",
		"8.0.0.127.bl.test. 60 IN A 127.0.0.2",
		"6.0.0.127.rep.test. 60 IN A 127.0.0.2",
		"9.0.0.127.rep.test. 60 IN A 127.0.0.2",
		"9.0.0.127.worse.test. 60 IN A 127.0.0.3",
		"10.0.0.127.good.test. 60 IN A 127.0.0.2",
		// Not a listing: DNS lists answer in 127.0.0.0/8 (RFC 5782 section 5).
		"11.0.0.127.bl.test. 60 IN A 10.0.0.1",
	)
	hat := "listenerconfig edit IncomingMail hostaccess "
	a := segtest.New(t,
		"dnsconfig setup --servers "+dnsAddr,
		"sbrsconfig setup --zones bl.test:-6,rep.test:-2.5,worse.test:-5,good.test:3",
		hat+"edit sendergroup ALLOWED_LIST --add mx.good.test,.partner.test",
		hat+"edit sendergroup BLOCKED_LIST --add dnslist[bl.test],sbrs[-10.0:-7.0]",
		hat+"edit sendergroup SUSPECTLIST --add sbrs[-7.0:-1.0]",
		hat+"edit sendergroup UNKNOWNLIST --add sbrs[-1.0:10.0],sbrs[none]",
	)
	a.Start()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mail_logs ends:\n%s", tailLines(a.MailLog(), 60))
		}
	})
	addr := a.SMTPAddr()
	check := func(ip, banner, rdns, decision string) {
		t.Helper()
		before := connections(a, ip)
		if got := hatSession(t, addr, ip); !strings.HasPrefix(got, banner) {
			t.Errorf("%s: banner %q, want %q...", ip, got, banner)
		}
		newSMTP, dec := hatLines(t, a, ip, before)
		if !strings.HasSuffix(newSMTP, "address "+ip+" reverse dns host "+rdns) {
			t.Errorf("%s: %q, want it to end with %q", ip, newSMTP, "reverse dns host "+rdns)
		}
		if want := "Info: ICID " + hatICID(newSMTP) + " " + decision; dec != want {
			t.Errorf("%s: HAT line\n%q, want\n%q", ip, dec, want)
		}
	}
	check("127.0.0.5", "220 ", "mx.good.test verified yes", "ACCEPT SG ALLOWED_LIST match mx.good.test SBRS not enabled")
	check("127.0.0.6", "220 ", "mx.good.test verified no", "ACCEPT SG SUSPECTLIST match sbrs[-7.0:-1.0] SBRS -2.5")
	check("127.0.0.7", "220 ", "host7.partner.test verified yes", "ACCEPT SG ALLOWED_LIST match .partner.test SBRS not enabled")
	check("127.0.0.8", "554 Access denied", "unknown verified no", "REJECT SG BLOCKED_LIST match dnslist[bl.test] SBRS -6.0")
	check("127.0.0.9", "554 Access denied", "unknown verified no", "REJECT SG BLOCKED_LIST match sbrs[-10.0:-7.0] SBRS -7.5")
	check("127.0.0.10", "220 ", "unknown verified no", "ACCEPT SG UNKNOWNLIST match sbrs[-1.0:10.0] SBRS 3.0")
	check("127.0.0.11", "220 ", "unknown verified no", "ACCEPT SG UNKNOWNLIST match sbrs[-1.0:10.0] SBRS 0.0")

	// The DNS list leaves BLOCKED_LIST: 127.0.0.8 (-6.0) is now only
	// suspect. use_sb off in $THROTTLED: SUSPECTLIST's range cannot match
	// (no score), so 127.0.0.6 (-2.5) falls through to ALL.
	a.MustCli(hat + "edit sendergroup BLOCKED_LIST --remove dnslist[bl.test] ; " +
		hat + "edit policy $THROTTLED --use_sb=off ; commit dnslist out")
	check("127.0.0.8", "220 ", "unknown verified no", "ACCEPT SG None match ALL SBRS -6.0")
	check("127.0.0.6", "220 ", "mx.good.test verified no", "ACCEPT SG None match ALL SBRS -2.5")
	a.MustCli(hat + "edit policy $THROTTLED --use_sb=on ; commit use_sb back")
	check("127.0.0.8", "220 ", "unknown verified no", "ACCEPT SG SUSPECTLIST match sbrs[-7.0:-1.0] SBRS -6.0")

	// No SBRS zones: nobody has a score, sbrs[none] matches.
	a.MustCli("sbrsconfig setup --clear ; commit no sbrs")
	check("127.0.0.9", "220 ", "unknown verified no", "ACCEPT SG UNKNOWNLIST match sbrs[none] SBRS None")
}

// TestHATDNSDeadline: a DNS list whose server never answers costs the
// client it is asked for at most the connection's DNS budget (it is
// then accepted: a DNS failure never matches, and is logged), and holds
// up no other client.
func TestHATDNSDeadline(t *testing.T) {
	dnsAddr := segtest.NewDNSNoAnswer(t, "slow.test")
	hat := "listenerconfig edit IncomingMail hostaccess "
	a := segtest.New(t,
		"dnsconfig setup --servers "+dnsAddr,
		hat+"edit sendergroup ALLOWED_LIST --add 127.0.0.13",
		hat+"edit sendergroup BLOCKED_LIST --add dnslist[slow.test]",
	)
	a.Start()
	addr := a.SMTPAddr()

	slow := make(chan string, 1)
	start := time.Now()
	go func() {
		// hatSession may not fail the test from this goroutine: only the
		// banner comes back.
		slow <- hatSessionBanner(addr, "127.0.0.12")
	}()
	// 127.0.0.12's lookup is in flight (its New SMTP line is logged
	// before the HAT is matched).
	a.WaitLog(t, "address 127.0.0.12 reverse dns host unknown verified no", 10*time.Second)
	t0 := time.Now()
	if b := hatSession(t, addr, "127.0.0.13"); !strings.HasPrefix(b, "220 ") {
		t.Errorf("127.0.0.13: banner %q", b)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("127.0.0.13 waited %v for its banner while 127.0.0.12's DNS hung, want under 2 s", d)
	}
	select {
	case b := <-slow:
		t.Fatalf("127.0.0.12 got %q before 127.0.0.13 was served: the hanging lookup was not in flight", b)
	default:
	}
	var b string
	select {
	case b = <-slow:
	case <-time.After(30 * time.Second):
		t.Fatal("127.0.0.12 got no banner 30 s after connecting")
	}
	waited := time.Since(start)
	if !strings.HasPrefix(b, "220 ") {
		t.Errorf("127.0.0.12: banner %q, want 220 (a DNS failure never matches)", b)
	}
	if waited > 15*time.Second {
		t.Errorf("127.0.0.12 waited %v, want the DNS budget (10 s) at most, with slack", waited)
	}
	newSMTP, dec := hatLines(t, a, "127.0.0.12", 0)
	if want := "Info: ICID " + hatICID(newSMTP) + " ACCEPT SG None match ALL SBRS None"; dec != want {
		t.Errorf("HAT line %q, want %q", dec, want)
	}
	a.MustLog(t, "Warning: DNS Error 12.0.0.127.slow.test A - timeout")
	t.Logf("127.0.0.12 waited %v for its banner", waited)
}

// hatSessionBanner connects from ip and returns the banner ("" on error).
func hatSessionBanner(addr, ip string) string {
	d := newDialerFrom(ip)
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(40 * time.Second))
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	c.Write([]byte("QUIT\r\n"))
	return string(buf[:n])
}
