package smtpd

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Real clients against a real listener: go-smtp's client, Python's
// smtplib and swaks, each from its own loopback address.

func TestGoSMTPClient(t *testing.T) {
	e := newEnv(t, testConfig())
	conn, err := dialRaw(e.addr("IncomingMail"), "127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello("gosmtp.test"); err != nil {
		t.Fatal(err)
	}
	if ok, size := c.Extension("SIZE"); !ok || size != "10485760" {
		t.Errorf("SIZE extension %v %q", ok, size)
	}
	if ok, _ := c.Extension("CHUNKING"); ok {
		t.Errorf("CHUNKING advertised")
	}
	if err := c.Mail("g@sender.test", &smtp.MailOptions{Size: 100}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("d@example.com", nil); err != nil {
		t.Fatal(err)
	}
	var se *smtp.SMTPError
	if err := c.Rcpt("d@far.test", nil); !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Errorf("outside recipient: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	body := "Subject: from go-smtp\r\n\r\n.hidden dot\r\nend\r\n"
	w.Write([]byte(body))
	resp, err := w.CloseWithResponse()
	if err != nil || resp.StatusText != "2.0.0 Ok: queued as 1" {
		t.Fatalf("DATA: %+v %v", resp, err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	m := e.q.messages()[0]
	if !strings.HasSuffix(string(m.body), "\r\n"+body) || !strings.HasPrefix(string(m.body), "Received: from gosmtp.test ([127.0.0.3])") {
		t.Errorf("stored %q", m.body)
	}
}

func TestPythonSmtplib(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed for this test: %v", err)
	}
	e := newEnv(t, testConfig())
	host, port, _ := net.SplitHostPort(e.addr("IncomingMail"))
	script := `
import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname='py.test', source_address=('127.0.0.2', 0), timeout=10)
code, banner = s.ehlo()
print('ehlo', code, s.esmtp_features.get('size'), s.has_extn('pipelining'), s.has_extn('8bitmime'))
print('mail', *s.mail('py@sender.test'))
print('rcpt', *s.rcpt('a@example.com'))
print('rcpt', *s.rcpt('b@far.test'))
code, msg = s.data(b'Subject: from python\r\n\r\n.dot line\r\n\xe9\r\nend\r\n')
print('data', code, msg.decode())
s.quit()
`
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "-c", script, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	want := "ehlo 250 10485760 True True\n" +
		"mail 250 b'2.0.0 Roger, accepting mail from <py@sender.test>'\n" +
		"rcpt 250 b\"2.0.0 I'll make sure <a@example.com> gets this\"\n" +
		"rcpt 550 b'5.7.1 Recipient address rejected'\n" +
		"data 250 2.0.0 Ok: queued as 1\n"
	if string(out) != want {
		t.Errorf("python said:\n%s\nwant:\n%s", out, want)
	}
	m := e.q.messages()[0]
	if !strings.HasSuffix(string(m.body), "\r\nSubject: from python\r\n\r\n.dot line\r\n\xe9\r\nend\r\n") {
		t.Errorf("stored %q", m.body)
	}
	e.waitLog("Info: MID 1 Subject 'from python'")
}

func TestSwaks(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Fatalf("swaks is needed for this test: %v", err)
	}
	e := newEnv(t, testConfig())
	host, port, _ := net.SplitHostPort(e.addr("IncomingMail"))
	run := func(to string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, swaks, "--server", host, "--port", port, "--local-interface", "127.0.0.3",
			"--ehlo", "swaks.test", "--from", "sw@sender.test", "--to", to,
			"--header", "Subject: from swaks", "--body", "hello from swaks")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("swaks: %v", err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	out, code := run("c@example.com")
	if code != 0 || !strings.Contains(out, "<-  250 2.0.0 Ok: queued as 1") || !strings.Contains(out, "<-  220 mx.seg.test ESMTP") {
		t.Fatalf("swaks exit %d:\n%s", code, out)
	}
	out, code = run("c@far.test")
	if code == 0 || !strings.Contains(out, "<** 550 5.7.1 Recipient address rejected") {
		t.Fatalf("swaks to an outside address, exit %d:\n%s", code, out)
	}
	if n := len(e.q.messages()); n != 1 {
		t.Errorf("%d messages queued", n)
	}
	e.waitLog("Info: MID 1 Subject 'from swaks'")
	e.waitLog("Info: New SMTP ICID 1 interface Management (127.0.0.1) address 127.0.0.3 reverse dns host unknown verified no")
}
