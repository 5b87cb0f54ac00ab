package smtpsink

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// serve runs s.Serve and returns a channel that gets its result.
func serve(s *Sink) <-chan error {
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	return served
}

// sinkAndClient starts a sink that ends after count messages and
// connects a go-smtp client to it (closed when the test ends).
func sinkAndClient(t *testing.T, count int) (*Sink, <-chan error, *smtp.Client) {
	t.Helper()
	ln, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	s := New(ln, Options{Out: &segtest.SyncBuffer{}, Count: count})
	served := serve(s)
	c, err := smtp.Dial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, served, c
}

// waitServed fails the test unless Serve returns nil within 10 s.
func waitServed(t *testing.T, served <-chan error, after string) {
	t.Helper()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve after %s: %v", after, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Serve did not return after %s", after)
	}
}

// send delivers one message to addr with go-smtp's client and returns
// the error of the first command that failed.
func send(addr, from string, rcpts []string, data string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(data)); err != nil {
		return err
	}
	// Close returns the reply to the end of DATA: the 250 must have
	// come even when this message ends the sink's --count.
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func TestSinkPrintsAndCounts(t *testing.T) {
	ln, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	out := &segtest.SyncBuffer{}
	s := New(ln, Options{Out: out, Count: 2, BodyLines: 2})
	served := serve(s)
	addr := ln.Addr().String()

	body := "line 1\r\nline 2\r\nline 3\r\nline 4\r\n"
	msg1 := "Subject: first\r\nX-Folded: a\r\n\tb\r\n\r\n" + body
	if err := send(addr, "alice@example.org", []string{"bob@example.com", "carol@example.com"}, msg1); err != nil {
		t.Fatalf("first message: %v", err)
	}
	if got := s.Received(); got != 1 {
		t.Fatalf("Received after one message = %d", got)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned after 1 of 2 messages: %v", err)
	default:
	}
	// Control characters from the peer never reach the terminal.
	msg2 := "Subject: evil \x1b[2J\r\n\r\nhi\x07\r\n"
	if err := send(addr, "", []string{"bob@example.com"}, msg2); err != nil {
		t.Fatalf("second message: %v", err)
	}
	waitServed(t, served, "Count messages")
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("the sink still accepts connections after --count messages")
	}

	want := fmt.Sprintf(`=== message 1 from client.test [127.0.0.1], %d bytes, answered 250
MAIL FROM:<alice@example.org>
RCPT TO:<bob@example.com>
RCPT TO:<carol@example.com>
Subject: first
X-Folded: a
	b

line 1
line 2
(2 more lines)

=== message 2 from client.test [127.0.0.1], %d bytes, answered 250
MAIL FROM:<>
RCPT TO:<bob@example.com>
Subject: evil ?[2J

hi?

`, len(msg1), len(msg2))
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestSinkCloseEndsServe(t *testing.T) {
	ln, err := Listen("localhost:0", false)
	if err != nil {
		t.Fatal(err)
	}
	s := New(ln, Options{Out: &segtest.SyncBuffer{}})
	served := serve(s)
	// Serve may not have started yet: Close must still end it.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitServed(t, served, "Close")
}

func TestSinkCloseDropsConnections(t *testing.T) {
	s, served, c := sinkAndClient(t, 1)
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitServed(t, served, "Close")
	if err := c.Noop(); err == nil {
		t.Error("NOOP on a connection the closed sink should have dropped: no error")
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "[::]:0", "example.com:25"} {
		ln, err := Listen(addr, false)
		if err == nil {
			ln.Close()
			t.Errorf("Listen(%q) without --public: no error", addr)
			continue
		}
		if !strings.Contains(err.Error(), "--public") {
			t.Errorf("Listen(%q): %v; want it to name --public", addr, err)
		}
	}
	if _, err := Listen("127.0.0.1", false); err == nil || !strings.Contains(err.Error(), "HOST:PORT") {
		t.Errorf("Listen without a port: %v", err)
	}
	ln, err := Listen("127.0.0.3:0", false)
	if err != nil {
		t.Fatalf("Listen on 127.0.0.3: %v", err)
	}
	ln.Close()
}

// TestSinkCountDropsSilentClient: a client that stays connected after
// the last counted message is dropped after quitGrace.
func TestSinkCountDropsSilentClient(t *testing.T) {
	_, served, c := sinkAndClient(t, 1)
	if err := c.SendMail("a@example.org", []string{"b@example.com"}, strings.NewReader("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	start := time.Now()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(quitGrace + 10*time.Second):
		t.Fatalf("Serve did not return %v after the last message", quitGrace+10*time.Second)
	}
	if waited := time.Since(start); waited < quitGrace/2 {
		t.Errorf("Serve returned after %v, before the client had its grace (%v) to QUIT", waited, quitGrace)
	}
	if err := c.Noop(); err == nil {
		t.Error("NOOP after the grace: the connection is still open")
	}
}
