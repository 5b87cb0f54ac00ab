package mailtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// mxAddr is the loopback address of the MX-path receiving server. MX
// delivery dials port 25 (RFC 5321 section 5.1; mta/delivery/route.go),
// so that server listens on 127.0.0.42:25, an address no other test uses.
const mxAddr = "127.0.0.42:25"

// original is a message as a client means it, CRLF line ends: header
// fields, 8-bit text, lines starting with dots (stuffed on the wire), a
// 998-octet line (RFC 5321 section 4.5.3.1.6), trailing white space.
func original(client, token, to string) []byte {
	lines := []string{
		"From: Sender <sender@client.test>",
		"To: <" + to + ">",
		"Subject: e2e " + client + " " + token,
		"Message-ID: <" + token + "@client.test>",
		"Date: Mon, 23 Nov 2026 10:00:00 +0000",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Transfer-Encoding: 8bit",
		"",
		"First line of " + token + ".",
		".a line that starts with a dot",
		"..two dots",
		".",
		"Ünïcödé 8-bit text: grüße, ½, €",
		"trailing white space \t ",
		strings.Repeat("x", 998),
		"",
		"last line",
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// send is one client sending one message to seg, for one or more
// recipients (smtp-source: one). It returns the MID when
// the client shows seg's reply (else 0), and the message as the client
// puts it on the wire, dot-stuffing undone: swaks and smtp-source end
// the data with an empty line of their own ("\r\n" before the final
// dot; seen with a raw socket), smtplib sends it as given.
type send func(t *testing.T, addr, from string, to []string, msg []byte) (int64, []byte)

func sendSwaks(t *testing.T, addr, from string, to []string, msg []byte) (int64, []byte) {
	f := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(f, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(addr, ":")
	out := run(t, "swaks", "--server", host, "--port", port, "--helo", "swaks.test",
		"--from", from, "--to", strings.Join(to, ","), "--data", f, "--timeout", "30")
	return midOf(t, out), append(msg, "\r\n"...)
}

func sendPython(t *testing.T, addr, from string, to []string, msg []byte) (int64, []byte) {
	f := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(f, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(addr, ":")
	const script = `
import smtplib, sys
host, port, sender, rcpts, path = sys.argv[1:]
s = smtplib.SMTP(host, int(port), local_hostname="python.test", timeout=30)
s.ehlo("python.test")
code, reply = s.mail(sender)
assert code == 250, (code, reply)
for rcpt in rcpts.split(","):
    code, reply = s.rcpt(rcpt)
    assert code == 250, (code, reply)
code, reply = s.data(open(path, "rb").read())
assert code == 250, (code, reply)
print(code, reply.decode())
s.quit()
`
	out := run(t, "python3", "-c", script, host, port, from, strings.Join(to, ","), f)
	return midOf(t, out), msg
}

// sendSMTPSource sends with Postfix's smtp-source -F, which sends the
// file's lines with CRLF appended: the file has bare LF ends. It does not
// show the reply, so the MID is found in mail_logs by the caller. It
// says HELO, not EHLO.
func sendSMTPSource(t *testing.T, addr, from string, to []string, msg []byte) (int64, []byte) {
	if len(to) != 1 {
		t.Fatalf("smtp-source sends to one recipient, not %d", len(to))
	}
	f := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(f, bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "smtp-source", "-M", "smtp-source.test", "-f", from, "-t", to[0], "-m", "1", "-s", "1", "-F", f, addr)
	return 0, append(msg, "\r\n"...)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(segtest.Tool(t, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s: no exit within 60 s\n%s", name, &out)
	}
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, &out)
	}
	return out.String()
}

var queuedAs = regexp.MustCompile(`queued as (\d+)`)

func midOf(t *testing.T, out string) int64 {
	t.Helper()
	m := queuedAs.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no \"queued as MID\" reply in the client's output:\n%s", out)
	}
	mid, _ := strconv.ParseInt(m[1], 10, 64)
	return mid
}

// TestClients sends with swaks, Python's smtplib and smtp-source through
// seg, (a) over an SMTP route to a sink on a high port and (b) by MX
// records from a real DNS server to a sink on 127.0.0.42:25, and checks
// that each message arrives byte for byte, seg's Received field aside.
func TestClients(t *testing.T) {
	routed := segtest.NewSink(t, segtest.SinkOptions{})
	mx := segtest.NewSink(t, segtest.SinkOptions{Addr: mxAddr})
	dnsAddr := segtest.NewDNS(t,
		"mx.test. 300 IN MX 10 mx1.mx.test.",
		"mx1.mx.test. 300 IN A 127.0.0.42",
		// Nothing listens on 127.0.0.43:25: the better MX refuses, the
		// next one takes the mail.
		"fallback.test. 300 IN MX 10 dead.fallback.test.",
		"fallback.test. 300 IN MX 20 mx1.mx.test.",
		"dead.fallback.test. 300 IN A 127.0.0.43",
		// No MX: the domain's own address is the implicit MX (RFC 5321
		// section 5.1).
		"implicit.test. 300 IN A 127.0.0.42",
	)
	a := segtest.New(t,
		"smtproutes new route.test "+routed.Addr(),
		"dnsconfig setup --servers "+dnsAddr,
	)
	a.Start()
	clients := []struct {
		name  string
		send  send
		helo  string
		proto string // RFC 3848: ESMTP after EHLO, SMTP after HELO
	}{
		{"swaks", sendSwaks, "swaks.test", "ESMTP"},
		{"python", sendPython, "python.test", "ESMTP"},
		{"smtp-source", sendSMTPSource, "smtp-source.test", "SMTP"},
	}
	paths := []struct {
		name string
		rcpt string
		sink *segtest.Sink
	}{
		{"route", "rcpt@route.test", routed},
		{"mx", "rcpt@mx.test", mx},
	}
	for _, p := range paths {
		for _, c := range clients {
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				token := fmt.Sprintf("%s-%s-%d", p.name, c.name, time.Now().UnixNano())
				msg := original(c.name, token, p.rcpt)
				before := p.sink.Count()
				mid, wire := c.send(t, a.SMTPAddr(), "sender@client.test", []string{p.rcpt}, msg)
				log := a.WaitLog(t, token, 10*time.Second)
				if mid == 0 {
					m := regexp.MustCompile(`MID (\d+) Subject '[^']*` + regexp.QuoteMeta(token)).FindStringSubmatch(log)
					if m == nil {
						t.Fatalf("no Subject line for %s in mail_logs", token)
					}
					mid, _ = strconv.ParseInt(m[1], 10, 64)
				}
				got := p.sink.WaitCount(t, before+1, 20*time.Second)[before]
				if got.From != "sender@client.test" || len(got.Rcpts) != 1 || got.Rcpts[0] != p.rcpt {
					t.Errorf("envelope: from %q to %q, want sender@client.test to %s", got.From, got.Rcpts, p.rcpt)
				}
				rcv, rest, err := segtest.SplitReceived(got.Data)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(rest, wire) {
					t.Errorf("message changed in transit:\n got %q\nwant %q", rest, wire)
				}
				want := regexp.MustCompile(`^Received: from ` + regexp.QuoteMeta(c.helo) + ` \(\[127\.0\.0\.1\]\)\r\n` +
					`\tby seg\.localdomain with ` + c.proto + ` id ` + strconv.FormatInt(mid, 10) + `\r\n` +
					`\tfor <` + regexp.QuoteMeta(p.rcpt) + `>; [A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n$`)
				if !want.Match(rcv) {
					t.Errorf("Received field %q does not match %s", rcv, want)
				}
				a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 10*time.Second)
			})
		}
	}
	if n := routed.Count() + mx.Count(); n != len(clients)*len(paths) {
		t.Errorf("the sinks received %d messages, want %d", n, len(clients)*len(paths))
	}

	for _, rcpt := range []string{"rcpt@fallback.test", "rcpt@implicit.test"} {
		before := mx.Count()
		msg := plainMessage(rcpt, "mx "+rcpt, rcpt+".id@client.test")
		mid, err := segtest.Client{}.Send(a.SMTPAddr(), "sender@client.test", []string{rcpt}, msg)
		if err != nil {
			t.Fatal(err)
		}
		got := mx.WaitCount(t, before+1, 20*time.Second)[before]
		if _, rest, err := segtest.SplitReceived(got.Data); err != nil || got.Rcpts[0] != rcpt || !bytes.Equal(rest, msg) {
			t.Errorf("%s: got %q for %q (%v)", rcpt, got.Data, got.Rcpts, err)
		}
		a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 10*time.Second)
	}
	log := a.MailLog()
	if !regexp.MustCompile(`Connection Error: DCID \d+ domain: fallback\.test IP: 127\.0\.0\.43 port: 25 .*reason: connection refused`).MatchString(log) {
		t.Errorf("no Connection Error line for the dead MX of fallback.test; log ends:\n%s", tailLines(log, 30))
	}
	a.Stop()
}
