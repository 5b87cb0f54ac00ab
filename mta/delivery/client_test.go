package delivery

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/mta/queue"
	"seg/store"
)

// rawServer is a scripted SMTP server that shows how the client talks:
// which commands came, and whether they were pipelined. With pipelining
// offered it holds every reply until DATA (or QUIT/RSET/NOOP) arrives, so
// a client that waited for the reply to MAIL would hang; without, it
// fails the session if a command arrives before the previous reply went
// out (RFC 2920 section 3.1: a client may pipeline only when offered).
type rawServer struct {
	t    *testing.T
	addr string
	ehlo func() string            // the reply to EHLO (default: 250 with PIPELINING when pipe)
	pipe bool                     // offer PIPELINING
	rcpt func(to string) string   // reply to RCPT (default 250)
	mail string                   // reply to MAIL (default 250)
	data func(nrcpt int) string   // reply to DATA (default 354 when a RCPT was accepted, else 554)
	done func(body string) string // reply to the final dot (default 250)

	mu     sync.Mutex
	cmds   []string // every command line, in order ("." for a lone final dot)
	bodies []string // every message body received, dot-stuffing undone
	early  []string // commands that came before the previous reply (no PIPELINING)
}

func newRawServer(t *testing.T, setup func(*rawServer)) *rawServer {
	t.Helper()
	s := &rawServer{t: t}
	setup(s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *rawServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	var held []string
	reply := func(line string) { held = append(held, line) }
	flush := func() {
		c.Write([]byte(strings.Join(held, "")))
		held = held[:0]
	}
	reply("220 raw.test ESMTP\r\n")
	flush()
	accepted := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		s.mu.Lock()
		s.cmds = append(s.cmds, line)
		if !s.pipe && r.Buffered() > 0 {
			s.early = append(s.early, line)
		}
		s.mu.Unlock()
		switch verb {
		case "EHLO":
			if s.ehlo != nil {
				reply(s.ehlo())
			} else if s.pipe {
				reply("250-raw.test\r\n250-SIZE 10000000\r\n250 PIPELINING\r\n")
			} else {
				reply("250-raw.test\r\n250 SIZE 10000000\r\n")
			}
		case "HELO":
			reply("250 raw.test\r\n")
		case "MAIL":
			accepted = 0
			reply(or(s.mail, "250 2.1.0 Ok") + "\r\n")
		case "RCPT":
			to := strings.TrimSuffix(strings.TrimPrefix(line[len("RCPT TO:"):], "<"), ">")
			rep := "250 2.1.5 Ok"
			if s.rcpt != nil {
				rep = s.rcpt(to)
			}
			if rep[0] == '2' {
				accepted++
			}
			reply(rep + "\r\n")
			if strings.HasPrefix(rep, "421") {
				// RFC 5321 section 3.8: the server closes after a 421.
				flush()
				return
			}
		case "DATA":
			rep := "554 5.5.1 Error: no valid recipients"
			if accepted > 0 {
				rep = "354 End data with <CR><LF>.<CR><LF>"
			}
			if s.data != nil {
				rep = s.data(accepted)
			}
			reply(rep + "\r\n")
			flush()
			if rep[0] != '3' {
				continue
			}
			var body bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				body.WriteString(strings.TrimPrefix(l, "."))
			}
			s.mu.Lock()
			if body.Len() == 0 {
				s.cmds = append(s.cmds, ".")
			}
			s.bodies = append(s.bodies, body.String())
			s.mu.Unlock()
			rep = "250 2.0.0 Ok: queued"
			if s.done != nil {
				rep = s.done(body.String())
			}
			reply(rep + "\r\n")
		case "QUIT":
			reply("221 2.0.0 Bye\r\n")
			flush()
			return
		case "RSET", "NOOP":
			reply("250 2.0.0 Ok\r\n")
		default:
			reply("502 5.5.2 Error: command not recognized\r\n")
		}
		if !s.pipe || verb != "MAIL" && verb != "RCPT" {
			flush()
		}
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s *rawServer) seen() (cmds, bodies, early []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...), append([]string(nil), s.bodies...), append([]string(nil), s.early...)
}

func rawRoute(domain string, s *rawServer) func(*store.Config) {
	return func(c *store.Config) {
		c.System.Routes = append(c.System.Routes, store.SMTPRoute{Domain: domain, Hosts: []string{s.addr}})
	}
}

// verbs is the first word of each command.
func verbs(cmds []string) string {
	var v []string
	for _, c := range cmds {
		v = append(v, strings.Fields(c + " x")[0])
	}
	return strings.Join(v, " ")
}

