package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestSSHPaging: OpenSSH's client on a 24-row terminal (ssh -tt): help,
// longer than the screen, stops after 23 rows at "-Press Any Key For
// More-"; a space shows the next page, q ends the output at once and the
// prompt comes back; the keys typed at the paging prompt run nothing.
// seg cli on a terminal pages too. One-shot commands (over SSH with a
// pty, seg cli CMD from a terminal) are never paged.
func TestSSHPaging(t *testing.T) {
	segtest.Tool(t, "ssh")
	const prompt = "seg.localdomain> "
	a := segtest.New(t)
	a.Start()
	key := newUserKey(t, t.TempDir(), "admin")
	a.MustCli("userconfig", "edit", "admin", "--sshkey", key.line, ";", "commit", "admin key")
	full := a.MustCli("help")
	lines := strings.Split(strings.TrimRight(full, "\n"), "\n")
	if len(lines) < 50 {
		t.Fatalf("help is %d lines; the test needs more than two 23-row pages", len(lines))
	}

	term := segtest.StartInPTYSize(t, exec.Command("ssh", "-tt",
		"-F", "/dev/null", "-i", key.file, "-p", fmt.Sprint(a.SSHPort),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
		"admin@127.0.0.1"), 24, 80)
	if _, err := term.WaitStart(30*time.Second, prompt); err != nil {
		t.Fatal(err)
	}
	const more = "-Press Any Key For More-"
	term.Type("help")
	page1, _, err := term.WaitFor(20*time.Second, more)
	if err != nil {
		t.Fatal(err)
	}
	// The echoed command line, 23 rows of help (a line wider than 80
	// columns takes two), the prompt.
	shown := strings.Split(page1, "\n")
	if !strings.HasSuffix(shown[0], prompt+"help") || !strings.HasPrefix(shown[1], "Available commands:") || shown[len(shown)-1] != more {
		t.Fatalf("first page:\n%s", page1)
	}
	rows := 0
	for _, l := range shown[1 : len(shown)-1] {
		rows += (len(l) + 79) / 80
	}
	if rows != 23 {
		t.Errorf("the first page is %d rows, want 23:\n%s", rows, page1)
	}

	term.Press(" ")
	page2, _, err := term.WaitFor(20*time.Second, more)
	if err != nil {
		t.Fatal(err)
	}
	// The second page goes on where the first stopped (inside a line
	// too wide for one row, maybe) and stops before the end.
	body2 := strings.TrimSuffix(page2, more)
	flat := func(s string) string { return strings.ReplaceAll(s, "\n", "") }
	shownSoFar := strings.Join(shown[1:len(shown)-1], "\n") + "\n" + body2
	if body2 == "" || !strings.HasPrefix(flat(full), flat(shownSoFar)) || len(flat(shownSoFar)) >= len(flat(full)) {
		t.Errorf("the second page does not go on from the first:\n%s", page2)
	}

	// q: the paging prompt's line is cleared and the shell's prompt
	// takes it, with nothing more of help.
	term.Press("q")
	rest, err := term.WaitText(20*time.Second, prompt)
	if err != nil {
		t.Fatal(err)
	}
	if rest != prompt {
		t.Errorf("q did not end the output at once:\n%q", rest)
	}
	// Neither key reached a command line: the next command is the first.
	term.Type("sshconfig print")
	out, _, err := term.WaitFor(20*time.Second, prompt)
	if err != nil || !strings.HasSuffix(strings.Split(out, "\n")[0], prompt+"sshconfig print") || !strings.Contains(out, "SSH server") {
		t.Errorf("the command after paging: %v\n%s", err, out)
	}
	term.Type("quit")

	// seg cli on a terminal pages the same way; q at the first prompt.
	cli := segtest.StartInPTYSize(t, exec.Command(segtest.Binary(t), "cli", "--data", a.Dir), 24, 80)
	if _, err := cli.WaitStart(30*time.Second, prompt); err != nil {
		t.Fatal(err)
	}
	cli.Type("help")
	if _, _, err := cli.WaitFor(20*time.Second, more); err != nil {
		t.Fatal(err)
	}
	cli.Press("q")
	if rest, err := cli.WaitText(20*time.Second, prompt); err != nil || rest != prompt {
		t.Errorf("seg cli: q did not end the output: %v\n%s", err, rest)
	}
	cli.Type("quit")

	// One-shot over SSH with a pty: everything, no prompt.
	oneShot := segtest.StartInPTYSize(t, exec.Command("ssh", "-tt",
		"-F", "/dev/null", "-i", key.file, "-p", fmt.Sprint(a.SSHPort),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
		"admin@127.0.0.1", "help"), 24, 80)
	all, err := oneShot.WaitText(20*time.Second, lines[len(lines)-1])
	if err != nil || strings.Contains(all, more) {
		t.Errorf("one-shot help over ssh -tt: %v\n%s", err, all)
	}
	// `seg cli help` run from a terminal: one-shot, never paged.
	oneShot = segtest.StartInPTYSize(t, exec.Command(segtest.Binary(t), "cli", "--data", a.Dir, "help"), 24, 80)
	all, err = oneShot.WaitText(20*time.Second, lines[len(lines)-1])
	if err != nil || strings.Contains(all, more) {
		t.Errorf("seg cli help on a terminal: %v\n%s", err, all)
	}
}
