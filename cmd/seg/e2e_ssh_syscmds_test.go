package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"seg/internal/segtest"
)

// TestSSHHostrateAndShutdown: over SSH with a pty, hostrate asks its
// questions and prints a row every second until Ctrl-C gives the prompt
// back; then shutdown asks how long to wait, and seg run stops (exit 0),
// ending the session.
func TestSSHHostrateAndShutdown(t *testing.T) {
	a := segtest.New(t)
	a.Start()
	key := newUserKey(t, t.TempDir(), "admin")
	a.MustCli("userconfig", "edit", "admin", "--sshkey", key.line, ";", "commit", "admin key")

	c, err := ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", a.SSHPort), &ssh.ClientConfig{
		User: "admin", Auth: []ssh.AuthMethod{ssh.PublicKeys(key.signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.RequestPty("xterm", 40, 200, nil); err != nil {
		t.Fatal(err)
	}
	in, _ := sess.StdinPipe()
	out, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	const prompt = "seg.localdomain> "
	term := segtest.NewTerminal(out, in)
	if _, err := term.WaitStart(30*time.Second, prompt); err != nil {
		t.Fatal(err)
	}
	step := func(line, want string) {
		t.Helper()
		if err := term.Type(line); err != nil {
			t.Fatal(err)
		}
		if _, err := term.WaitText(30*time.Second, want); err != nil {
			t.Fatalf("after %q: %v\n%s", line, err, term.Output())
		}
	}
	step("hostrate", "Recipient host:")
	step("example.test", "Enter the number of seconds between displays.")
	step("1", "Type Ctrl-C to return to the main prompt.")
	// Three rows: the first at once, then one a second.
	segtest.Wait(t, 30*time.Second, "three hostrate rows", func() bool {
		return strings.Count(term.Output(), "   unknown ") >= 3
	})
	if err := term.Interrupt(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := term.WaitFor(30*time.Second, prompt); err != nil {
		t.Fatalf("no prompt after Ctrl-C: %v\n%s", err, term.Output())
	}
	step("shutdown", "Enter the number of seconds to wait before abruptly closing connections.")
	step("0", "System shutting down. Please close this session.")
	if code := a.WaitExit(30 * time.Second); code != 0 {
		t.Fatalf("seg run after shutdown: exit %d\n%s", code, a.Output())
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the SSH session outlived seg run:\n%s", term.Output())
	}
}
