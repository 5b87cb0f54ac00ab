package shell_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

// sysRegistry is the session and mail commands with the system ones
// (shell/syscmds.go), whose sethostname is the real one, not
// testRegistry's stand-in.
func sysRegistry() *shell.Registry {
	cmds := append(shell.SessionCommands(), shell.MailCommands()...)
	return shell.NewRegistry(append(cmds, shell.SystemCommands()...)...)
}

// sysTranscripts maps each testdata/sys/*.txt transcript to its setup:
// every one has the fake mail system and process.
var sysTranscripts = map[string]func(*shelltest.Harness){
	"system.txt":   nil,
	"power.txt":    nil,
	"guest.txt":    func(h *shelltest.Harness) { h.S.Role = store.RoleGuest },
	"offline.txt":  func(h *shelltest.Harness) { h.S.Mail, h.S.System = nil, nil },
	"operator.txt": func(h *shelltest.Harness) { h.S.Role = store.RoleOperator },
}

// TestSystemTranscripts plays testdata/sys/*.txt: the system commands'
// interactive flows, errors and role checks.
func TestSystemTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/sys/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := sysTranscripts[filepath.Base(f)]; !ok {
			t.Errorf("%s is not listed in sysTranscripts", f)
		}
	}
	for name, setup := range sysTranscripts {
		t.Run(name, func(t *testing.T) {
			opts := []func(*shelltest.Harness){func(h *shelltest.Harness) {
				h.S.Mail, h.S.System = &fakeMail{}, &fakeSystem{}
			}}
			if setup != nil {
				opts = append(opts, setup)
			}
			shelltest.RunFile(t, sysRegistry(), newStore(t), filepath.Join("testdata", "sys", name), opts...)
		})
	}
}

// sysBatch is a batch session with the system commands, the fake mail
// system and the fake process.
func sysBatch(t *testing.T) (*shell.Session, *bytes.Buffer, *fakeMail, *fakeSystem) {
	s, _, errOut := batchSession(t, newStore(t))
	s.Commands = sysRegistry()
	f, sys := &fakeMail{}, &fakeSystem{}
	s.Mail, s.System = f, sys
	return s, errOut, f, sys
}

// TestSystemRequests: each batch form ends in one typed request (or, for
// hostrate, its count of samples).
func TestSystemRequests(t *testing.T) {
	cases := []struct{ line, want string }{
		{"topin", "TopIn(1)"},
		{"topin 2", "TopIn(2)"},
		{"dnsstatus", "DNSStatus()"},
		{"nslookup Example.COM.", `NSLookup("example.com", A)`},
		{"nslookup example.com mx", `NSLookup("example.com", MX)`},
		{"nslookup 192.0.2.1", `NSLookup("192.0.2.1", PTR)`},
		{"nslookup 2001:DB8::1 aaaa", `NSLookup("2001:db8::1", AAAA)`},
		{"nslookup example.com txt", `NSLookup("example.com", TXT)`},
		{"telnet mx.example.com", `Telnet("mx.example.com", 25)`},
		{"telnet 127.0.0.1 2525", `Telnet("127.0.0.1", 2525)`},
		{"suspend", "Suspend(30s)"},
		{"suspend 0", "Suspend(0s)"},
		{"resume", "Resume()"},
		{"hostrate example.com 1 1", `HostSample("example.com")`},
		{"shutdown 5", "Suspend(5s)"},
		{"reboot 0", "Suspend(0s)"},
	}
	for _, c := range cases {
		s, errOut, f, sys := sysBatch(t)
		if err := s.RunBatch("f.txt", strings.NewReader(c.line+"\n")); err != nil {
			t.Errorf("%s: %v %s", c.line, err, errOut)
			continue
		}
		if len(f.calls) != 1 || f.calls[0] != c.want {
			t.Errorf("%s: calls %q, want %q", c.line, f.calls, c.want)
		}
		want := ""
		switch strings.Fields(c.line)[0] {
		case "shutdown":
			want = "[false]"
		case "reboot":
			want = "[true]"
		}
		if got := fmt.Sprint(sys.stops); want != "" && got != want {
			t.Errorf("%s: Stop calls %s, want %s", c.line, got, want)
		}
		if want == "" && len(sys.stops) > 0 {
			t.Errorf("%s: Stop called", c.line)
		}
	}
}

