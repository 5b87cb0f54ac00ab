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

// runTerminal runs s on a terminal stream of rows x 80 (rows 0: the
// height unknown) and returns a typist, the screen, and a func that
// waits for RunTerminal to return (after the session ended) and gives
// its error.
func runTerminal(t *testing.T, s *shell.Session, rows int) (func(string), *screen, func() error) {
	t.Helper()
	s.SetWidth(80)
	s.SetHeight(rows)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	scr := &screen{}
	go io.Copy(scr, outR)
	done := make(chan struct{})
	var err error
	go func() {
		err = s.RunTerminal(inR, outW)
		close(done)
	}()
	ended := func() error {
		t.Helper()
		select {
		case <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("RunTerminal did not return after the session ended")
			return nil
		}
	}
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("RunTerminal did not return")
		}
		outW.Close()
	})
	return func(text string) {
		t.Helper()
		if _, err := inW.Write([]byte(text)); err != nil {
			t.Fatal(err)
		}
	}, scr, ended
}

func TestRunTerminal(t *testing.T) {
	s, _, _ := batchSession(t, newStore(t))
	typ, scr, ended := runTerminal(t, s, 0)

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
	if err := ended(); err != nil {
		t.Fatalf("RunTerminal = %v", err)
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
