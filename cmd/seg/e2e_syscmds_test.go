package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestVersionCommand: version shows the release, the serial number the
// log headers show, and the uptime of this process.
func TestVersionCommand(t *testing.T) {
	a := segtest.New(t)
	a.Start()
	out := a.MustCli("version")
	if !strings.HasPrefix(out, "Current Version\n===============\n") ||
		!regexp.MustCompile(`(?m)^Version: `+regexp.QuoteMeta(version)+`(-[0-9a-f]{12}(-dirty)?)?$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^Install Date: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^Up since: .* \(\d+s\)$`).MatchString(out) {
		t.Errorf("version:\n%s", out)
	}
	sn := regexp.MustCompile(`Version: \S+ SN: (\S+)`).FindStringSubmatch(a.MailLog())
	if sn == nil || !strings.Contains(out, "Serial #: "+sn[1]+"\n") {
		t.Errorf("version's serial is not the log header's (%v):\n%s", sn, out)
	}
}

// TestSethostnameBanner: sethostname is staged; commit makes it the SMTP
// banner's name (the listener has no hostname of its own).
func TestSethostnameBanner(t *testing.T) {
	a := segtest.New(t)
	a.Start()
	banner := func() string {
		c, err := net.Dial("tcp", a.SMTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		l, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a.MustCli("sethostname renamed.e2e.test")
	if b := banner(); strings.Contains(b, "renamed.e2e.test") {
		t.Errorf("banner %q before commit", b)
	}
	a.MustCli("sethostname renamed.e2e.test ; commit rename")
	if b := banner(); !strings.HasPrefix(b, "220 renamed.e2e.test ") {
		t.Errorf("banner %q after commit, want the new hostname", b)
	}
}

// TestShutdownCommand: shutdown stops seg run cleanly (exit 0, the
// queue closed: the next start finds the queued message and delivers
// it).
func TestShutdownCommand(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr())
	a.Start()
	a.MustCli("suspenddel")
	if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "a@client.test", []string{"b@example.test"},
		[]byte("Subject: kept\r\n\r\nkept across shutdown\r\n")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := a.Cli("shutdown 0")
	if code != 0 || !strings.HasSuffix(out, "Mail delivery suspended.\nSystem shutting down. Please close this session.\n") {
		t.Errorf("shutdown 0: exit %d\n%s%s", code, out, errOut)
	}
	if code := a.WaitExit(30 * time.Second); code != 0 {
		t.Fatalf("seg run after shutdown: exit %d\n%s", code, a.Output())
	}
	if strings.Contains(a.Stderr(), "stopping the mail system") {
		t.Errorf("unclean stop:\n%s", a.Stderr())
	}
	a.Start()
	sink.WaitCount(t, 1, 30*time.Second)
}

// TestRebootCommand: reboot stops seg run cleanly and runs it again in
// the same process (same pid, a new start), which then serves the shell
// and mail as before.
func TestRebootCommand(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr())
	a.Start()
	pid := a.Pid()
	started := regexp.MustCompile(`(?m)^seg \S+ running: `)
	out, errOut, code := a.Cli("reboot 0")
	if code != 0 || !strings.HasSuffix(out, "System rebooting. Please close this session.\n") {
		t.Errorf("reboot 0: exit %d\n%s%s", code, out, errOut)
	}
	segtest.Wait(t, 30*time.Second, "seg run to start again", func() bool {
		return len(started.FindAllString(a.Stdout(), -1)) == 2
	})
	if !a.Running() || a.Pid() != pid {
		t.Fatalf("after reboot: running %v, pid %d (was %d)\n%s", a.Running(), a.Pid(), pid, a.Output())
	}
	if !strings.Contains(a.Stdout(), "seg rebooting: stopping cleanly, then starting again\n") {
		t.Errorf("stdout does not say it reboots:\n%s", a.Stdout())
	}
	// The shell and the listener answer again (the control socket may
	// take a moment after the start-up line).
	segtest.Wait(t, 30*time.Second, "the control socket after reboot", func() bool {
		_, _, code := a.Cli("status")
		return code == 0
	})
	if st := a.MustCli("status"); !strings.Contains(st, "System status:                 Online") {
		t.Errorf("status after reboot (suspend is not kept across a restart):\n%s", st)
	}
	if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "a@client.test", []string{"b@example.test"},
		[]byte("Subject: after\r\n\r\nafter reboot\r\n")); err != nil {
		t.Fatal(err)
	}
	sink.WaitCount(t, 1, 30*time.Second)
	a.Stop()
}

// TestSystemCommandRoles: through seg cli -u, a guest may look (version,
// topin, dnsstatus) but not run diagnostics or stop anything; an
// operator may (suspend, resume, nslookup); the appliance keeps running
// after each refusal.
func TestSystemCommandRoles(t *testing.T) {
	a := segtest.New(t)
	for _, u := range []string{"op", "gu"} {
		os.WriteFile(filepath.Join(a.Dir, "configuration", u+".pw"), []byte(u+" password 123!\n"), 0o600)
	}
	a.Start()
	a.MustCli("userconfig new op --role operator --password-file op.pw ; userconfig new gu --role guest --password-file gu.pw ; commit users")
	refused := "You are not in the correct access group to use this command."
	for _, line := range []string{"version", "topin", "dnsstatus"} {
		if out, errOut, code := a.Cli("-u", "gu", line); code != 0 {
			t.Errorf("guest %s: exit %d\n%s%s", line, code, out, errOut)
		}
	}
	for _, line := range []string{"nslookup localhost", "telnet 127.0.0.1", "suspend 0", "resume", "shutdown 0", "reboot 0", "sethostname g.example.com"} {
		out, errOut, code := a.Cli("-u", "gu", line)
		if code != 1 || !strings.Contains(out+errOut, refused) {
			t.Errorf("guest %s: exit %d, want refused\n%s%s", line, code, out, errOut)
		}
	}
	if out := a.MustCli("-u", "op", "suspend 0"); !strings.Contains(out, "Mail delivery suspended.") {
		t.Errorf("operator suspend 0:\n%s", out)
	}
	if c, err := net.DialTimeout("tcp", a.SMTPAddr(), 5*time.Second); err == nil {
		c.Close()
		t.Error("the listener accepts connections after the operator's suspend")
	}
	a.MustCli("-u", "op", "resume")
	segtest.Wait(t, 10*time.Second, "the listener to accept again", func() bool {
		c, err := net.DialTimeout("tcp", a.SMTPAddr(), 5*time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if !a.Running() {
		t.Fatal("seg run stopped")
	}
}
