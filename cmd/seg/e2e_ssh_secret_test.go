package main

import (
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"seg/internal/segtest"
)

// TestSSHPasswordNotEchoed: over SSH with a pty, the password typed at
// userconfig NEW never reaches the screen, and it is the one the new
// account then logs in with.
func TestSSHPasswordNotEchoed(t *testing.T) {
	const pw = "Zq7-dave-secret"
	a := segtest.Open(t, t.TempDir())
	a.Password = "correct horse battery"
	a.Configure()
	a.Start()
	key := newUserKey(t, t.TempDir(), "admin")
	a.MustCli("userconfig", "edit", "admin", "--sshkey", key.line, ";", "commit", "admin key")

	screen := sshTerminal(t, a.SSHPort, "admin", key, "seg.localdomain> ", []step{
		{line: "userconfig"},
		{line: "new", answer: true},
		{line: "dave", answer: true}, // user name
		{line: "", answer: true},     // full name
		{line: "3", answer: true},    // read-only
		{line: pw, answer: true},     // password
		{line: pw, answer: true},     // again
		{line: "", answer: true},     // no SSH key
		{line: "", answer: true},     // leave the menu
		{line: `commit "dave"`},
	})
	if strings.Contains(screen, pw) || strings.Contains(screen, "dave-secret") {
		t.Fatalf("the password reached the SSH screen:\n%s", screen)
	}
	if !strings.Contains(screen, "Changes committed") {
		t.Fatalf("the new user was not committed:\n%s", screen)
	}
	c, err := sshDial(a.SSHPort, "dave", ssh.Password(pw))
	if err != nil {
		t.Fatalf("dave cannot log in with the password typed: %v", err)
	}
	c.Close()
}
