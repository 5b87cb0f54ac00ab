package shell_test

import (
	"slices"
	"strings"
	"testing"

	"seg/shell/shelltest"
	"seg/store"
)

// TestClusterBatch runs the cluster commands' batch forms as a script
// does (not interactive): bad input is an error (the script's exit
// status), good input reaches the Cluster with the arguments typed, and
// clusterset carries the session's user and role.
func TestClusterBatch(t *testing.T) {
	f := newClustered()
	h := shelltest.NewSession(t, testRegistry(), newStore(t))
	h.S.Interactive = false
	h.S.Cluster = f
	h.S.Mail = &fakeMail{}
	for _, line := range []string{
		"clusterconfig setgroup seg2.example.com Nowhere",
		"clusterconfig setgroup seg2.example.com",
		"clusterconfig removemachine seg1.example.com",
		"clusterconfig addgroup Main",
		"clusterconfig create x --etcd http://127.0.0.1:2379",
		"clusterconfig join",
		"clusterconfig removegroup East",
		"clustermode group Nowhere",
		"clustermode",
		"clusterset",
		"clusterset dns --from cluster --to group:East",
		"clusterset hostname --from cluster",
		"clustershow machine nope",
		"status --cluster extra",
	} {
		if err := h.S.Execute(line); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
	if want := []string{"removegroup East"}; !slices.Equal(f.calls, want) {
		t.Errorf("refused lines called the cluster: %q, want only %q (the node refuses a group with machines)", f.calls, want)
	}
	f.calls = nil
	for _, line := range []string{
		"clusterconfig setgroup SEG2.example.com east",
		"clusterconfig addgroup West",
		"clusterset destconfig example.com --from cluster --to machine:seg2.example.com --move",
		"clustermode group West",
		"clusterconfig removegroup West",
		"clusterconfig removemachine seg2.example.com",
		"clusterconfig leave",
	} {
		if err := h.S.Execute(line); err != nil {
			t.Errorf("%q: %v", line, err)
		}
	}
	want := []string{
		"setgroup seg2.example.com East",
		"addgroup West",
		`set "destconfig example.com" Cluster -> Machine seg2.example.com move=true as admin/admin`,
		"removegroup West",
		"removemachine seg2.example.com",
		"leave",
	}
	if !slices.Equal(f.calls, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
	// Removing the group the session edits, then leaving, put the session
	// back at the default level: a standalone machine's whole tree.
	if h.S.Level != (store.Level{}) {
		t.Errorf("level after leave: %+v", h.S.Level)
	}
}

// TestClusterModeLevel: clustermode sets the level the session reads
// and commits at; it is refused while changes are staged, and the level
// stays.
func TestClusterModeLevel(t *testing.T) {
	h := shelltest.NewSession(t, testRegistry(), newStore(t))
	h.S.Cluster = newClustered()
	if got := h.S.Prompt(); got != "(Cluster prod)> " {
		t.Errorf("prompt at the default level: %q", got)
	}
	if err := h.S.Execute("clustermode machine SEG2.example.com"); err != nil {
		t.Fatal(err)
	}
	if want := (store.Level{Kind: store.LevelMachine, Name: "seg2.example.com"}); h.S.Level != want {
		t.Errorf("level %+v, want %+v", h.S.Level, want)
	}
	if got := h.S.Prompt(); got != "(Machine seg2.example.com)> " {
		t.Errorf("prompt: %q", got)
	}
	if err := h.S.Execute("sethostname x.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := h.S.Execute("clustermode cluster"); err == nil || !strings.Contains(err.Error(), "uncommitted changes") {
		t.Errorf("clustermode with staged changes: %v", err)
	}
	if h.S.Level.Kind != store.LevelMachine {
		t.Errorf("level changed by a refused clustermode: %+v", h.S.Level)
	}
	h.S.Cluster = newStandalone()
	if got := h.S.Prompt(); got != "seg.localdomain> " {
		t.Errorf("standalone prompt: %q", got)
	}
}
