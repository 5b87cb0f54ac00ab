package mailtest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// flowBanner connects from ip and returns the first reply line the
// server writes (the banner, or a refusal) and the open connection.
func flowBanner(t *testing.T, addr, ip string) (string, net.Conn) {
	t.Helper()
	c, err := newDialerFrom(ip).Dial("tcp", addr)
	if err != nil {
		t.Fatalf("%s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("%s: no banner: %v", ip, err)
	}
	return strings.TrimRight(line, "\r\n"), c
}

// smtpReply renders a go-smtp error as "CODE X.Y.Z TEXT".
func smtpReply(t *testing.T, what string, err error) string {
	t.Helper()
	if err == nil {
		return "250"
	}
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("%s: %v", what, err)
	}
	ec := se.EnhancedCode
	return fmt.Sprintf("%d %d.%d.%d %s", se.Code, ec[0], ec[1], ec[2], se.Message)
}

// sendOne sends one small message on an open session.
func sendOne(t *testing.T, cl *smtp.Client, i int) {
	t.Helper()
	if err := cl.Mail("s@client.test", nil); err != nil {
		t.Fatalf("message %d: MAIL: %v", i, err)
	}
	expectRcpt(t, cl, "r@example.test", "250")
	w, err := cl.Data()
	if err != nil {
		t.Fatalf("message %d: DATA: %v", i, err)
	}
	w.Write(plainMessage("r@example.test", "flow", "s@client.test"))
	if err := w.Close(); err != nil {
		t.Fatalf("message %d: end of DATA: %v", i, err)
	}
}

// sizedMessage is a message of exactly n octets (n >= 40), CRLF lines
// of at most 80 octets.
func sizedMessage(n int64) []byte {
	head := "Subject: size\r\n\r\n"
	var b strings.Builder
	b.WriteString(head)
	for rest := n - int64(len(head)); rest > 0; {
		l := min(rest, 80)
		if rest == 81 {
			l = 79 // no line shorter than its CRLF
		}
		b.WriteString(strings.Repeat("x", int(l-2)) + "\r\n")
		rest -= l
	}
	return []byte(b.String())
}

// checkSessionLimits checks max_rcpts_per_msg, max_msgs_per_session and
// max_message_size (EHLO SIZE, MAIL SIZE= and the DATA itself) at the
// values n and size.
func checkSessionLimits(t *testing.T, addr, ip string, n int, size int64) {
	t.Helper()
	cl, err := segtest.Client{LocalIP: ip}.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// RFC 1870 section 4: SIZE shows the limit.
	if ok, p := cl.Extension("SIZE"); !ok || p != fmt.Sprint(size) {
		t.Errorf("EHLO SIZE %q (%v), want %d", p, ok, size)
	}
	if got := smtpReply(t, "MAIL SIZE over", cl.Mail("s@client.test", &smtp.MailOptions{Size: size + 1})); got != "552 5.3.4 Message size exceeds limit" {
		t.Errorf("MAIL SIZE=%d: %q", size+1, got)
	}
	if err := cl.Mail("s@client.test", &smtp.MailOptions{Size: size}); err != nil {
		t.Fatalf("MAIL SIZE=%d at the limit: %v", size, err)
	}
	for i := 0; i < n; i++ {
		expectRcpt(t, cl, fmt.Sprintf("r%d@example.test", i), "250")
	}
	expectRcpt(t, cl, "over@example.test", "452 4.5.3 Too many recipients")
	if err := cl.Reset(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		sendOne(t, cl, i)
	}
	if got := smtpReply(t, "MAIL past max_msgs_per_session", cl.Mail("s@client.test", nil)); got != "421 4.7.0 Too many messages for this session, closing connection" {
		t.Errorf("MAIL number %d: %q", n+1, got)
	}
	if err := cl.Noop(); err == nil {
		t.Error("the connection is still open after the 421")
	}
	// A fresh session, since an accepted message counts toward
	// max_msgs_per_session.
	cl, err = segtest.Client{LocalIP: ip}.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// A message of exactly size octets passes DATA, one more does not.
	for _, n := range []int64{size, size + 1} {
		if err := cl.Mail("s@client.test", nil); err != nil {
			t.Fatal(err)
		}
		expectRcpt(t, cl, "r@example.test", "250")
		w, err := cl.Data()
		if err != nil {
			t.Fatal(err)
		}
		w.Write(sizedMessage(n))
		want := "250"
		if n > size {
			want = "552 5.3.4 Message size exceeds limit"
		}
		if got := smtpReply(t, "end of DATA", w.Close()); got != want {
			t.Errorf("DATA of %d octets: %q, want %q", n, got, want)
		}
	}
}

