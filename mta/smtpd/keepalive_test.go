package smtpd

import (
	"net"
	"syscall"
	"testing"
)

// Accepted SMTP connections carry no TCP keepalive (listener.go): the
// session's own time limits end a silent client.
func TestSessionsHaveNoTCPKeepalive(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.greet("one.test")
	e.srv.connMu.Lock()
	var conns []net.Conn
	for nc := range e.srv.conns {
		conns = append(conns, nc)
	}
	e.srv.connMu.Unlock()
	if len(conns) != 1 {
		t.Fatalf("%d connections, want 1", len(conns))
	}
	sc, err := conns[0].(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	ka := -1
	var gerr error
	if err := sc.Control(func(fd uintptr) {
		ka, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if ka != 0 {
		t.Fatalf("SO_KEEPALIVE = %d, want 0", ka)
	}
	c.expect("QUIT", "221 ")
}
