package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"seg/internal/segtest"
)

// The users-and-sessions commands over OpenSSH (`ssh -tt` on a pty, as
// an administrator logs in): passwd with hidden input, who and last with
// two sessions, per-session candidates, and the inactivity timeout.

const usersPrompt = "seg.localdomain> "

// usersAppliance starts an appliance with admin (password
// segtest.AdminPassword) and an operator op, both with SSH keys.
func usersAppliance(t *testing.T, env ...string) (a *segtest.Appliance, admin, op userKey) {
	t.Helper()
	segtest.Tool(t, "ssh")
	keys := t.TempDir()
	admin, op = newUserKey(t, keys, "admin"), newUserKey(t, keys, "op")
	a = segtest.New(t,
		`userconfig edit admin --sshkey "`+admin.line+`"`,
		`userconfig new op --role operator --sshkey "`+op.line+`"`)
	a.Env = env
	a.Start()
	return a, admin, op
}

// login opens an OpenSSH terminal session and waits for the prompt.
func login(t *testing.T, a *segtest.Appliance, key userKey, user string) (*segtest.Terminal, <-chan struct{}) {
	t.Helper()
	term, done := a.OpenSSHTerminal(key.file, user)
	if _, err := term.WaitStart(30*time.Second, usersPrompt); err != nil {
		t.Fatalf("ssh %s: %v", user, err)
	}
	return term, done
}

// typeCmd types line at the top-level prompt and returns what the command
// showed, up to the next prompt.
func typeCmd(t *testing.T, term *segtest.Terminal, line string) string {
	t.Helper()
	if err := term.Type(line); err != nil {
		t.Fatal(err)
	}
	out, _, err := term.WaitFor(60*time.Second, usersPrompt)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return out
}

// answer types line at a question whose prompt is prompt.
func answer(t *testing.T, term *segtest.Terminal, line, next string) string {
	t.Helper()
	if err := term.Type(line); err != nil {
		t.Fatal(err)
	}
	out, _, err := term.WaitFor(60*time.Second, next)
	if err != nil {
		t.Fatalf("after an answer: %v", err)
	}
	return out
}

// TestSSHPasswd: over OpenSSH, passwd asks for the old password and the
// new one twice, none of them reaching the screen; a wrong old password
// changes nothing and is logged as a failed authentication; the new
// password logs in at once, with no commit.
func TestSSHPasswd(t *testing.T) {
	const newPW = "Fresh-Secret-42"
	a, adminKey, _ := usersAppliance(t)
	term, _ := login(t, a, adminKey, "admin")

	var screen strings.Builder
	screen.WriteString(answer(t, term, "passwd", "Old password: "))
	screen.WriteString(answer(t, term, "not-the-password", "New password: "))
	screen.WriteString(answer(t, term, newPW, "Retype new password: "))
	out := answer(t, term, newPW, usersPrompt)
	screen.WriteString(out)
	if !strings.Contains(out, "Incorrect old password") {
		t.Fatalf("a wrong old password was accepted:\n%s", screen.String())
	}

	screen.WriteString(answer(t, term, "passwd", "Old password: "))
	screen.WriteString(answer(t, term, segtest.AdminPassword, "New password: "))
	screen.WriteString(answer(t, term, newPW, "Retype new password: "))
	out = answer(t, term, newPW, usersPrompt)
	screen.WriteString(out)
	if !strings.Contains(out, "Password changed.") {
		t.Fatalf("passwd failed:\n%s", screen.String())
	}
	for _, secret := range []string{newPW, segtest.AdminPassword, "not-the-password"} {
		if strings.Contains(screen.String(), secret) {
			t.Fatalf("%q reached the SSH screen:\n%s", secret, screen.String())
		}
	}
	// In effect at once: no commit was typed.
	c, err := sshDial(a.SSHPort, "admin", ssh.Password(newPW))
	if err != nil {
		t.Fatalf("the new password does not log in: %v", err)
	}
	c.Close()
	if c, err := sshDial(a.SSHPort, "admin", ssh.Password(segtest.AdminPassword)); err == nil {
		c.Close()
		t.Fatal("the old password still logs in")
	}
	const failed = "An authentication attempt by the user admin from 127.0.0.1 failed using an SSH connection: passwd: wrong password."
	if !segtest.Poll(20*time.Second, func() bool { return fileContains(filepath.Join(a.Dir, "logs", "authentication"), failed) }) {
		t.Fatalf("the authentication log lacks %q", failed)
	}

	// Wrong old passwords count toward the login lockout: four more make
	// five, the account locks, and neither a login nor passwd with the
	// right password works until it expires.
	wrongs := 4
	for i := 0; i < wrongs; i++ {
		answer(t, term, "passwd", "Old password: ")
		answer(t, term, "guess-"+string(rune('a'+i)), "New password: ")
		answer(t, term, "Another-Secret-7", "Retype new password: ")
		if out := answer(t, term, "Another-Secret-7", usersPrompt); !strings.Contains(out, "Incorrect old password") {
			t.Fatalf("wrong old password %d:\n%s", i+1, out)
		}
	}
	if c, err := sshDial(a.SSHPort, "admin", ssh.Password(newPW)); err == nil {
		c.Close()
		t.Fatal("five wrong old passwords did not lock the account")
	}
	answer(t, term, "passwd", "Old password: ")
	answer(t, term, newPW, "New password: ")
	answer(t, term, "Another-Secret-7", "Retype new password: ")
	if out := answer(t, term, "Another-Secret-7", usersPrompt); !strings.Contains(out, "Incorrect old password (or the account is locked") {
		t.Fatalf("passwd on a locked account:\n%s", out)
	}
}

