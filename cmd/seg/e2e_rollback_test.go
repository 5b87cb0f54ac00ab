package main

import (
	"strings"
	"testing"

	"seg/internal/segtest"
)

// TestCLIRollbackconfigLists: one-shot `seg cli rollbackconfig` with no
// revision lists the commits (the interactive form's list) and exits 0,
// offline and over the control socket; `rollbackconfig N` still stages.
func TestCLIRollbackconfigLists(t *testing.T) {
	a := segtest.Open(t, t.TempDir())
	a.Password = "correct horse battery"
	a.Configure()
	a.MustCli("destconfig", "edit", "DEFAULT", "--max_host_concurrency=321", ";", "commit", "concurrency to 321")

	check := func(where string) {
		t.Helper()
		out, errOut, code := a.Cli("rollbackconfig")
		if code != 0 || errOut != "" {
			t.Fatalf("%s: rollbackconfig: exit %d, stderr %q", where, code, errOut)
		}
		for _, want := range []string{"Previous commits:", "Committed On", "concurrency to 321"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the list lacks %q:\n%s", where, want, out)
			}
		}
	}
	check("offline")
	a.Start()
	check("online")
	if out := a.MustCli("rollbackconfig", "1"); !strings.Contains(out, "Revision 1 has been staged.") {
		t.Errorf("rollbackconfig 1: %q", out)
	}
}
