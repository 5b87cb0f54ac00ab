package mailtest

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestGlobalConnectionLimit: listenerconfig setup --max_concurrency
// bounds the connections of all listeners together. With a limit of 2,
// one session on each of two listeners fills it: a third, on either, is
// refused with 421 and logged; once one closes, a new one is served;
// with the limit lifted (none), a third is served at once.
func TestGlobalConnectionLimit(t *testing.T) {
	port2 := segtest.FreePort(t)
	a := segtest.New(t,
		fmt.Sprintf("listenerconfig new Second --type public --address 127.0.0.1 --port %d", port2),
		"listenerconfig setup --max_concurrency 2")
	a.Start()
	addr2 := net.JoinHostPort("127.0.0.1", strconv.Itoa(port2))
	if out := a.MustCli("listenerconfig setup"); !strings.Contains(out, "Global limit for concurrent connections (all listeners): 2\n") {
		t.Errorf("listenerconfig setup:\n%s", out)
	}

	type session struct {
		c  net.Conn
		br *bufio.Reader
	}
	open := func(addr string) (session, string) {
		t.Helper()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		line, _ := br.ReadString('\n')
		return session{c, br}, line
	}
	one, b1 := open(a.SMTPAddr())
	two, b2 := open(addr2)
	if !strings.HasPrefix(b1, "220 ") || !strings.HasPrefix(b2, "220 ") {
		t.Fatalf("banners under the limit: %q %q", b1, b2)
	}
	for _, addr := range []string{a.SMTPAddr(), addr2} {
		s, b := open(addr)
		if b != "421 4.3.2 Too many connections to this system, try again later\r\n" {
			t.Errorf("%s over the global limit: %q", addr, b)
		}
		s.c.Close()
	}
	a.WaitLog(t, "Receiving Failed: Connection limit exceeded", 10*time.Second)

	// One closes: the next is served (once seg has seen the close).
	fmt.Fprintf(one.c, "QUIT\r\n")
	one.br.ReadString('\n')
	one.c.Close()
	if !segtest.Poll(10*time.Second, func() bool {
		s, b := open(addr2)
		defer s.c.Close()
		return strings.HasPrefix(b, "220 ")
	}) {
		t.Error("no session after one closed")
	}

	a.MustCli("listenerconfig setup --max_concurrency none ; commit no global limit")
	if !segtest.Poll(10*time.Second, func() bool {
		x, bx := open(a.SMTPAddr())
		y, by := open(a.SMTPAddr())
		defer x.c.Close()
		defer y.c.Close()
		return strings.HasPrefix(bx, "220 ") && strings.HasPrefix(by, "220 ")
	}) {
		t.Error("the global limit still applies after none")
	}
	two.c.Close()
}