// TestSSHWhoLastTwoSessions: two SSH sessions at once, each with its own
// candidate: who lists both, edits of different objects both commit, an
// edit of the same object fails naming it and both revisions, and last
// shows the logins, one of them closed.
func TestSSHWhoLastTwoSessions(t *testing.T) {
	a, adminKey, opKey := usersAppliance(t)
	one, _ := login(t, a, adminKey, "admin")
	two, twoDone := login(t, a, opKey, "op")

	who := typeCmd(t, one, "who")
	for _, row := range []string{`(?m)^admin\s+\S+\s+\d+s\s+127\.0\.0\.1\s+ssh$`, `(?m)^op\s+\S+\s+\d+s\s+127\.0\.0\.1\s+ssh$`} {
		if !regexp.MustCompile(row).MatchString(who) {
			t.Fatalf("who lacks %s:\n%s", row, who)
		}
	}

	// Different objects: both commit.
	typeCmd(t, one, "smtproutes new one.example 10.0.0.1")
	typeCmd(t, two, "smtproutes new two.example 10.0.0.2")
	if out := typeCmd(t, two, "showchanges"); !strings.Contains(out, "route two.example") || strings.Contains(out, "one.example") {
		t.Fatalf("session two's candidate:\n%s", out)
	}
	if out := typeCmd(t, one, "commit one"); !strings.Contains(out, "Changes committed") {
		t.Fatalf("commit one:\n%s", out)
	}
	if out := typeCmd(t, two, "commit two"); !strings.Contains(out, "Changes committed") {
		t.Fatalf("commit two:\n%s", out)
	}
	routes := a.MustCli("smtproutes", "print")
	if !strings.Contains(routes, "one.example") || !strings.Contains(routes, "two.example") {
		t.Fatalf("both commits should apply:\n%s", routes)
	}

	// The same object: the later commit names it and both revisions.
	typeCmd(t, one, "smtproutes delete one.example")
	typeCmd(t, two, "smtproutes delete one.example")
	typeCmd(t, two, "smtproutes new one.example 10.0.0.9")
	if out := typeCmd(t, one, "commit gone"); !strings.Contains(out, "Changes committed") {
		t.Fatalf("commit gone:\n%s", out)
	}
	out := typeCmd(t, two, "commit conflicting")
	if !regexp.MustCompile(`your changes were made on revision (\d+), the running configuration is revision (\d+)\); both changed: route one\.example`).MatchString(out) {
		t.Fatalf("the conflict does not name the object and both revisions:\n%s", out)
	}

	// op leaves; last has op's closed login and admin still logged in.
	answer(t, two, "clear", "]> ")
	typeCmd(t, two, "Y")
	two.Type("quit")
	select {
	case <-twoDone:
	case <-time.After(30 * time.Second):
		t.Fatalf("op's session did not end:\n%s", two.Output())
	}
	var last string
	if !segtest.Poll(20*time.Second, func() bool {
		last = typeCmd(t, one, "last")
		return regexp.MustCompile(`(?m)^op\s+127\.0\.0\.1\s+\w{3} \w{3} [ \d]\d \d\d:\d\d\s+\w{3} \w{3} [ \d]\d \d\d:\d\d\s+\d+[smhd]$`).MatchString(last)
	}) {
		t.Fatalf("last lacks op's closed session:\n%s", last)
	}
	if !regexp.MustCompile(`(?m)^admin\s+127\.0\.0\.1\s+.*still logged in`).MatchString(last) {
		t.Fatalf("last lacks admin's open session:\n%s", last)
	}
	if who := typeCmd(t, one, "who"); strings.Contains(who, "\nop ") {
		t.Fatalf("who still lists op after logout:\n%s", who)
	}
}