func TestPipelinedTransaction(t *testing.T) {
	srv := newRawServer(t, func(s *rawServer) {
		s.pipe = true
		s.rcpt = func(to string) string {
			if strings.HasPrefix(to, "gone@") {
				return "550 5.1.1 No such user"
			}
			return "250 2.1.5 Ok"
		}
	})
	h := newHarness(t, rawRoute("example.test", srv))
	h.start()
	body := "Subject: dots\r\n\r\n.leading dot\r\n..two\r\nbare\nlf\r\n.\r\nend"
	mid := h.sendBody("alice@src.test", body, "a@example.test", "gone@example.test", "b@example.test")
	h.waitFinished(mid)
	for rid, want := range []queue.State{queue.Delivered, queue.HardBounced, queue.Delivered} {
		if st := h.q.state(mid, rid); st != want {
			t.Errorf("RID %d state %d, want %d", rid, st, want)
		}
	}
	cmds, bodies, _ := srv.seen()
	if got := verbs(cmds); !strings.HasPrefix(got, "EHLO MAIL RCPT RCPT RCPT DATA") {
		t.Errorf("commands %q", got)
	}
	if !strings.Contains(cmds[1], " SIZE=") {
		t.Errorf("MAIL without SIZE to a server that offers it: %q", cmds[1])
	}
	want := "Subject: dots\r\n\r\n.leading dot\r\n..two\r\nbare\r\nlf\r\n.\r\nend\r\n"
	if len(bodies) != 1 || bodies[0] != want {
		t.Errorf("body arrived as %q, want %q", bodies, want)
	}
}

func TestPipelinedNoRecipientAccepted(t *testing.T) {
	for _, tc := range []struct {
		name string
		data func(int) string
		want string // the commands after the RCPTs
	}{
		{"server refuses DATA", nil, "DATA RSET"},
		// A server that says 354 with no recipient gets the final dot
		// alone (RFC 2920 section 3.1) and the session stays in step.
		{"server says 354 anyway", func(int) string { return "354 go ahead" }, "DATA . RSET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRawServer(t, func(s *rawServer) {
				s.pipe = true
				s.rcpt = func(string) string { return "550 5.1.1 No such user" }
				s.data = tc.data
				s.done = func(string) string { return "554 5.5.1 no valid recipients" }
			})
			h := newHarness(t, rawRoute("example.test", srv))
			h.start()
			mid := h.send("alice@src.test", "a@example.test", "b@example.test")
			h.waitFinished(mid)
			for rid := range 2 {
				if st := h.q.state(mid, rid); st != queue.HardBounced {
					t.Errorf("RID %d state %d, want HardBounced", rid, st)
				}
			}
			// The connection is still good: a second message goes on it.
			mid2 := h.send("alice@src.test", "c@example.test")
			h.waitFinished(mid2)
			cmds, _, _ := srv.seen()
			got := verbs(cmds)
			if !strings.HasPrefix(got, "EHLO MAIL RCPT RCPT "+tc.want+" MAIL RCPT") {
				t.Errorf("commands %q, want the RCPTs followed by %q", got, tc.want)
			}
		})
	}
}

func TestLockstepWithoutPipelining(t *testing.T) {
	srv := newRawServer(t, func(s *rawServer) {
		s.rcpt = func(to string) string {
			if strings.HasPrefix(to, "full@") {
				return "452 4.2.2 Mailbox full"
			}
			return "250 2.1.5 Ok"
		}
	})
	h := newHarness(t, rawRoute("example.test", srv))
	h.start()
	mid := h.send("alice@src.test", "full@example.test", "a@example.test")
	h.wait("RID 1 delivered, RID 0 delayed", func() bool {
		return h.q.state(mid, 1) == queue.Delivered && len(h.lines("Delayed:", "Mailbox full")) == 1
	})
	if st := h.q.state(mid, 0); st != queue.Attempted {
		t.Errorf("RID 0 state %d, want Attempted (soft bounce, retried later)", st)
	}
	cmds, _, early := srv.seen()
	if len(early) > 0 {
		t.Errorf("commands sent before the previous reply to a server without PIPELINING: %q", early)
	}
	if got := verbs(cmds); !strings.HasPrefix(got, "EHLO MAIL RCPT RCPT DATA") {
		t.Errorf("commands %q", got)
	}
}

func TestMailRefusedStopsTransaction(t *testing.T) {
	for _, pipe := range []bool{false, true} {
		t.Run(fmt.Sprintf("pipelining=%v", pipe), func(t *testing.T) {
			srv := newRawServer(t, func(s *rawServer) {
				s.pipe = pipe
				s.mail = "553 5.1.8 Sender refused"
				s.data = func(int) string { return "503 5.5.1 Error: need MAIL command" }
			})
			h := newHarness(t, rawRoute("example.test", srv))
			h.start()
			mid := h.send("alice@src.test", "a@example.test")
			h.waitFinished(mid)
			if st := h.q.state(mid, 0); st != queue.HardBounced {
				t.Errorf("state %d, want HardBounced", st)
			}
			if l := h.lines("Bounced:", "Sender refused"); len(l) != 1 {
				t.Errorf("no Bounced line with MAIL's reply:\n%s", strings.Join(h.log.Lines(), "\n"))
			}
			cmds, bodies, _ := srv.seen()
			want := "EHLO MAIL RSET"
			if pipe {
				want = "EHLO MAIL RCPT DATA RSET"
			}
			if got := verbs(cmds); !strings.HasPrefix(got, want) || len(bodies) != 0 {
				t.Errorf("commands %q (bodies %d), want %q then nothing sent", got, len(bodies), want)
			}
		})
	}
}

