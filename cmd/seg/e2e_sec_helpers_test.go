package main

// Helpers of the admin-access security tests (e2e_sec_*_test.go): SSH
// keys for appliance users, OpenSSH and x/crypto/ssh sessions as any
// user, and driving an interactive session prompt by prompt.

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"seg/internal/segtest"
	"seg/store"
)

// userKey is an SSH key pair: the signer for x/crypto/ssh, the private
// key file for OpenSSH, the authorized_keys line for userconfig.
type userKey struct {
	signer ssh.Signer
	file   string
	line   string
}

func newUserKey(t *testing.T, dir, name string) userKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, name)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + name
	return userKey{signer: signer, file: file, line: line}
}

// sshAs runs the OpenSSH client as user with key and returns its output
// (stdout, then stderr) and exit status. command is the one-shot line;
// empty runs stdin as a batch.
func sshAs(t *testing.T, port int, user string, key userKey, command, stdin string) (string, int) {
	t.Helper()
	var cmdline []string
	if command != "" {
		cmdline = []string{command}
	}
	r := openSSH(t, key.file, port, user, stdin, cmdline...)
	return r.Stdout + r.Stderr, r.Code
}

// step is one line typed into an interactive session: a command at the
// top-level prompt, or the answer to a question. An answer whose
// question never came (the command was refused) is not typed.
type step struct {
	line   string
	answer bool
}

// questionPrompt ends every question of the shell ("[]> ", "[N]> ").
const questionPrompt = "]> "

// drive types steps into term, whose top-level prompt is prompt, and
// returns what the session showed.
func drive(t *testing.T, term *segtest.Terminal, prompt string, steps []step) string {
	t.Helper()
	var b strings.Builder
	atQuestion := false
	for _, s := range steps {
		switch {
		case s.answer && !atQuestion:
			continue // the question was not asked (the command was refused)
		case !s.answer && atQuestion:
			t.Fatalf("an unexpected question before %q:\n%s", s.line, b.String())
		}
		if err := term.Type(s.line); err != nil {
			t.Fatalf("typing %q: %v\n%s", s.line, err, b.String())
		}
		out, which, err := term.WaitFor(60*time.Second, prompt, questionPrompt)
		b.WriteString(out)
		if err != nil {
			t.Fatalf("after %q: %v", s.line, err)
		}
		atQuestion = which == 1
	}
	if atQuestion {
		t.Fatalf("the session still asks a question after the steps:\n%s", b.String())
	}
	return b.String()
}

// sshTerminal opens an interactive session (with a pty) as user, drives
// steps, leaves with quit (discarding anything left staged) and returns
// what the session showed.
func sshTerminal(t *testing.T, port int, user string, key userKey, prompt string, steps []step) string {
	t.Helper()
	c, err := ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(key.signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("ssh %s: %v", user, err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	// Tall enough that nothing is paged.
	if err := sess.RequestPty("xterm", 1000, 200, nil); err != nil {
		t.Fatal(err)
	}
	in, _ := sess.StdinPipe()
	out, _ := sess.StdoutPipe()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	term := segtest.NewTerminal(out, in)
	if _, err := term.WaitStart(30*time.Second, prompt); err != nil {
		t.Fatalf("ssh %s: %v", user, err)
	}
	shown := drive(t, term, prompt, steps)
	term.Type("quit")
	if _, which, err := term.WaitFor(30*time.Second, questionPrompt); err == nil && which == 0 {
		term.Type("Y") // "You have uncommitted changes. Do you want to discard them and exit?"
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("ssh %s: the session did not end after quit:\n%s", user, term.Output())
	}
	return shown
}

// runningConfig is the running configuration, as admin sees it.
func runningConfig(t *testing.T, a *segtest.Appliance) *store.Config {
	t.Helper()
	cfg, _ := showconfig(t, a)
	return cfg
}

// currentRevision is the number of the running revision: showchanges
// names it once something is staged (the one-shot run then discards the
// change).
func currentRevision(t *testing.T, a *segtest.Appliance) int {
	t.Helper()
	out, errOut, _ := a.Cli("smtproutes new revision-probe.test 192.0.2.1 ; showchanges")
	var n int
	i := strings.Index(out, "made on revision ")
	if i < 0 {
		t.Fatalf("no revision in showchanges:\n%s\n%s", out, errOut)
	}
	fmt.Sscanf(out[i+len("made on revision "):], "%d", &n)
	return n
}
