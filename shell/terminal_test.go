package shell_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/shell"
)

// screen collects what the terminal side receives.
type screen struct{ segtest.SyncBuffer }

// waitFor polls until the screen, from offset from, contains want.
func (s *screen) waitFor(t *testing.T, from int, want string) int {
	t.Helper()
	var got string
	end := -1
	if !segtest.Poll(5*time.Second, func() bool {
		got = s.String()
		if i := strings.Index(got[from:], want); i >= 0 {
			end = from + i + len(want)
		}
		return end >= 0
	}) {
		t.Fatalf("timed out waiting for %q; screen:\n%q", want, got[from:])
	}
	return end
}

// startTerminal runs s on a terminal stream; it returns the screen, a
// typist, and RunTerminal's result when it ends.
func startTerminal(t *testing.T, s *shell.Session) (*screen, func(string), <-chan error) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	scr := &screen{}
	go io.Copy(scr, outR)
	done := make(chan error, 1)
	go func() { done <- s.RunTerminal(inR, outW) }()
	t.Cleanup(func() { inW.Close(); outW.Close() })
	typ := func(text string) {
		t.Helper()
		if _, err := inW.Write([]byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	return scr, typ, done
}

func TestRunTerminal(t *testing.T) {
	s, _, _ := batchSession(t, newStore(t))
	scr, typ, done := startTerminal(t, s)

	pos := scr.waitFor(t, 0, "seg.localdomain> ")
	typ("help\r")
	pos = scr.waitFor(t, pos, "Available commands:\r\n")
	pos = scr.waitFor(t, pos, "tophosts")
	pos = scr.waitFor(t, pos, "seg.localdomain> ")

	// Tab completes the one command starting with "tophos".
	typ("tophos\t")
	pos = scr.waitFor(t, pos, "ts ")
	typ("\r")
	pos = scr.waitFor(t, pos, "The mail system is not running.\r\n")

	// Tab after a command completes its operations.
	typ("status d\t\r")
	pos = scr.waitFor(t, pos, "etail ")
	pos = scr.waitFor(t, pos, "The mail system is not running.")

	// Ctrl-C at a question aborts the command and changes nothing.
	typ("twostep\r")
	pos = scr.waitFor(t, pos, "[Y]> ")
	typ("\x03")
	pos = scr.waitFor(t, pos, "Command aborted; no changes were made.")
	if s.Dirty() {
		t.Error("interrupted command left a candidate")
	}

	// Ctrl-D with uncommitted changes asks; "y" leaves.
	typ("sethostname t.example.com\r")
	pos = scr.waitFor(t, pos, "seg.localdomain> ")
	typ("\x04")
	scr.waitFor(t, pos, "Do you want to discard them and exit?")
	typ("y\r")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunTerminal = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunTerminal did not return after the session ended")
	}
	if s.Dirty() {
		t.Error("changes kept after leaving")
	}
}

func TestSetWidthConcurrent(t *testing.T) {
	s, _, _ := batchSession(t, newStore(t))
	inR, inW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.RunTerminal(inR, io.Discard) }()
	for i := 0; i < 50; i++ {
		s.SetWidth(100 + i)
	}
	inW.Write([]byte("quit\r"))
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunTerminal did not return after quit")
	}
}
