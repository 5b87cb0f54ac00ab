package configcmd

import (
	"io"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/shell/shelltest"
	"seg/store"
)

// termSession runs userconfig's session on a terminal stream (as SSH and
// the console do) and returns a typist and a screen poller.
func termSession(t *testing.T) (*shelltest.Harness, func(string), func(int, string) int, *segtest.SyncBuffer) {
	t.Helper()
	h := shelltest.NewSession(t, testRegistry(), newStore(t))
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	scr := &segtest.SyncBuffer{}
	go io.Copy(scr, outR)
	done := make(chan error, 1)
	go func() { done <- h.S.RunTerminal(inR, outW) }()
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("RunTerminal did not return")
		}
		outW.Close()
	})
	typ := func(s string) {
		t.Helper()
		if _, err := inW.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(from int, want string) int {
		t.Helper()
		end := -1
		// Generous: the password is bcrypt-hashed between questions,
		// slow under -race on a loaded machine.
		if !segtest.Poll(30*time.Second, func() bool {
			if i := strings.Index(scr.String()[from:], want); i >= 0 {
				end = from + i + len(want)
			}
			return end >= 0
		}) {
			t.Fatalf("timed out waiting for %q; screen:\n%q", want, scr.String()[from:])
		}
		return end
	}
	return h, typ, wait, scr
}

// TestPasswordNotEchoed: on a terminal the new user's password, typed
// twice, never reaches the screen (each key shows as '*'), yet it is the
// password stored.
func TestPasswordNotEchoed(t *testing.T) {
	h, typ, wait, scr := termSession(t)
	const pw = "Zq7-hidden-pw"
	pos := wait(0, "> ")
	typ("userconfig\r")
	pos = wait(pos, "[]> ")
	typ("new\r")
	pos = wait(pos, "Enter the new username.")
	typ("carol\r")
	pos = wait(pos, "Enter the full name for carol.")
	typ("\r")
	pos = wait(pos, "[2]> ")
	typ("3\r")
	pos = wait(pos, "Enter the password for carol.")
	pos = wait(pos, "[]> ")
	typ(pw + "\r")
	pos = wait(pos, "Please enter the new password again.")
	pos = wait(pos, "[]> ")
	typ(pw + "\r")
	pos = wait(pos, "SSH")
	// A walk through the history right after the password (Up, then
	// Down to the line being edited) must not bring it back.
	typ("\x1b[A\x1b[B\x1b[A\x1b[A\x1b[B\x1b[B\x15n\r")
	pos = wait(pos, "Choose the operation")
	pos = wait(pos, "[]> ")
	typ("\r")
	pos = wait(pos, "seg.localdomain> ")
	if strings.Contains(scr.String(), pw) || strings.Contains(scr.String(), "hidden") {
		t.Fatalf("the password reached the screen:\n%q", scr.String())
	}
	if !strings.Contains(scr.String(), strings.Repeat("*", len(pw))) {
		t.Errorf("no mask shown while typing:\n%q", scr.String())
	}
	cfg := h.S.Candidate()
	if cfg == nil {
		t.Fatal("no candidate after NEW")
	}
	u := cfg.User("carol")
	if u == nil || !store.CheckPassword(u.PasswordHash, pw) {
		t.Fatalf("carol = %+v: not created with the typed password", u)
	}
	// Leave: Ctrl-D, then discard the uncommitted user.
	typ("\x04")
	wait(pos, "Do you want to discard them and exit?")
	typ("y\r")
}