// TestSSHIdleTimeout: with adminaccessconfig's CLI timeout at 5 minutes
// (a "minute" lasting 200ms here), an idle OpenSSH session is closed
// with a message and its uncommitted change discarded.
func TestSSHIdleTimeout(t *testing.T) {
	a, adminKey, _ := usersAppliance(t, "SEG_TEST_CLI_MINUTE=200ms")
	a.MustCli("adminaccessconfig", "timeout", "--cli", "5", ";", "commit", "short timeout")
	if out := a.MustCli("adminaccessconfig", "print"); !strings.Contains(out, "CLI session inactivity timeout: 5 minutes") {
		t.Fatalf("adminaccessconfig print:\n%s", out)
	}
	term, done := login(t, a, adminKey, "admin")
	typeCmd(t, term, "smtproutes new idle.example 10.0.0.1")
	typed := time.Now()
	if _, err := term.WaitText(30*time.Second, "This session has been idle for more than 5 minutes (adminaccessconfig timeout) and has been closed."); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(typed); d < 900*time.Millisecond {
		t.Errorf("closed %v after the last input, before the timeout (1s)", d)
	}
	if _, err := term.WaitText(10*time.Second, "1 uncommitted change(s) were discarded."); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("ssh did not exit after the timeout:\n%s", term.Output())
	}
	if out := a.MustCli("smtproutes", "print"); strings.Contains(out, "idle.example") {
		t.Fatalf("the idle session's change was committed:\n%s", out)
	}
}

// TestConsoleIdleTimeout: the console shell (seg run --console) is
// closed by the inactivity timeout too, and seg keeps running.
func TestConsoleIdleTimeout(t *testing.T) {
	a := segtest.New(t, "adminaccessconfig timeout --cli 5")
	a.Env = []string{"SEG_TEST_CLI_MINUTE=200ms"}
	term := a.StartConsole()
	if _, err := term.WaitStart(30*time.Second, usersPrompt); err != nil {
		t.Fatal(err)
	}
	if _, err := term.WaitText(30*time.Second, "This session has been idle for more than 5 minutes (adminaccessconfig timeout) and has been closed."); err != nil {
		t.Fatal(err)
	}
	if _, err := term.WaitText(20*time.Second, "Console session ended; seg keeps running"); err != nil {
		t.Fatal(err)
	}
	if out := a.MustCli("status"); !regexp.MustCompile(`System status:\s+Online`).MatchString(out) {
		t.Fatalf("seg stopped with the console:\n%s", out)
	}
}
