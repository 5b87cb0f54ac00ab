package mailtest

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// rcptReply sends RCPT and returns the reply as the client saw it:
// "250", or "CODE X.Y.Z TEXT" for a refusal.
func rcptReply(t *testing.T, cl *smtp.Client, to string) string {
	t.Helper()
	err := cl.Rcpt(to, nil)
	if err == nil {
		return "250"
	}
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("RCPT TO:<%s>: %v", to, err)
	}
	ec := se.EnhancedCode
	return fmt.Sprintf("%d %d.%d.%d %s", se.Code, ec[0], ec[1], ec[2], se.Message)
}

func dialFrom(t *testing.T, src, addr string) *smtp.Client {
	t.Helper()
	return dialFromAs(t, src, addr, "sender@client.test")
}

func expectRcpt(t *testing.T, cl *smtp.Client, to, want string) {
	t.Helper()
	if got := rcptReply(t, cl, to); got != want {
		t.Fatalf("RCPT TO:<%s>: got %q, want %q", to, got, want)
	}
}

// max_rcpts_per_hour (SPEC 10): one count per client IP for all
// listeners; the RCPT over the limit gets the policy's code and text, the
// earlier ones stay accepted; a commit changes the limit for the next
// connection and keeps the count.
func TestMaxRcptsPerHourOnTheWire(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	port2 := segtest.FreePort(t)
	a := segtest.New(t,
		"smtproutes new example.test "+sink.Addr(),
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"listenerconfig edit IncomingMail hostaccess default --max_rcpts_per_hour=3 --max_rcpts_per_hour_code=451",
		fmt.Sprintf("listenerconfig new Second --type public --address 127.0.0.1 --port %d", port2),
		"listenerconfig edit Second rcptaccess new example.test ACCEPT",
		"listenerconfig edit Second hostaccess default --max_rcpts_per_hour=3 --max_rcpts_per_hour_code=451")
	a.Start()
	addr2 := net.JoinHostPort("127.0.0.1", strconv.Itoa(port2))
	const over = "451 4.5.3 Too many recipients received this hour"

	one := dialFrom(t, "127.0.0.5", a.SMTPAddr())
	expectRcpt(t, one, "r1@example.test", "250")
	expectRcpt(t, one, "r2@example.test", "250")
	two := dialFrom(t, "127.0.0.5", addr2) // the other listener, the same count
	expectRcpt(t, two, "r3@example.test", "250")
	expectRcpt(t, two, "r4@example.test", over)
	a.WaitLog(t, "To: <r4@example.test> Rejected by rate limit: host=127.0.0.5, max_rcpts_per_hour=3, sender_group=ALL", 10*time.Second)
	// r3 stays accepted: the message goes out to it alone.
	w, err := two.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plainMessage("r3@example.test", "rate", "rate@client.test"))
	if err := w.Close(); err != nil {
		t.Fatalf("DATA after the refused recipient: %v", err)
	}
	if got := sink.WaitCount(t, 1, 20*time.Second); !slices.Equal(got[0].Rcpts, []string{"r3@example.test"}) {
		t.Errorf("delivered to %q, want [r3@example.test]", got[0].Rcpts)
	}
	// Another host has a count of its own.
	other := dialFrom(t, "127.0.0.6", a.SMTPAddr())
	expectRcpt(t, other, "r1@example.test", "250")

	// The limit goes up to 5: the next connection may add two, the count
	// of 3 is kept.
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --max_rcpts_per_hour=5 ; commit raise the limit")
	three := dialFrom(t, "127.0.0.5", a.SMTPAddr())
	expectRcpt(t, three, "r5@example.test", "250")
	expectRcpt(t, three, "r6@example.test", "250")
	expectRcpt(t, three, "r7@example.test", over)
	// Unlimited is unlimited.
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --max_rcpts_per_hour=-1 ; commit no limit")
	four := dialFrom(t, "127.0.0.5", a.SMTPAddr())
	for i := 8; i < 12; i++ {
		expectRcpt(t, four, fmt.Sprintf("r%d@example.test", i), "250")
	}
}

// Directory harvest prevention (SPEC 10): the RAT rejections of a host
// count; at dhap_limit the line is logged, past it the DHAP reply, and
// with dhap_drop the connection is closed. A commit changes the limit
// and keeps the count.
func TestDHAPOnTheWire(t *testing.T) {
	a := segtest.New(t,
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"listenerconfig edit IncomingMail hostaccess default --dhap_limit=2 --dhap_drop=on --dhap_code=554")
	a.Start()
	const rat = "550 5.7.1 Recipient address rejected"

	cl := dialFrom(t, "127.0.0.7", a.SMTPAddr())
	expectRcpt(t, cl, "a@harvest.test", rat)
	expectRcpt(t, cl, "b@harvest.test", rat)
	a.WaitLog(t, "Potential Directory Harvest Attack from host=127.0.0.7, dhap_limit=2, sender_group=ALL", 10*time.Second)
	expectRcpt(t, cl, "c@harvest.test", "554 5.7.1 Too many invalid recipients")
	a.WaitLog(t, "Dropping connection due to potential Directory Harvest Attack from host=127.0.0.7, dhap_limit=2, sender_group=ALL", 10*time.Second)
	if err := cl.Noop(); err == nil {
		t.Fatal("the connection is still open after the DHAP drop")
	}
	// Another host is not affected.
	o := dialFrom(t, "127.0.0.8", a.SMTPAddr())
	expectRcpt(t, o, "a@harvest.test", rat)

	// dhap_limit 4 without drop: the count of 3 is kept, so the 4th
	// invalid recipient is the last with the RAT's reply.
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --dhap_limit=4 --dhap_drop=off ; commit dhap 4")
	cl = dialFrom(t, "127.0.0.7", a.SMTPAddr())
	expectRcpt(t, cl, "d@harvest.test", rat)
	expectRcpt(t, cl, "e@harvest.test", "554 5.7.1 Too many invalid recipients")
	expectRcpt(t, cl, "ok@example.test", "250")
	if err := cl.Noop(); err != nil {
		t.Fatalf("dhap_drop off closed the connection: %v", err)
	}
	a.WaitLog(t, "Potential Directory Harvest Attack from host=127.0.0.7, dhap_limit=4, sender_group=ALL", 10*time.Second)
	if n := a.CountLog("Dropping connection due to potential Directory Harvest Attack"); n != 1 {
		t.Errorf("%d drop lines, want 1", n)
	}
}

