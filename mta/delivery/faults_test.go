package delivery

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/mta/dns"
	"seg/mta/queue"
	"seg/store"
)

// hostile is a receiver that misbehaves on a real TCP connection: script
// runs the conversation on each accepted connection.
func hostile(t *testing.T, script func(c net.Conn, r *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				script(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String()
}

// untilData answers the commands of one transaction as a good receiver
// would, up to DATA (answered 354) or STARTTLS (left to the caller); it
// returns false if the client went away first.
func untilData(c net.Conn, r *bufio.Reader, starttls bool) bool {
	fmt.Fprint(c, "220 hostile.test ESMTP\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO":
			if starttls {
				fmt.Fprint(c, "250-hostile.test\r\n250 STARTTLS\r\n")
			} else {
				fmt.Fprint(c, "250-hostile.test\r\n250 PIPELINING\r\n")
			}
		case "HELO", "MAIL", "RCPT", "RSET", "NOOP":
			fmt.Fprint(c, "250 ok\r\n")
		case "DATA":
			fmt.Fprint(c, "354 go ahead\r\n")
			return true
		case "STARTTLS":
			return true
		default:
			fmt.Fprint(c, "502 no\r\n")
		}
	}
}

func readBody(r *bufio.Reader) bool {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		if line == ".\r\n" {
			return true
		}
	}
}

// TestDeliveryFaults: each way a receiver or DNS can fail leaves the
// message queued for a retry (a soft failure, never a bounce, never a
// loss), within the timeouts, with a Delayed line saying why; and once the
// destination behaves, the retry delivers it exactly once.
func TestDeliveryFaults(t *testing.T) {
	const timeout = 300 * time.Millisecond
	failing := []string{"servfail.test"}
	silent := []string{"silent.test"}
	ns := segtest.NewFailingDNS(t, failing, silent,
		"deadmx.test. 300 IN MX 10 mx.deadmx.test.",
		"mx.deadmx.test. 300 IN A 127.0.0.9",
	)
	// Port 25 of 127.0.0.9 stands for a dead address: the dialer sends it
	// to a port nobody listens on (a local MTA may listen on port 25).
	deadLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := deadLn.Addr().String()
	deadLn.Close()
	cases := []struct {
		name   string
		route  string // an address, or "" for an MX lookup through ns
		domain string
		params store.Params // destconfig entry for the domain, if any
		want   string       // in the Delayed line
	}{
		{name: "drop mid-DATA", want: "4.4.2", route: hostile(t, func(c net.Conn, r *bufio.Reader) {
			if untilData(c, r, false) {
				buf := make([]byte, 100)
				r.Read(buf) // part of the body, then the connection drops
			}
		})},
		{name: "stall after greeting", want: "4.4.", route: hostile(t, func(c net.Conn, r *bufio.Reader) {
			fmt.Fprint(c, "220 hostile.test ESMTP\r\n")
			r.ReadString('\n')
			r.ReadString('\n') // never answers EHLO
		})},
		{name: "no greeting", want: "4.4.", route: hostile(t, func(c net.Conn, r *bufio.Reader) {
			r.ReadString('\n')
		})},
		{name: "stall after DATA", want: "4.4.", route: hostile(t, func(c net.Conn, r *bufio.Reader) {
			if untilData(c, r, false) && readBody(r) {
				r.ReadString('\n') // never answers the final dot
			}
		})},
		{name: "garbage", want: "('000'", route: hostile(t, func(c net.Conn, r *bufio.Reader) {
			fmt.Fprint(c, "hello, this is not SMTP\r\n\x00\xff\xfe garbage\r\n")
			r.ReadString('\n')
		})},
		{name: "421 to everything", want: "421", route: hostile(t, func(c net.Conn, r *bufio.Reader) {
			fmt.Fprint(c, "421 4.3.2 hostile.test Service not available\r\n")
		})},
		{name: "421 at RCPT", want: "421", route: hostile(t, func(c net.Conn, r *bufio.Reader) {
			fmt.Fprint(c, "220 hostile.test ESMTP\r\n")
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.HasPrefix(strings.ToUpper(line), "RCPT") {
					fmt.Fprint(c, "421 4.3.2 shutting down\r\n")
					return
				}
				fmt.Fprint(c, "250 ok\r\n")
			}
		})},
		{name: "TLS handshake fails (TLS required)", want: "TLS", params: store.Params{"use_tls": "required"},
			route: hostile(t, func(c net.Conn, r *bufio.Reader) {
				if untilData(c, r, true) {
					fmt.Fprint(c, "220 go ahead\r\n")
					fmt.Fprint(c, "this is no TLS server hello\r\n") // the handshake fails
				}
			})},
		{name: "DNS SERVFAIL", domain: "servfail.test", want: "SERVFAIL"},
		{name: "DNS timeout", domain: "silent.test", want: "4.4.3"},
		{name: "MX at a dead address", domain: "deadmx.test", want: "4.4.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			domain := tc.domain
			if domain == "" {
				domain = "example.test"
			}
			good := newSMTPServer(t, nil)
			h := newHarness(t, func(c *store.Config) {
				if tc.route != "" {
					c.System.Routes = []store.SMTPRoute{{Domain: domain, Hosts: []string{tc.route}}}
				}
				if tc.params != nil {
					c.Destinations = append(c.Destinations, store.Destination{Domain: domain, Params: tc.params})
				}
			})
			res, err := dns.NewClient(dns.Options{Servers: []string{ns}, Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			h.res = res
			h.cmdTO, h.dataTO = timeout, timeout
			var nd net.Dialer
			h.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if addr == "127.0.0.9:25" {
					addr = dead
				}
				return nd.DialContext(ctx, network, addr)
			}
			h.start()
			began := time.Now()
			mid := h.send("alice@src.test", "bob@"+domain)
			h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:", fmt.Sprintf("MID %d ", mid))) == 1 })
			took := time.Since(began)
			line := h.lines("Delayed:")[0]
			if !strings.Contains(line, tc.want) {
				t.Errorf("Delayed line %q: want %q in it\n%s", line, tc.want, strings.Join(h.log.Lines(), "\n"))
			}
			m, ok := h.q.Get(mid)
			if !ok || m.Rcpts[0].State != queue.Attempted || m.Rcpts[0].Attempts != 1 || m.Rcpts[0].NextAttempt.IsZero() {
				t.Fatalf("after %s: message %+v (found %v), want it queued for a retry", tc.name, m, ok)
			}
			if n := len(h.q.bounces()); n != 0 {
				t.Fatalf("%d DSNs for a soft failure", n)
			}
			t.Logf("%s: soft failure in %v: %s", tc.name, took.Round(time.Millisecond), line)

			// The destination behaves again: the retry delivers it,
			// once.
			fixed := h.cfg.Load().Clone()
			fixed.System.Routes = []store.SMTPRoute{{Domain: domain, Hosts: []string{good.addr}}}
			fixed.Destinations = nil
			h.cfg.Store(fixed)
			h.tick(time.Hour)
			h.waitFinished(mid)
			if got := good.received(); len(got) != 1 {
				t.Fatalf("the good receiver got %d copies, want 1", len(got))
			}
			if st := h.q.state(mid, 0); st != queue.Delivered {
				t.Errorf("state %d after the retry, want Delivered", st)
			}
		})
	}
}
