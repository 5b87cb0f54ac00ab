package main

// Issue 8 point 8, connection exhaustion, as the attacks: idle
// connections filling a listener's slots, and clients dripping message
// data and command lines to hold a slot.

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"seg/internal/segtest"
)

// raiseNoFile makes sure this process, and the seg it starts (which
// inherits the limit), may open n more files than usual.
func raiseNoFile(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		// Failing, not skipping: CI must not pass without this test.
		t.Fatalf("the open files limit is %d (hard %d); this test needs %d: raise the hard limit (ulimit -Hn %d, as root)", lim.Cur, lim.Max, n, n)
	}
	old := lim.Cur
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		lim.Cur = old
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	})
}

// rawConn is an SMTP connection driven byte by byte.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dialSMTP(t *testing.T, addr, src string) *rawConn {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// line reads one line within d ("" when there is none: closed or
// timed out).
func (c *rawConn) line(d time.Duration) string {
	c.nc.SetReadDeadline(time.Now().Add(d))
	l, err := c.br.ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimRight(l, "\r\n")
}

// cmd sends a command and returns the last line of its reply.
func (c *rawConn) cmd(line string) string {
	c.t.Helper()
	c.nc.Write([]byte(line + "\r\n"))
	for {
		l := c.line(10 * time.Second)
		if len(l) < 4 || l[3] != '-' {
			return l
		}
	}
}

func (c *rawConn) expect(line, want string) {
	c.t.Helper()
	if got := c.cmd(line); !strings.HasPrefix(got, want) {
		c.t.Fatalf("%s: %q, want %q", line, got, want)
	}
}

// drip writes s a byte every interval until the server stops taking it,
// then returns the server's next line.
func (c *rawConn) drip(s string, every time.Duration) string {
	for i := 0; i < len(s); i++ {
		if _, err := c.nc.Write([]byte{s[i]}); err != nil {
			break
		}
		if c.br.Buffered() > 0 {
			break
		}
		c.nc.SetReadDeadline(time.Now().Add(every))
		if _, err := c.br.Peek(1); err == nil {
			break // the server said something
		}
	}
	return c.line(10 * time.Second)
}

// TestExhaustionByIdleConnections is the attack of issue 8 point 8: 31
// addresses x 10 idle connections against the IncomingMail listener
// (300 slots; the default policy allows 10 per address). Before, every
// client, RELAYLIST's 127.0.0.1 included, got 421 for as long as the
// attacker held on. Now RELAYLIST gets a reserved slot at once and
// relays, and a new address gets in. When the attacker has enough
// addresses to take every unreserved slot, new addresses get in as the
// listener drops idle connections (pressure_idle, committed while it
// runs to keep the test short).
func TestExhaustionByIdleConnections(t *testing.T) {
	raiseNoFile(t, 4096)
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new far.test "+sink.Addr())
	a.Start()
	defer a.Stop()
	addr := a.SMTPAddr()

	var held []*rawConn
	defer func() { // before Stop, which waits for sessions in flight
		for _, c := range held {
			c.nc.Close()
		}
	}()
	codes := map[string]int{}
	for ip := 2; ip <= 32; ip++ {
		for i := 0; i < 10; i++ {
			c := dialSMTP(t, addr, fmt.Sprintf("127.0.0.%d", ip))
			l := c.line(10 * time.Second)
			if strings.HasPrefix(l, "220 ") {
				held = append(held, c)
			}
			codes[strings.SplitN(l, " ", 2)[0]]++
		}
	}
	t.Logf("attack connections: %v", codes)
	if len(held) > 270 {
		t.Errorf("the attack holds %d connections: more than the 270 unreserved slots", len(held))
	}

	// RELAYLIST gets in at once and relays.
	rl := dialSMTP(t, addr, "127.0.0.1")
	// Reads wait up to 30 s: on a loaded machine (CI's 2 cores running
	// other packages) a greeting that normally comes at once, after the
	// reverse lookup, was seen to take more than 5 s.
	if got := rl.line(30 * time.Second); !strings.HasPrefix(got, "220 ") {
		t.Fatalf("RELAYLIST client while the listener is full: %q", got)
	}
	rl.cmd("QUIT")
	if _, err := (segtest.Client{}).Send(addr, "ops@relay.test", []string{"user@far.test"}, []byte("Subject: through\r\n\r\nhello\r\n")); err != nil {
		t.Fatalf("relaying from RELAYLIST under attack: %v", err)
	}
	sink.WaitCount(t, 1, 30*time.Second)

	// So does an address that holds no connection: above 80% of the slots
	// an address that holds one gets no other.
	fresh := dialSMTP(t, addr, "127.0.0.40")
	if got := fresh.line(30 * time.Second); !strings.HasPrefix(got, "220 ") {
		t.Fatalf("a new address while the listener is under attack: %q", got)
	}
	fresh.cmd("QUIT")

	// The attacker takes the other unreserved slots from more addresses,
	// one each: now only idle connections going makes room.
	for ip := 41; ip < 120; ip++ {
		c := dialSMTP(t, addr, fmt.Sprintf("127.0.0.%d", ip))
		if l := c.line(30 * time.Second); !strings.HasPrefix(l, "220 ") {
			break
		}
		held = append(held, c)
	}
	if got := dialSMTP(t, addr, "127.0.0.120").line(30 * time.Second); !strings.HasPrefix(got, "421 4.3.2 ") {
		t.Fatalf("a new address at a listener full of fresh connections: %q", got)
	}
	if out, errOut, code := a.Cli("listenerconfig edit IncomingMail setup --pressure_idle 2 ; commit short"); code != 0 {
		t.Fatalf("setting pressure_idle: %s %s", out, errOut)
	}
	var got string
	if !segtest.Poll(20*time.Second, func() bool {
		c := dialSMTP(t, addr, "127.0.0.121")
		got = c.line(5 * time.Second)
		if strings.HasPrefix(got, "220 ") {
			c.cmd("QUIT")
			return true
		}
		c.nc.Close()
		time.Sleep(200 * time.Millisecond)
		return false
	}) {
		t.Fatalf("a new address never got in: %q", got)
	}
	// The oldest idle connection went first, told why.
	if got := held[0].line(5 * time.Second); got != "421 4.7.0 Server busy, idle connection closed, try again later" {
		t.Errorf("the longest idle attack connection: %q", got)
	}
	a.WaitLog(t, "disconnected address 127.0.0.2, idle for ", 5*time.Second)
}