// sender_rate_limit (SPEC 10): recipients per envelope sender over
// sender_rate_minutes, whatever host sends them; the senders and client
// addresses of the sender_rate_exceptions address lists are exempt.
func TestSenderRateLimitOnTheWire(t *testing.T) {
	a := segtest.New(t,
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"addresslistconfig new vips --addresses @vip.test,127.0.0.12",
		"listenerconfig edit IncomingMail hostaccess default --sender_rate_limit=2 --sender_rate_minutes=30 --sender_rate_code=450 --sender_rate_exceptions=vips")
	a.Start()
	const over = "450 4.5.3 Too many recipients received from the sender"

	one := segtest.Client{LocalIP: "127.0.0.10"}
	cl, err := one.Dial(a.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Mail("bulk@client.test", nil); err != nil {
		t.Fatal(err)
	}
	expectRcpt(t, cl, "r1@example.test", "250")
	// The same sender from another host shares the count.
	two, err := segtest.Client{LocalIP: "127.0.0.11"}.Dial(a.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer two.Close()
	if err := two.Mail("Bulk@client.test", nil); err != nil {
		t.Fatal(err)
	}
	expectRcpt(t, two, "r2@example.test", "250")
	expectRcpt(t, two, "r3@example.test", over)
	a.WaitLog(t, "To: <r3@example.test> Rejected by rate limit: sender=<Bulk@client.test>, sender_rate_limit=2, sender_rate_minutes=30, sender_group=ALL", 10*time.Second)
	// Another sender has its own count; a sender in the list is exempt.
	two.Reset()
	if err := two.Mail("other@client.test", nil); err != nil {
		t.Fatal(err)
	}
	expectRcpt(t, two, "r4@example.test", "250")
	two.Reset()
	if err := two.Mail("boss@vip.test", nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		expectRcpt(t, two, fmt.Sprintf("v%d@example.test", i), "250")
	}
	// A client address in the list is exempt.
	vip := dialFromAs(t, "127.0.0.12", a.SMTPAddr(), "bulk@client.test")
	expectRcpt(t, vip, "r5@example.test", "250")

	// A commit raises the limit to 3: the count of 2 stays.
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --sender_rate_limit=3 ; commit raise")
	three := dialFromAs(t, "127.0.0.13", a.SMTPAddr(), "bulk@client.test")
	expectRcpt(t, three, "r6@example.test", "250")
	expectRcpt(t, three, "r7@example.test", over)
	// The list is in use: it cannot be deleted.
	if _, stderr, code := a.Cli("addresslistconfig delete vips"); code == 0 || !strings.Contains(stderr, "Address list vips is used by the sender_rate_exceptions of: listener IncomingMail default policy.") {
		t.Errorf("deleting a list in use: exit %d, %q", code, stderr)
	}
}

func dialFromAs(t *testing.T, src, addr, from string) *smtp.Client {
	t.Helper()
	cl, err := segtest.Client{LocalIP: src}.Dial(addr)
	if err != nil {
		t.Fatalf("connecting from %s to %s: %v", src, addr, err)
	}
	t.Cleanup(func() { cl.Close() })
	if err := cl.Mail(from, nil); err != nil {
		t.Fatal(err)
	}
	return cl
}

// sig_bits (SPEC 4.2): with use_sb off the hourly count is per CIDR block
// of sig_bits bits; a commit to 32 bits makes it per host again.
func TestSigBitsOnTheWire(t *testing.T) {
	a := segtest.New(t,
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"listenerconfig edit IncomingMail hostaccess default --use_sb=off --sig_bits=24 --max_rcpts_per_hour=2")
	a.Start()
	const over = "452 4.5.3 Too many recipients received this hour"
	one := dialFrom(t, "127.0.0.20", a.SMTPAddr())
	expectRcpt(t, one, "r1@example.test", "250")
	two := dialFrom(t, "127.0.0.21", a.SMTPAddr())
	expectRcpt(t, two, "r2@example.test", "250")
	expectRcpt(t, two, "r3@example.test", over)
	a.WaitLog(t, "To: <r3@example.test> Rejected by rate limit: host=127.0.0.0/24, max_rcpts_per_hour=2, sender_group=ALL", 10*time.Second)
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --sig_bits=32 ; commit per host")
	three := dialFrom(t, "127.0.0.22", a.SMTPAddr())
	expectRcpt(t, three, "r4@example.test", "250")
	expectRcpt(t, three, "r5@example.test", "250")
	expectRcpt(t, three, "r6@example.test", over)
}
