package shell_test

import (
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
	scr, typ, done := startTerminal(t, s)

	pos := scr.waitFor(t, 0, "seg.localdomain> ")
	// Each step types keys, then waits for each text in turn.
	steps := []struct {
		keys string
		want []string
	}{
		{"listenerc\t", []string{"onfig "}},
		{"\r", []string{"- PRINT - Display the settings of a listener.", "[]> "}},
		{"ed\t", []string{"EDIT "}},
		{"\r", []string{"Enter the name or number of the listener you wish to edit.", "[]> "}},
		{"inc\t\r", []string{"Name: IncomingMail\r\n", "[]> "}},
		{"hostacc\t\r", []string{"There are currently 5 sender groups.", "[]> "}},
		{"ex\t\r", []string{"Enter a name for the exported file", "[]> "}},
	}
	for _, st := range steps {
		typ(st.keys)
		for _, w := range st.want {
			pos = scr.waitFor(t, pos, w)
		}
	}
	// A question that asks for no name completes nothing, not commands.
	typ("showch\t\x03")
	end := scr.waitFor(t, pos, "There are currently 5 sender groups.")
	if got := scr.String()[pos:end]; strings.Contains(got, "showchanges") {
		t.Fatalf("Tab at a question completed a command: %q", got)
	}
	pos = scr.waitFor(t, end, "[]> ")
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
