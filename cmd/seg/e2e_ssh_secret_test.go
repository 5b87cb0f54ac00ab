package main

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"seg/internal/segtest"
)

// TestSSHPasswordNotEchoed: over SSH with a pty, the password typed at
// userconfig NEW never reaches the screen, and it is the one the new
// account then logs in with.
func TestSSHPasswordNotEchoed(t *testing.T) {
	const adminPW, pw = "correct horse battery", "Zq7-dave-secret"
	a := segtest.Open(t, t.TempDir())
	a.Password = adminPW
	a.Configure()
	a.Start()

	c, err := sshDial(a.SSHPort, "admin", ssh.Password(adminPW))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.RequestPty("xterm", 30, 100, nil); err != nil {
		t.Fatal(err)
	}
	in, _ := sess.StdinPipe()
	out, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	term := segtest.NewTerminal(out, in)
	if _, err := term.WaitStart(10*time.Second, "seg.localdomain> "); err != nil {
		t.Fatal(err)
	}
	// Each answer, then the prompt it leads to.
	for _, step := range []struct{ answer, next string }{
		{"userconfig", "[]> "},
		{"new", "[]> "},
		{"dave", "[]> "}, // user name; full name next
		{"", "[2]> "},    // role next
		{"3", "[]> "},    // read-only; password next
		{pw, "[]> "},     // again
		{pw, "[N]> "},    // an SSH key?
		{"", "[]> "},     // no; the menu
		{"", "seg.localdomain> "},
		{`commit "dave"`, "seg.localdomain> "},
	} {
		if err := term.Type(step.answer); err != nil {
			t.Fatal(err)
		}
		if _, _, err := term.WaitFor(10*time.Second, step.next); err != nil {
			t.Fatalf("after %q: %v", step.answer, err)
		}
	}
	screen := term.Output()
	if strings.Contains(screen, pw) || strings.Contains(screen, "dave-secret") {
		t.Fatalf("the password reached the SSH screen:\n%s", screen)
	}
	if !strings.Contains(screen, "Changes committed") {
		t.Fatalf("the new user was not committed:\n%s", screen)
	}
	dc, err := sshDial(a.SSHPort, "dave", ssh.Password(pw))
	if err != nil {
		t.Fatalf("dave cannot log in with the password typed: %v", err)
	}
	dc.Close()
}