// TestSlowClientsAreCutOff: a client dripping message data, one
// dripping a command line, and one that keeps the session going with
// NOOPs are each ended with 421 4.4.2 and a mail_logs line, and the
// dripped message is not queued. Before, a byte every 20 s held a slot
// for as long as the client liked. The limits are scaled down (and set
// on the running appliance: they apply to new connections at commit).
func TestSlowClientsAreCutOff(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new far.test "+sink.Addr())
	a.Start()
	defer a.Stop()
	if out, errOut, code := a.Cli("listenerconfig edit IncomingMail setup --idle_timeout 2 --min_data_rate 20 --data_rate_interval 2 --max_connection_time 6 ; commit scaled"); code != 0 {
		t.Fatalf("setup: %s %s", out, errOut)
	}
	addr := a.SMTPAddr()

	var wg sync.WaitGroup
	run := func(name string, f func(t *testing.T)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(name, f)
		}()
	}
	run("data drip", func(t *testing.T) {
		c := dialSMTP(t, addr, "127.0.0.1")
		c.line(5 * time.Second)
		c.expect("EHLO drip.test", "250 ")
		c.expect("MAIL FROM:<drip@drip.test>", "250 ")
		c.expect("RCPT TO:<user@far.test>", "250 ")
		c.expect("DATA", "354 ")
		body := "Subject: drip\r\n\r\n" + strings.Repeat("d", 40) + "\r\n.\r\n"
		if got := c.drip(body, 500*time.Millisecond); got != "421 4.4.2 Message data too slow, disconnecting." {
			t.Errorf("data drip: %q", got)
		}
		a.WaitLog(t, "message data slower than 20 bytes/s over 2 s", 5*time.Second)
	})
	run("command drip", func(t *testing.T) {
		c := dialSMTP(t, addr, "127.0.0.2")
		c.line(5 * time.Second)
		c.expect("EHLO drip.test", "250 ")
		if got := c.drip("MAIL FROM:<drip@drip.test>\r\n", 300*time.Millisecond); got != "421 4.4.2 Idle timeout, disconnecting." {
			t.Errorf("command drip: %q", got)
		}
		a.WaitLog(t, "disconnected address 127.0.0.2, idle timeout (2 s) exceeded", 5*time.Second)
	})
	run("max connection time", func(t *testing.T) {
		c := dialSMTP(t, addr, "127.0.0.3")
		c.line(5 * time.Second)
		c.expect("EHLO long.test", "250 ")
		got := "250 "
		for i := 0; i < 40 && strings.HasPrefix(got, "250 "); i++ {
			time.Sleep(500 * time.Millisecond)
			got = c.cmd("NOOP")
		}
		if got != "421 4.4.2 Exceeded allowable connection time, disconnecting." {
			t.Errorf("NOOPs for 20 s: %q", got)
		}
		a.WaitLog(t, "disconnected address 127.0.0.3, exceeded allowable connection time", 5*time.Second)
	})
	wg.Wait()

	log := a.WaitLog(t, "Receiving aborted", 5*time.Second)
	if strings.Contains(log, "queued for delivery") || sink.Count() != 0 {
		t.Errorf("the dripped message was queued:\n%s", log)
	}
}

// TestConnLimitsRoundTrip: the limits survive saveconfig and loadconfig,
// and a wrong value is refused with what is accepted.
func TestConnLimitsRoundTrip(t *testing.T) {
	a := segtest.New(t, "listenerconfig edit IncomingMail setup --pressure_idle 7 --reserved_percent 20")
	out := a.MustCli("saveconfig nomask")
	var file string
	if _, err := fmt.Sscanf(out, "The file %s has been saved", &file); err != nil {
		t.Fatalf("saveconfig: %q", out)
	}
	a.MustCli("listenerconfig edit IncomingMail setup --pressure_idle 9 --reserved_percent 0 ; commit")
	a.MustCli("loadconfig " + file + " ; commit")
	print := a.MustCli("listenerconfig print IncomingMail")
	for _, want := range []string{"Busy Listener Idle Limit: 7 seconds (pressure_idle)", "Reserved For RELAY Clients: 20 percent, 60 of 300 connections"} {
		if !strings.Contains(print, want) {
			t.Errorf("after loadconfig, print lacks %q:\n%s", want, print)
		}
	}
	_, errOut, code := a.Cli("listenerconfig edit IncomingMail setup --data_timeout 0")
	if code == 0 || !strings.Contains(errOut, `Invalid data_timeout "0": enter a number of seconds from 1 to 86400.`) {
		t.Errorf("data_timeout 0: exit %d, %q", code, errOut)
	}
}
