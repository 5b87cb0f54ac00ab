package shell_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"seg/shell"
	"seg/shell/listenercmd"
	"seg/store"
)

// TestTerminalMenuTab: on a terminal, Tab inside a menu completes that
// menu's operations in the case the menu shows them (never a top-level
// command: "ex" is EXPORT in the HOSTACCESS menu, not exit) and the
// object names a question asks for; back at the top-level prompt it
// completes commands again.
func TestTerminalMenuTab(t *testing.T) {
	s := &shell.Session{
		User: "admin", Role: store.RoleAdmin, Source: "test", Store: newStore(t),
		Commands: shell.NewRegistry(append(shell.SessionCommands(), listenercmd.Commands()...)...),
		DataDir:  t.TempDir(),
	}
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

	pos := scr.waitFor(t, 0, "seg.localdomain> ")
	typ("listenerc\t")
	pos = scr.waitFor(t, pos, "onfig ")
	typ("\r")
	pos = scr.waitFor(t, pos, "- PRINT - Display the settings of a listener.")
	pos = scr.waitFor(t, pos, "[]> ")
	typ("ed\t")
	pos = scr.waitFor(t, pos, "EDIT ")
	typ("\r")
	pos = scr.waitFor(t, pos, "Enter the name or number of the listener you wish to edit.")
	pos = scr.waitFor(t, pos, "[]> ")
	typ("inc\t\r")
	pos = scr.waitFor(t, pos, "Name: IncomingMail\r\n")
	pos = scr.waitFor(t, pos, "[]> ")
	typ("hostacc\t\r")
	pos = scr.waitFor(t, pos, "There are currently 5 sender groups.")
	pos = scr.waitFor(t, pos, "[]> ")
	typ("ex\t\r")
	pos = scr.waitFor(t, pos, "Enter a name for the exported file")
	pos = scr.waitFor(t, pos, "[]> ")
	// A question that asks for no name completes nothing, not commands.
	typ("showch\t\x03")
	end := scr.waitFor(t, pos, "There are currently 5 sender groups.")
	if got := scr.String()[pos:end]; strings.Contains(got, "showchanges") {
		t.Fatalf("Tab at a question completed a command: %q", got)
	}
	pos = end
	pos = scr.waitFor(t, pos, "[]> ")
	typ("\r\r\r")
	pos = scr.waitFor(t, pos, "seg.localdomain> ")
	typ("showch\t\r")
	scr.waitFor(t, pos, "No changes have been made.")
	typ("quit\r")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunTerminal = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunTerminal did not return after quit")
	}
}