func TestHeloFallback(t *testing.T) {
	srv := newRawServer(t, func(s *rawServer) {
		s.ehlo = func() string { return "502 5.5.2 Error: command not recognized\r\n" }
	})
	h := newHarness(t, rawRoute("example.test", srv))
	h.start()
	mid := h.send("alice@src.test", "a@example.test")
	h.waitFinished(mid)
	if st := h.q.state(mid, 0); st != queue.Delivered {
		t.Errorf("state %d, want Delivered", st)
	}
	cmds, _, early := srv.seen()
	if got := verbs(cmds); !strings.HasPrefix(got, "EHLO HELO MAIL RCPT DATA") || len(early) > 0 {
		t.Errorf("commands %q (early %q)", got, early)
	}
	if cmds[2] != "MAIL FROM:<alice@src.test>" {
		t.Errorf("MAIL to a HELO server carries parameters: %q", cmds[2])
	}
}

func TestWriteBody(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ".\r\n"},
		{"a\r\n", "a\r\n.\r\n"},
		{"a", "a\r\n.\r\n"},
		{".", "..\r\n.\r\n"},
		{".\r\n.\r\n", "..\r\n..\r\n.\r\n"},
		{"x\n.y\n", "x\r\n..y\r\n.\r\n"},
		{"x\r\n\r\n.\r\nz", "x\r\n\r\n..\r\nz\r\n.\r\n"},
	} {
		var buf bytes.Buffer
		c := &client{w: bufio.NewWriter(&buf)}
		c.writeBody([]byte(tc.in))
		c.w.Flush()
		if buf.String() != tc.want {
			t.Errorf("writeBody(%q) = %q, want %q", tc.in, buf.String(), tc.want)
		}
	}
}

// TestRcpt421EndsTransaction: a 421 to one RCPT closes the session;
// every recipient of the transaction is retried (none was delivered),
// pipelined or not, and no body is sent.
func TestRcpt421EndsTransaction(t *testing.T) {
	for _, pipe := range []bool{false, true} {
		t.Run(fmt.Sprintf("pipelining=%v", pipe), func(t *testing.T) {
			srv := newRawServer(t, func(s *rawServer) {
				s.pipe = pipe
				s.rcpt = func(to string) string {
					if strings.HasPrefix(to, "b@") {
						return "421 4.3.2 Shutting down"
					}
					return "250 2.1.5 Ok"
				}
			})
			h := newHarness(t, rawRoute("example.test", srv))
			h.start()
			mid := h.send("alice@src.test", "a@example.test", "b@example.test", "c@example.test")
			// Each recipient gets its Delayed line: the 421's text, or
			// (pipelined, their replies never came) the closed session.
			h.wait("every recipient delayed", func() bool {
				return len(h.lines("Delayed:", fmt.Sprintf("MID %d ", mid))) == 3 && len(h.lines("Delayed:", "Shutting down")) >= 1
			})
			for rid := range 3 {
				if st := h.q.state(mid, rid); st != queue.Attempted {
					t.Errorf("RID %d state %d, want Attempted (retried later)", rid, st)
				}
			}
			_, bodies, _ := srv.seen()
			if len(bodies) != 0 {
				t.Errorf("a body was sent after the 421: %q", bodies)
			}
		})
	}
}

// TestEachReplyHasItsOwnTimeout: the command timeout bounds each reply,
// not the whole envelope (RFC 5321 section 4.5.3.2): a server that takes
// most of it for each of several RCPTs still gets the message, pipelined
// or not.
func TestEachReplyHasItsOwnTimeout(t *testing.T) {
	const timeout = 400 * time.Millisecond
	for _, pipe := range []bool{false, true} {
		t.Run(fmt.Sprintf("pipelining=%v", pipe), func(t *testing.T) {
			srv := newRawServer(t, func(s *rawServer) {
				s.pipe = pipe
				s.rcpt = func(string) string {
					time.Sleep(timeout * 6 / 10) // a slow recipient lookup
					return "250 2.1.5 Ok"
				}
			})
			h := newHarness(t, rawRoute("example.test", srv))
			h.cmdTO = timeout
			h.start()
			mid := h.send("alice@src.test", "a@example.test", "b@example.test", "c@example.test")
			h.waitFinished(mid)
			for rid := range 3 {
				if st := h.q.state(mid, rid); st != queue.Delivered {
					t.Errorf("RID %d state %d, want Delivered", rid, st)
				}
			}
		})
	}
}
