package smtpd

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/store"
)

// TestStartTLSSeam drives the STARTTLS seam directly (tls_test.go
// drives it through the STARTTLS command): the 220, the handshake on the connection, the loop's
// reader and writer on the tls.Conn, the session reset (RFC 3207
// section 4.2), and plaintext pipelined after STARTTLS dropped rather
// than read as a command inside TLS.
func TestStartTLSSeam(t *testing.T) {
	certPEM, keyPEM := segtest.SelfSigned(t, "mx.seg.test")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)

	e := newEnv(t, testConfig())
	server, client := net.Pipe()
	defer client.Close()
	e.srv.mu.Lock()
	lc := e.srv.lis["incomingmail"].cur.Load().lc
	e.srv.mu.Unlock()
	info := &connInfo{icid: 1, lc: lc, hostname: "mx.seg.test"}
	c := e.srv.newConn(server, store.DefaultConnLimits(), info, func() {})
	c.helo, c.verb, c.s.helo = "client.test", "EHLO", "client.test"
	c.s.mid, c.s.from = 7, "a@sender.test"

	type result struct {
		cmd string
		err error
	}
	done := make(chan result, 1)
	go func() {
		line, err := c.readCommand()
		if err != nil || line != "STARTTLS" {
			done <- result{line, err}
			return
		}
		if err := c.startTLS(&tls.Config{Certificates: []tls.Certificate{cert}}); err != nil {
			done <- result{"", err}
			return
		}
		line, err = c.readCommand()
		done <- result{line, err}
	}()

	client.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := client.Write([]byte("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(client)
	if l, err := br.ReadString('\n'); err != nil || l != "220 2.0.0 Ready to start TLS\r\n" {
		t.Fatalf("STARTTLS reply %q, %v", l, err)
	}
	tc := tls.Client(client, &tls.Config{RootCAs: roots, ServerName: "mx.seg.test"})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if _, err := tc.Write([]byte("EHLO again.test\r\n")); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.cmd != "EHLO again.test" {
		t.Fatalf("first command inside TLS: %q, %v; want the EHLO sent over TLS", r.cmd, r.err)
	}
	if c.helo != "" || c.verb != "" || c.s.helo != "" || c.s.mid != 0 {
		t.Errorf("state kept across STARTTLS: helo %q verb %q session helo %q mid %d", c.helo, c.verb, c.s.helo, c.s.mid)
	}
	e.waitLog("Info: Message aborted MID 7 Receiving aborted")

	// Replies now go out inside TLS.
	go func() {
		c.command("NOOP")
		c.flush()
	}()
	tr := bufio.NewReader(tc)
	if l, err := tr.ReadString('\n'); err != nil || l != "250 2.0.0 I have successfully done nothing\r\n" {
		t.Fatalf("reply inside TLS %q, %v", l, err)
	}
}
