package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"seg/internal/segtest"
)

// smtpHello opens an SMTP connection, reads the banner and quits: the
// appliance logs New SMTP ICID and ICID close in mail_logs.
func smtpHello(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "QUIT\r\n")
	r.ReadString('\n')
}

// Log subscriptions end to end through the built binary: syslog push to
// a UDP and a TCP receiver on 127.0.0.x with exact frame shapes (PRI for
// facility and level, timestamp, hostname, tag), a commit changing a
// subscription while seg runs, rotation by size with retention,
// rollovernow, grep -i on several subscriptions, and tail following a
// log at the console until Ctrl-C.
func TestLogSubscriptionsEndToEnd(t *testing.T) {
	udp := segtest.NewSyslog(t, "udp", "127.0.0.8:0")
	tcp := segtest.NewSyslog(t, "tcp", "127.0.0.9:0")
	a := segtest.New(t,
		"logconfig new siem_udp --type mail_logs --level info --method syslog --syslog-host "+udp.Addr+" --syslog-protocol udp --syslog-facility local0",
		"logconfig new auth_tcp --type authentication --level info --method syslog --syslog-host "+tcp.Addr+" --syslog-protocol tcp --syslog-facility local5",
		"logconfig new small --type cli_logs --level info --method file --rollover-size 1K --max-files 2",
	)
	console := a.StartConsole()
	if _, err := console.WaitStart(30*time.Second, tablePrompt); err != nil {
		t.Fatalf("console: %v", err)
	}
	stamp := `[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d`

	// mail_logs over UDP, facility local0 (16): PRI 16*8+6 = 134.
	smtpHello(t, a.SMTPAddr())
	f := udp.WaitFrame(t, "New SMTP ICID", 10*time.Second)
	if !regexp.MustCompile(`^<134>` + stamp + ` seg\.localdomain siem_udp: Info: New SMTP ICID \d+ interface .*$`).MatchString(f) {
		t.Errorf("UDP frame %q", f)
	}
	// The authentication log over TCP, facility local5 (21): PRI 174;
	// a control-socket session logs its login.
	a.MustCli("status")
	f = tcp.WaitFrame(t, "logged on using the socket session", 10*time.Second)
	if !regexp.MustCompile(`^<174>` + stamp + ` seg\.localdomain auth_tcp: Info: The user admin successfully logged on using the socket session\.$`).MatchString(f) {
		t.Errorf("TCP frame %q", f)
	}
	// SSH password failures reach it at Warning (local5: 21*8+4 = 172).
	if c, err := sshDial(a.SSHPort, "admin", ssh.Password("wrong-password")); err == nil {
		c.Close()
		t.Fatal("ssh with a wrong password logged in")
	}
	f = tcp.WaitFrame(t, "An authentication attempt by the user admin from 127.0.0.1 failed", 10*time.Second)
	if !regexp.MustCompile(`^<172>` + stamp + ` seg\.localdomain auth_tcp: Warning: An authentication attempt by the user admin from 127\.0\.0\.1 failed using an SSH connection: .+\.$`).MatchString(f) {
		t.Errorf("failed login frame %q", f)
	}

	// Hot reload: a commit moves siem_udp to facility local1 (PRI 142)
	// at level warning: the next Info line is not sent, a Warning is.
	a.MustCli("logconfig edit siem_udp --syslog-facility local1 --level warning ; commit")
	n := len(udp.Frames())
	a.MustCli("suspenddel example.test") // an Info line in mail_logs
	a.WaitLog(t, "Delivery suspended for example.test", 10*time.Second)
	a.MustCli("logconfig edit siem_udp --level info ; commit")
	smtpHello(t, a.SMTPAddr())
	f = udp.WaitFrame(t, "<142>", 10*time.Second)
	if !strings.Contains(f, "siem_udp: Info: New SMTP ICID") {
		t.Errorf("after the reload: %q", f)
	}
	for _, g := range udp.Frames()[n:] {
		if strings.Contains(g, "Delivery suspended") {
			t.Errorf("an Info line sent at level warning: %q", g)
		}
	}

	// Rotation by size (1K) and retention (2 files) of small, a
	// cli_logs subscription: every seg cli writes three lines there.
	dir := filepath.Join(a.Dir, "logs")
	for i := 0; i < 12; i++ {
		a.MustCli(fmt.Sprintf("grep nothing-%d small", i))
	}
	saved, _ := filepath.Glob(filepath.Join(dir, "small.@*.s"))
	if len(saved) != 2 {
		t.Errorf("small's saved files: %v, want 2 (max-files)", saved)
	}
	// Each file is rotated before a line would take it past 1K; the
	// two closing lines (Logfile rolled over, End Logfile) come after.
	for _, p := range saved {
		b, err := os.ReadFile(p)
		body, _, _ := strings.Cut(string(b), " Info: Logfile rolled over\n")
		if err != nil || len(body) > 1024 || !strings.HasSuffix(string(b), " Info: End Logfile\n") {
			t.Errorf("%s: %v, %d bytes before its closing lines:\n%s", p, err, len(body), b)
		}
	}
	if !regexp.MustCompile(`^small\.@\d{8}T\d{6}\.s$`).MatchString(filepath.Base(saved[0])) {
		t.Errorf("saved name %s", saved[0])
	}
	// The file that was current when this grep ran holds no line of
	// grep nothing-0 any more: rotated away; grep reads the saved files.
	if out := a.MustCli("grep -i NOTHING-11 small"); !strings.Contains(out, "executed batch command: 'grep nothing-11 small'") {
		t.Errorf("grep -i in small:\n%s", out)
	}

	// rollovernow: mail_logs is saved, the new file begins with the
	// header, and grep still finds the lines of the saved one.
	if out := a.MustCli("rollovernow mail_logs"); out != "Log mail_logs has been rolled over.\n" {
		t.Errorf("rollovernow: %q", out)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "mail_logs.@*.s")); len(m) != 1 {
		t.Errorf("mail_logs saved files: %v", m)
	}
	if out := a.MustCli("grep -i \"new smtp icid\""); strings.Count(out, "New SMTP ICID") != 2 {
		t.Errorf("grep -i after rollovernow:\n%s", out)
	}
	if out := a.MustCli("grep \"logged on\" authentication"); !strings.Contains(out, "Info: The user admin successfully logged on using the socket session.") {
		t.Errorf("grep in authentication:\n%s", out)
	}
	if _, errOut, code := a.Cli("grep x siem_udp"); code == 0 || !strings.Contains(errOut, "Log siem_udp is pushed to syslog") {
		t.Errorf("grep on a syslog subscription: exit %d, %q", code, errOut)
	}
	// One-shot tail: the last 20 lines, the newest last.
	// Its own session's login is the newest line, after the previous
	// command's logout.
	if out := strings.Split(strings.TrimSuffix(a.MustCli("tail cli_logs"), "\n"), "\n"); len(out) != 20 ||
		!strings.HasSuffix(out[19], "Info: User admin (socket) logged in") || !strings.HasSuffix(out[18], "Info: User admin (socket) logged out of CLI session") ||
		!strings.Contains(out[17], "executed batch command: 'grep x siem_udp' result: ") {
		t.Errorf("tail cli_logs: %d lines:\n%s", len(out), strings.Join(out, "\n"))
	}

	// tail at the console follows until Ctrl-C.
	if err := console.Type("tail mail_logs"); err != nil {
		t.Fatal(err)
	}
	if _, err := console.WaitText(10*time.Second, "Press Ctrl-C to stop."); err != nil {
		t.Fatal(err)
	}
	a.MustCli("suspenddel followed.test")
	if _, err := console.WaitText(10*time.Second, "Info: Delivery suspended for followed.test by administrator"); err != nil {
		t.Fatal(err)
	}
	a.MustCli("rollovernow mail_logs") // followed across the rotation
	a.MustCli("resumedel followed.test")
	if _, err := console.WaitText(10*time.Second, "Info: Delivery resumed for followed.test by administrator"); err != nil {
		t.Fatal(err)
	}
	if err := console.Interrupt(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := console.WaitFor(10*time.Second, tablePrompt); err != nil {
		t.Fatal(err)
	}
	if err := console.Type("rollovernow"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := console.WaitFor(10*time.Second, "[1]>"); err != nil {
		t.Fatal(err)
	}
	console.Type("1")
	if out, _, err := console.WaitFor(10*time.Second, tablePrompt); err != nil || !strings.Contains(out, "All logs have been rolled over.") {
		t.Errorf("rollovernow at the console: %v\n%s", err, out)
	}
}