// max_rcpts_per_msg, max_msgs_per_session and max_message_size (SPEC 4.2)
// hold at N and refuse N+1 with their replies; a commit changes them for
// the next connection.
func TestFlowSessionLimits(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new example.test "+sink.Addr(),
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"listenerconfig edit IncomingMail hostaccess default --max_rcpts_per_msg=2 --max_msgs_per_session=2 --max_message_size=2048")
	a.Start()
	checkSessionLimits(t, a.SMTPAddr(), "127.0.0.30", 2, 2048)
	a.WaitLog(t, "Receiving Failed: Too Many Recipients", 10*time.Second)
	a.WaitLog(t, "Receiving Failed: Too Many Messages", 10*time.Second)
	a.WaitLog(t, "Receiving Failed: Message size exceeds limit", 10*time.Second)
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --max_rcpts_per_msg=3 --max_msgs_per_session=3 --max_message_size=4096 ; commit raise")
	checkSessionLimits(t, a.SMTPAddr(), "127.0.0.30", 3, 4096)
}

// max_concurrency (SPEC 4.2): N connections from one address are served,
// the N+1st gets 421; a commit raising N admits one more.
func TestFlowMaxConcurrency(t *testing.T) {
	a := segtest.New(t, "listenerconfig edit IncomingMail hostaccess default --max_concurrency=2")
	a.Start()
	addr := a.SMTPAddr()
	const ip, refused = "127.0.0.31", "421 4.7.0 Too many concurrent connections from your address, try again later"
	for i := 0; i < 2; i++ {
		if b, _ := flowBanner(t, addr, ip); !strings.HasPrefix(b, "220 ") {
			t.Fatalf("connection %d: %q", i+1, b)
		}
	}
	if b, _ := flowBanner(t, addr, ip); b != refused {
		t.Fatalf("connection 3: %q, want %q", b, refused)
	}
	// Another address has its own count.
	if b, _ := flowBanner(t, addr, "127.0.0.32"); !strings.HasPrefix(b, "220 ") {
		t.Fatalf("another host: %q", b)
	}
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --max_concurrency=3 ; commit three")
	if b, _ := flowBanner(t, addr, ip); !strings.HasPrefix(b, "220 ") {
		t.Fatalf("connection 3 after the commit: %q", b)
	}
	if b, _ := flowBanner(t, addr, ip); b != refused {
		t.Fatalf("connection 4 after the commit: %q, want %q", b, refused)
	}
}

// smtp_banner_code/_text with $Hostname and $RemoteIP, override_hostname,
// and reject_banner_code/_text of a REJECT policy (SPEC 4.2): the
// configured banner, changed by a commit for the next connection.
func TestFlowBanners(t *testing.T) {
	hat := "listenerconfig edit IncomingMail hostaccess "
	a := segtest.New(t,
		"listenerconfig edit IncomingMail setup --hostname mx.seg.test",
		hat+"default --smtp_banner_code=250 --smtp_banner_text='$Hostname greets $RemoteIP'",
		hat+"new policy NOPE REJECT --reject_banner_code=550 --reject_banner_text='Go away $RemoteIP'",
		hat+"new sendergroup NOPERS 127.0.0.41 NOPE --position 1")
	a.Start()
	addr := a.SMTPAddr()
	want := func(ip, banner string) {
		t.Helper()
		if got, _ := flowBanner(t, addr, ip); got != banner {
			t.Errorf("%s: banner %q, want %q", ip, got, banner)
		}
	}
	want("127.0.0.40", "250 mx.seg.test greets 127.0.0.40")
	want("127.0.0.41", "550 Go away 127.0.0.41")

	a.MustCli(hat + "default --smtp_banner_code=220 --smtp_banner_text= --use_override_hostname=on --override_hostname=front.example.test ; " +
		hat + "edit policy NOPE --reject_banner_code=421 --reject_banner_text='Closed for $Hostname' ; commit banners")
	want("127.0.0.40", "220 front.example.test ESMTP")
	want("127.0.0.41", "421 Closed for mx.seg.test")

	a.MustCli(hat + "default --smtp_banner_text='$Hostname at $RemoteIP' ; commit override in text")
	want("127.0.0.40", "220 front.example.test at 127.0.0.40")
	a.MustCli(hat + "default --use_override_hostname=off ; commit override off")
	want("127.0.0.40", "220 mx.seg.test at 127.0.0.40")
}