// TestSystemBadArguments: bad batch arguments are refused before any
// request, with the reason.
func TestSystemBadArguments(t *testing.T) {
	cases := []struct{ line, want string }{
		{"topin 3", "Usage: topin [1|2]"},
		{"nslookup bad!name", "Invalid hostname format"},
		{"nslookup example.com SOA", "unknown query type"},
		{"telnet example.com 70000", "Invalid port"},
		{"suspend -1", "Invalid number of seconds"},
		{"shutdown soon", "Invalid number of seconds"},
		{"hostrate example.com 0", "Invalid seconds"},
		{"hostrate example.com 1 0", "Invalid count"},
		{"hostrate", "hostrate needs arguments here"},
		{"sethostname bad", "Invalid hostname format"},
		{"sethostname 1.1.1.1", "Invalid hostname format"},
		{"sethostname bad*.com.too", "Invalid hostname format"},
		{"version now", "version takes no arguments"},
		{"clearchanges now", "clearchanges takes no arguments"},
	}
	for _, c := range cases {
		s, errOut, f, sys := sysBatch(t)
		err := s.RunBatch("f.txt", strings.NewReader(c.line+"\n"))
		if err == nil || !strings.Contains(errOut.String()+err.Error(), c.want) {
			t.Errorf("%s: error %v (stderr %q), want one saying %q", c.line, err, errOut, c.want)
		}
		if len(f.calls) > 0 || len(sys.stops) > 0 {
			t.Errorf("%s: requests %q, stops %v after a bad argument", c.line, f.calls, sys.stops)
		}
	}
}

// TestSethostnameStagesAndCommits: sethostname changes the candidate
// only; commit makes it the running hostname (and so the prompt).
func TestSethostnameStagesAndCommits(t *testing.T) {
	st := newStore(t)
	s, _, errOut := batchSession(t, st)
	s.Commands = sysRegistry()
	if err := s.RunBatch("f.txt", strings.NewReader("sethostname Mail.Example.COM.\n")); err != nil {
		t.Fatalf("%v %s", err, errOut)
	}
	if snap, _ := st.Current(); snap.Config.System.Hostname == "mail.example.com" {
		t.Fatal("sethostname changed the running configuration before commit")
	}
	if err := s.RunBatch("f.txt", strings.NewReader("sethostname mail.example.com\ncommit new-name\n")); err != nil {
		t.Fatalf("%v %s", err, errOut)
	}
	snap, _ := st.Current()
	if snap.Config.System.Hostname != "mail.example.com" || s.Prompt() != "mail.example.com> " {
		t.Errorf("after commit: hostname %q, prompt %q", snap.Config.System.Hostname, s.Prompt())
	}
}

// TestHostrateRows: a batch hostrate prints COUNT rows, each with the
// changes since the row before (the fake delivers one more recipient per
// sample).
func TestHostrateRows(t *testing.T) {
	s, out, errOut := batchSession(t, newStore(t))
	s.Commands = sysRegistry()
	f := &fakeMail{}
	s.Mail = f
	if err := s.RunBatch("f.txt", strings.NewReader("hostrate example.com 1 3\n")); err != nil {
		t.Fatalf("%v %s", err, errOut)
	}
	if len(f.calls) != 3 {
		t.Errorf("samples %q, want 3", f.calls)
	}
	var deltas []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n")[2:] {
		fs := strings.Fields(l)
		if len(fs) != 8 || fs[1] != "up" {
			t.Fatalf("row %q: want 8 columns with status up\n%s", l, out)
		}
		deltas = append(deltas, fs[5])
	}
	if fmt.Sprint(deltas) != "[0 1 1]" {
		t.Errorf("DlvRcp Delta column %v, want [0 1 1]\n%s", deltas, out)
	}
}
