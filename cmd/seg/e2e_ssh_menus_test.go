package main

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// sshTTY logs in with OpenSSH as a person does, `ssh -tt` on a real
// pseudo-terminal, and returns that terminal at the first prompt.
func sshTTY(t *testing.T, port int, user string, key userKey, prompt string) *segtest.Terminal {
	t.Helper()
	cmd := exec.Command(segtest.Tool(t, "ssh"), "-tt",
		"-F", "/dev/null", "-i", key.file, "-p", fmt.Sprint(port),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
		"-o", "IdentitiesOnly=yes", user+"@127.0.0.1")
	cmd.Env = segtest.Env()
	term := segtest.StartInPTY(t, cmd)
	if _, err := term.WaitStart(30*time.Second, prompt); err != nil {
		t.Fatalf("ssh -tt %s: %v", user, err)
	}
	return term
}

// TestSSHMenuCtrlCAndTab: over OpenSSH on a terminal, a sender group
// created in listenerconfig survives Ctrl-C at a later question (the
// interrupted policy does not), showchanges and commit see it; Tab in
// the menus completes their operations and the listener's name, never
// a top-level command; a partial line opens the group's menu (and is a
// usage error in a one-shot command).
func TestSSHMenuCtrlCAndTab(t *testing.T) {
	const prompt = "seg.localdomain> "
	a := segtest.Open(t, t.TempDir())
	a.Configure()
	a.Start()
	key := newUserKey(t, t.TempDir(), "admin")
	a.MustCli("userconfig", "edit", "admin", "--sshkey", key.line, ";", "commit", "admin key")
	term := sshTTY(t, a.SSHPort, "admin", key, prompt)

	var shown strings.Builder
	// send types text (ending in Enter, Tab and Enter, or Ctrl-C) and
	// waits for the next prompt or question; it returns what came.
	send := func(text string, want ...string) string {
		t.Helper()
		var err error
		if text == "^C" {
			err = term.Interrupt()
		} else {
			err = term.Type(text)
		}
		if err != nil {
			t.Fatalf("typing %q: %v", text, err)
		}
		out, _, err := term.WaitFor(30*time.Second, prompt, questionPrompt)
		shown.WriteString(out)
		if err != nil {
			t.Fatalf("after %q: %v\n%s", text, err, shown.String())
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Fatalf("after %q: no %q in:\n%s", text, w, out)
			}
		}
		return out
	}

	send("listenerconfig", "Choose the operation you want to perform:")
	send("ed\t", "]> EDIT", "Enter the name or number of the listener you wish to edit.")
	// Pick takes a whole name: "inc" alone is refused, Tab completes it.
	send("inc\t", "Name: IncomingMail")
	send("hostacc\t", "There are currently 5 sender groups.")
	send("new", "Select the kind of entry to create.")
	send("1", "Enter a name for this sender group.")
	send("PARTNERS", "Enter the hosts")
	send("10.2.0.0/16", "Select the mail flow policy for this sender group.")
	send("")
	send("Partner networks", "Sender group PARTNERS created.", "There are currently 6 sender groups.")
	send("new")
	send("2", "Enter a name for this policy")
	send("limited", "Select the behavior for this policy.")
	// Ctrl-C abandons the policy only: back at the HOSTACCESS menu.
	send("^C", "There are currently 5 policies defined.", "There are currently 6 sender groups.")
	// "ex" is EXPORT here, not the exit command.
	send("ex\t", "]> EXPORT", "Enter a name for the exported file")
	send("^C", "There are currently 6 sender groups.")
	send("^C", "Name: IncomingMail")
	send("^C", "Currently configured listeners:")
	send("^C", "Command aborted; the operations it completed are kept (see 'showchanges').")
	send("showchanges", "modified  listener IncomingMail")
	send("listenerconfig edit IncomingMail hostaccess edit sendergroup PARTNERS", "Sender group PARTNERS: 1 host")
	send("", prompt)
	send(`commit "partners kept"`, "Changes committed")
	// quit ends the session and ssh with it.
	if err := term.Type("quit"); err != nil {
		t.Fatal(err)
	}
	if out, _, err := term.WaitFor(30*time.Second, prompt); !errors.Is(err, segtest.ErrTerminalClosed) {
		t.Fatalf("after quit: %v\n%s", err, out)
	}

	// A one-shot partial line has no one to ask: a usage error.
	r := openSSH(t, key.file, a.SSHPort, "admin", "", "listenerconfig edit IncomingMail hostaccess")
	if r.Code != 1 || !strings.Contains(r.Stderr, "Usage: listenerconfig edit NAME hostaccess new") {
		t.Errorf("one-shot partial line over ssh: %s", r)
	}

	cfg := runningConfig(t, a)
	l := cfg.Listener("IncomingMail")
	var groups, policies []string
	for _, g := range l.HAT.SenderGroups {
		groups = append(groups, g.Name)
	}
	for _, p := range l.HAT.Policies {
		policies = append(policies, p.Name)
	}
	if !strings.Contains(" "+strings.Join(groups, " ")+" ", " PARTNERS ") {
		t.Errorf("the sender group created before Ctrl-C is not in the running config: %v\n%s", groups, shown.String())
	}
	for _, p := range policies {
		if strings.EqualFold(p, "$limited") {
			t.Errorf("the policy interrupted half-way was committed: %v", policies)
		}
	}
}