// max_rcpts_per_hour_code/_text, sender_rate_code/_text and
// dhap_code/_text (SPEC 10): the reply past each limit is the policy's
// code and text, with the standard enhanced code of the code's class; a
// commit changes them for the next connection.
func TestFlowRateReplies(t *testing.T) {
	hat := "listenerconfig edit IncomingMail hostaccess default "
	a := segtest.New(t,
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		hat+"--max_rcpts_per_hour=1 --max_rcpts_per_hour_code=450 --max_rcpts_per_hour_text='Hourly cap reached'",
		hat+"--sender_rate_limit=2 --sender_rate_code=451 --sender_rate_text='Sender cap reached'",
		hat+"--dhap_limit=1 --dhap_code=554 --dhap_text='Harvest suspected'")
	a.Start()
	addr := a.SMTPAddr()
	const rat = "550 5.7.1 Recipient address rejected"
	check := func(hourIP, rateIPs, dhapIP, sender, hour, rate, dhap string) {
		t.Helper()
		cl := dialFromAs(t, hourIP, addr, "h-"+sender)
		expectRcpt(t, cl, "r1@example.test", "250")
		expectRcpt(t, cl, "r2@example.test", hour)
		ips := strings.Fields(rateIPs) // one recipient each: under the hourly limit
		for _, ip := range ips[:2] {
			expectRcpt(t, dialFromAs(t, ip, addr, sender), "r@example.test", "250")
		}
		expectRcpt(t, dialFromAs(t, ips[2], addr, sender), "r@example.test", rate)
		cl = dialFromAs(t, dhapIP, addr, "d-"+sender)
		expectRcpt(t, cl, "a@harvest.test", rat)
		expectRcpt(t, cl, "b@harvest.test", dhap)
	}
	check("127.0.0.50", "127.0.0.51 127.0.0.52 127.0.0.53", "127.0.0.54", "one@client.test",
		"450 4.5.3 Hourly cap reached", "451 4.5.3 Sender cap reached", "554 5.7.1 Harvest suspected")
	a.MustCli(hat + "--max_rcpts_per_hour_code=550 --max_rcpts_per_hour_text='No more this hour' " +
		"--sender_rate_code=452 --sender_rate_text='Sender slow down' --dhap_code=450 --dhap_text='Harvest paused' ; commit replies")
	check("127.0.0.60", "127.0.0.61 127.0.0.62 127.0.0.63", "127.0.0.64", "two@client.test",
		"550 5.5.3 No more this hour", "452 4.5.3 Sender slow down", "450 4.7.1 Harvest paused")
}

// sender_malformed_code/_text and sender_tempfail_code/_text (SPEC 10):
// with sender verification on, MAIL FROM gets the policy's code and text
// ($EnvelopeSender expanded); a commit changes them for the next
// connection.
func TestFlowSenderVerifyReplies(t *testing.T) {
	hat := "listenerconfig edit IncomingMail hostaccess default "
	a := segtest.New(t,
		"dnsconfig setup --servers "+senderVerifyDNS(t),
		hat+"--sender_verification=on --sender_malformed_code=550 --sender_malformed_text='Bad sender <$EnvelopeSender>' "+
			"--sender_tempfail_code=450 --sender_tempfail_text='Cannot check $EnvelopeSender now'")
	a.Start()
	addr := a.SMTPAddr()
	want := func(from, reply string) {
		t.Helper()
		if got := mailFromReply(t, addr, "127.0.0.70", from); got != reply {
			t.Errorf("MAIL FROM:<%s>: %q, want %q", from, got, reply)
		}
	}
	want("u@mx.test", "250 2.0.0 Roger, accepting mail from <u@mx.test>")
	want("u@localhost", "550 5.1.7 Bad sender <u@localhost>")
	want("u@servfail.test", "450 4.1.8 Cannot check u@servfail.test now")
	a.MustCli(hat + "--sender_malformed_code=501 --sender_malformed_text='#5.1.3 Fix $EnvelopeSender' " +
		"--sender_tempfail_code=421 --sender_tempfail_text='DNS trouble' ; commit replies")
	want("u@localhost", "501 #5.1.3 Fix u@localhost")
	want("u@servfail.test", "421 4.1.8 DNS trouble")
}
