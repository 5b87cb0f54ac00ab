package tdctest

// The end-to-end tests drive the real binary, built once by TestMain:
// offline configuration with `seg cli`, then `seg run` as a child
// process, mail from real clients (go-smtp, python3 smtplib, swaks) to
// its listener, and Sinks in this process as the destination and the
// message intakes, reached by smtproutes. Everything is on 127.0.0.1.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

func TestMain(m *testing.M) { segtest.Main(m) }

const adminPassword = "tdctest-password"

// env is the environment of the processes: the test's own without SEG_*
// variables, and the initial admin password.
func env() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SEG_") {
			out = append(out, kv)
		}
	}
	return append(out, "SEG_ADMIN_PASSWORD="+adminPassword)
}

// run runs a command to its end (at most 2 minutes) and returns its
// stdout, stderr and exit status.
func run(t *testing.T, stdin string, name string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %s: timed out", name, strings.Join(args, " "))
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	return out.String(), errb.String(), 0
}

// cli runs `seg cli --data dir ARGS...` and fails the test unless it
// exits 0.
func cli(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, errs, code := run(t, "", segtest.Binary(t), append([]string{"cli", "--data", dir}, args...)...)
	if code != 0 {
		t.Fatalf("seg cli %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func newSink(t *testing.T, o SinkOptions) *Sink {
	t.Helper()
	s, err := NewSink(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// appliance is a configured data dir and, once started, its `seg run`.
type appliance struct {
	t    *testing.T
	dir  string
	port int // the IncomingMail listener

	cmd     *exec.Cmd
	out     *segtest.SyncBuffer
	done    chan struct{}
	waitErr error
}

// baseConfig: the listener and SSH on free ports; 127.0.0.1 sends as a
// trusted incoming host (ALLOWED_LIST, $TRUSTED), 127.0.0.2 relays
// (RELAYLIST); the RAT accepts example.test and its subdomains, which are
// routed to dest; intake.test is routed to intake; TDC is enabled with
// journal@intake.test, and the DEFAULT incoming policy uses it.
func baseConfig(port, sshPort int, dest, intake string) []string {
	hat := "listenerconfig edit IncomingMail hostaccess edit sendergroup "
	return []string{
		fmt.Sprintf("listenerconfig edit IncomingMail setup --port %d", port),
		fmt.Sprintf("sshconfig setup --port %d", sshPort),
		hat + "RELAYLIST --remove 127.0.0.1",
		hat + "RELAYLIST --add 127.0.0.2",
		hat + "ALLOWED_LIST --add 127.0.0.1",
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"listenerconfig edit IncomingMail rcptaccess new .example.test ACCEPT",
		"smtproutes new example.test " + dest,
		"smtproutes new .example.test " + dest,
		"smtproutes new elsewhere.test " + dest,
		"smtproutes new intake.test " + intake,
		"tdcconfig setup --enable yes --intake journal@intake.test",
		"policyconfig incoming edit DEFAULT --tdc default",
	}
}

// newAppliance configures a new data dir offline: baseConfig, then
// extra, in one commit.
func newAppliance(t *testing.T, dest, intake string, extra ...string) *appliance {
	t.Helper()
	a := &appliance{t: t, dir: t.TempDir(), port: segtest.FreePort(t)}
	cmds := append(baseConfig(a.port, segtest.FreePort(t), dest, intake), extra...)
	cli(t, a.dir, strings.Join(append(cmds, `commit "tdctest"`), " ; "))
	return a
}

// start runs `seg run` and waits until the listener accepts.
func (a *appliance) start() {
	t := a.t
	t.Helper()
	a.out, a.done = &segtest.SyncBuffer{}, make(chan struct{})
	a.cmd = exec.Command(segtest.Binary(t), "run", "--data", a.dir)
	a.cmd.Env = env()
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		a.waitErr = a.cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(a.kill)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("tcp", a.addr()); err == nil {
			c.Close()
			if _, err := os.Stat(filepath.Join(a.dir, "seg.sock")); err == nil {
				return
			}
		}
		select {
		case <-a.done:
			t.Fatalf("seg run exited: %v\n%s", a.waitErr, a.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("seg run: nothing listens on %s after 30 s\n%s", a.addr(), a.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (a *appliance) addr() string { return "127.0.0.1:" + strconv.Itoa(a.port) }

// stop sends SIGTERM and checks that seg exits 0.
func (a *appliance) stop() {
	a.t.Helper()
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		a.cmd.Process.Kill()
		<-a.done
		a.t.Fatalf("seg run did not stop on SIGTERM\n%s", a.out)
	}
	if a.waitErr != nil {
		a.t.Errorf("seg run: %v\n%s", a.waitErr, a.out)
	}
}

func (a *appliance) kill() {
	if a.cmd == nil {
		return
	}
	select {
	case <-a.done:
	default:
		a.cmd.Process.Kill()
		<-a.done
	}
}

// cli runs a command against the running appliance.
func (a *appliance) cli(args ...string) string {
	a.t.Helper()
	return cli(a.t, a.dir, args...)
}

// mailLog is DATA/logs/mail_logs as it is on disk now: the lines after
// the "{ctime} " stamp.
func (a *appliance) mailLog() []string {
	b, _ := os.ReadFile(filepath.Join(a.dir, "logs", "mail_logs"))
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		// "Mon Nov 23 22:22:23 2026 Info: ..." : the stamp is 24 bytes.
		if len(l) > 25 {
			out = append(out, l[25:])
		}
	}
	return out
}

// count is how many mail_logs lines contain every one of subs.
func (a *appliance) count(subs ...string) int {
	n := 0
next:
	for _, l := range a.mailLog() {
		for _, s := range subs {
			if !strings.Contains(l, s) {
				continue next
			}
		}
		n++
	}
	return n
}

// wait polls cond (mail_logs is written with a short delay) until it
// holds, failing after d.
func (a *appliance) wait(d time.Duration, what string, cond func() bool) {
	a.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			a.t.Fatalf("timed out after %v waiting for %s\nmail_logs:\n%s", d, what, strings.Join(a.mailLog(), "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLog waits for a line containing all of subs.
func (a *appliance) waitLog(subs ...string) {
	a.t.Helper()
	a.wait(20*time.Second, fmt.Sprintf("a line with %q", subs), func() bool { return a.count(subs...) > 0 })
}

// mustLog fails unless each line ("Info: ...") is in mail_logs.
func (a *appliance) mustLog(lines ...string) {
	a.t.Helper()
	all := a.mailLog()
	for _, l := range lines {
		found := false
		for _, x := range all {
			found = found || x == l
		}
		if !found {
			a.t.Errorf("missing log line %q\nmail_logs:\n%s", l, strings.Join(all, "\n"))
		}
	}
}

// midOf reads the MID from a "250 ... queued as N" reply.
func midOf(t *testing.T, reply string) int64 {
	t.Helper()
	_, id, _ := strings.Cut(reply, "queued as ")
	mid, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil {
		t.Fatalf("no MID in %q", reply)
	}
	return mid
}

// sendGo sends messages with the go-smtp client over one session and
// returns their MIDs.
func sendGo(t *testing.T, addr string, n int, from string, rcpts []string, body string) []int64 {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("go-client.test"); err != nil {
		t.Fatal(err)
	}
	var mids []int64
	for i := 0; i < n; i++ {
		if err := c.Mail(from, nil); err != nil {
			t.Fatalf("MAIL: %v", err)
		}
		for _, r := range rcpts {
			if err := c.Rcpt(r, nil); err != nil {
				t.Fatalf("RCPT %s: %v", r, err)
			}
		}
		w, err := c.Data()
		if err != nil {
			t.Fatalf("DATA: %v", err)
		}
		io.WriteString(w, body)
		resp, err := w.CloseWithResponse()
		if err != nil {
			t.Fatalf("end of DATA: %v", err)
		}
		mids = append(mids, midOf(t, resp.StatusText))
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	return mids
}

// pythonSend is a python3 smtplib client: argv port from rcpt,rcpt...;
// the message on stdin, sent as bytes (no line ending conversion). It
// prints the reply to DATA.
const pythonSend = `
import smtplib, sys
port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
msg = sys.stdin.buffer.read()
s = smtplib.SMTP("127.0.0.1", port, local_hostname="py-client.test")
s.ehlo()
s.mail(sender)
for r in rcpts:
    code, text = s.rcpt(r)
    assert code == 250, (code, text)
code, text = s.data(msg)
print(code, text.decode())
s.quit()
`

func sendPython(t *testing.T, port int, from string, rcpts []string, body string) int64 {
	t.Helper()
	out, errs, code := run(t, body, "python3", "-c", pythonSend, strconv.Itoa(port), from, strings.Join(rcpts, ","))
	if code != 0 || !strings.HasPrefix(out, "250 ") {
		t.Fatalf("python3 smtplib: exit %d\n%s%s", code, out, errs)
	}
	return midOf(t, out)
}

// sendSwaks sends body with swaks --data @FILE. swaks ends the data
// with CRLF "." CRLF whatever the file ends with, so the file holds body
// without its last CRLF, and swaks sends body exactly.
func sendSwaks(t *testing.T, port int, from string, rcpts []string, body string) int64 {
	t.Helper()
	file := filepath.Join(t.TempDir(), "message.eml")
	if err := os.WriteFile(file, []byte(strings.TrimSuffix(body, "\r\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code := run(t, "", "swaks", "--server", "127.0.0.1:"+strconv.Itoa(port), "--helo", "swaks-client.test",
		"--from", from, "--to", strings.Join(rcpts, ","), "--data", "@"+file)
	if code != 0 {
		t.Fatalf("swaks: exit %d\n%s%s", code, out, errs)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "<-  250 ") && strings.Contains(l, "queued as") {
			return midOf(t, l)
		}
	}
	t.Fatalf("swaks: no 250 for DATA\n%s", out)
	return 0
}

// rfc822Part returns a journal copy's message/rfc822 part, as the
// standard library's MIME reader takes it apart.
func rfc822Part(t *testing.T, raw []byte) (mail.Header, []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("journal does not parse: %v\n%s", err, raw)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("journal Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	if _, err := mr.NextRawPart(); err != nil {
		t.Fatal(err)
	}
	p, err := mr.NextRawPart()
	if err != nil {
		t.Fatal(err)
	}
	if ct := p.Header.Get("Content-Type"); ct != "message/rfc822" {
		t.Fatalf("second part is %q", ct)
	}
	b, err := io.ReadAll(p)
	if err != nil {
		t.Fatal(err)
	}
	return msg.Header, b
}
