package shell_test

import (
	"io"
	"testing"
	"time"
)

// An interactive session that receives nothing for the CLI inactivity
// timeout is closed, its candidate discarded; typing keeps it open.
// A "minute" lasts 20ms here, so the default 30 minutes are 600ms.
func TestIdleTimeoutClosesTerminal(t *testing.T) {
	st := newStore(t)
	s, _, _ := batchSession(t, st)
	s.TimeoutMinute = 20 * time.Millisecond
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	scr := &screen{}
	go io.Copy(scr, outR)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- s.RunTerminal(inR, outW) }()
	t.Cleanup(func() { inW.Close(); outW.Close() })

	pos := scr.waitFor(t, 0, "seg.localdomain> ")
	if _, err := inW.Write([]byte("sethostname idle.example.com\r")); err != nil {
		t.Fatal(err)
	}
	pos = scr.waitFor(t, pos, "seg.localdomain> ")
	// Half a timeout later, a keystroke (not a whole line) is input too.
	for time.Since(start) < 400*time.Millisecond {
		select {
		case err := <-done:
			t.Fatalf("the session ended before the timeout: %v\n%s", err, scr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	typed := time.Now()
	if _, err := inW.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the idle session was not closed:\n%s", scr.String())
	}
	if d := time.Since(typed); d < 550*time.Millisecond {
		t.Errorf("closed %v after the last key, before the 600ms timeout", d)
	}
	scr.waitFor(t, pos, "This session has been idle for more than 30 minutes (adminaccessconfig timeout) and has been closed.\r\n1 uncommitted change(s) were discarded.\r\n")
	if s.Dirty() {
		t.Fatal("the candidate survived the timeout")
	}
	if h := running(t, st).Config.System.Hostname; h == "idle.example.com" {
		t.Fatal("the staged change was committed")
	}
}
