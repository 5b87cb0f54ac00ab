package main

// Issue 8, point 7: a commit that moves a listener or the SSH server onto
// a port that cannot be bound must be refused before it is written, and
// a bind that fails anyway (at start-up) must show, not hide.

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

// holdPort binds a free port on 127.0.0.1 for the rest of the test, as
// another program holding it would.
func holdPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// banner dials addr and returns the first line the server sends.
func banner(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the banner of %s: %v", addr, err)
	}
	return strings.TrimSpace(line)
}

// The attack of the issue: the commit onto a held port printed "Changes
// committed", SMTP went dark and status said Online.
func TestCommitOntoHeldPortIsRefused(t *testing.T) {
	a := segtest.New(t)
	a.Start()
	busy := holdPort(t)
	busyAddr := "127.0.0.1:" + strconv.Itoa(busy)

	for _, tc := range []struct {
		name, cmd, what, printCmd, wantPrinted string
	}{
		{"listener", fmt.Sprintf("listenerconfig edit IncomingMail setup --port %d", busy), "listener IncomingMail",
			"listenerconfig", fmt.Sprintf("TCP Port %d", a.SMTPPort)},
		{"ssh", fmt.Sprintf("sshconfig setup --port %d", busy), "ssh",
			"sshconfig print", fmt.Sprintf("port %d", a.SSHPort)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := a.Cli(tc.cmd + " ; commit 'onto a held port'")
			if code == 0 {
				t.Fatalf("commit onto %s: exit 0, want refused\nstdout:\n%s\nstderr:\n%s", busyAddr, out, errOut)
			}
			want := tc.what + ": cannot listen on " + busyAddr + ": address already in use"
			if !strings.Contains(errOut, want) || strings.Contains(out, "Changes committed") {
				t.Fatalf("stderr does not say %q (or the commit was reported)\nstdout:\n%s\nstderr:\n%s", want, out, errOut)
			}
			// Nothing changed: the running configuration still names the
			// old address, and the services still answer there.
			if p := a.MustCli(tc.printCmd); !strings.Contains(p, tc.wantPrinted) || strings.Contains(p, strconv.Itoa(busy)) {
				t.Errorf("%s after the refused commit:\n%s", tc.printCmd, p)
			}
			if b := banner(t, a.SMTPAddr()); !strings.HasPrefix(b, "220 ") {
				t.Errorf("SMTP banner after the refused commit: %q", b)
			}
			if b := banner(t, "127.0.0.1:"+strconv.Itoa(a.SSHPort)); !strings.HasPrefix(b, "SSH-2.0-") {
				t.Errorf("SSH banner after the refused commit: %q", b)
			}
			if st := a.MustCli("status"); !strings.Contains(st, "System status:                 Online") {
				t.Errorf("status after the refused commit:\n%s", st)
			}
		})
	}

	// A free port is still accepted, and the listener moves there.
	free := segtest.FreePort(t)
	a.MustCli(fmt.Sprintf("listenerconfig edit IncomingMail setup --port %d ; commit 'free port'", free))
	addr := "127.0.0.1:" + strconv.Itoa(free)
	if !segtest.Poll(10*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("the listener did not move to %s", addr)
	}
	if b := banner(t, addr); !strings.HasPrefix(b, "220 ") {
		t.Errorf("banner on the new port: %q", b)
	}
}

// Offline (no appliance running) the same commit is refused too: the
// port will not be bindable when the appliance starts.
func TestOfflineCommitOntoHeldPortIsRefused(t *testing.T) {
	a := segtest.New(t)
	busy := holdPort(t)
	out, errOut, code := a.Cli(fmt.Sprintf("listenerconfig edit IncomingMail setup --port %d ; commit", busy))
	if code == 0 || !strings.Contains(errOut, fmt.Sprintf("cannot listen on 127.0.0.1:%d: address already in use", busy)) {
		t.Fatalf("offline commit onto a held port: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// When a bind fails anyway (here the ports are taken while seg is
// stopped), the appliance still starts, status is not "Online", and
// listenerconfig and sshconfig say what is really bound.
func TestBindFailureAtStartIsShown(t *testing.T) {
	a := segtest.New(t)
	var held []net.Listener
	for _, p := range []int{a.SMTPPort, a.SSHPort} {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		held = append(held, ln)
	}
	a.Start()
	smtpAddr := a.SMTPAddr()
	sshAddr := "127.0.0.1:" + strconv.Itoa(a.SSHPort)

	st := a.MustCli("status")
	want := "Listener IncomingMail is down: cannot listen on " + smtpAddr + " (address already in use)"
	if !strings.Contains(st, "System status:                 Listener down") || !strings.Contains(st, want) {
		t.Errorf("status does not show the listener down (%q):\n%s", want, st)
	}
	if l := a.MustCli("listenerconfig"); !strings.Contains(l, "WARNING: "+want) {
		t.Errorf("listenerconfig does not warn %q:\n%s", want, l)
	}
	wantSSH := "The SSH server is down: cannot listen on " + sshAddr + " (address already in use)"
	if p := a.MustCli("sshconfig print"); !strings.Contains(p, "WARNING: "+wantSSH) {
		t.Errorf("sshconfig print does not warn %q:\n%s", wantSSH, p)
	}
	a.WaitLog(t, "listener IncomingMail: cannot listen on "+smtpAddr, 10*time.Second)

	// Once the ports come free, both services take them without a
	// commit, and the warnings go.
	for _, ln := range held {
		ln.Close()
	}
	if !segtest.Poll(20*time.Second, func() bool {
		return strings.Contains(a.MustCli("status"), "System status:                 Online") &&
			!strings.Contains(a.MustCli("sshconfig print"), "WARNING")
	}) {
		t.Fatalf("the services did not take their ports once free:\n%s\n%s", a.MustCli("status"), a.MustCli("sshconfig print"))
	}
	if b := banner(t, smtpAddr); !strings.HasPrefix(b, "220 ") {
		t.Errorf("SMTP banner once the port was free: %q", b)
	}
	if b := banner(t, sshAddr); !strings.HasPrefix(b, "SSH-2.0-") {
		t.Errorf("SSH banner once the port was free: %q", b)
	}
	a.WaitLog(t, "Listener IncomingMail is now listening on its configured address", 10*time.Second)
}
