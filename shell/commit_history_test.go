package shell_test

import (
	"strings"
	"testing"

	"seg/shell/shelltest"
	"seg/store"
)

// swapStore stands for the cluster node, whose history changes under an
// open session when the machine joins or leaves a cluster.
type swapStore struct{ store.Store }

// A session whose base revision number now names another tree (the
// machine switched histories) must not commit: merging on that base
// could undo what the other history holds.
func TestCommitRefusedWhenHistoryChanged(t *testing.T) {
	sw := &swapStore{newStore(t)}
	h := shelltest.NewSession(t, testRegistry(), sw)
	h.Run("sethostname mine.example.com")

	other := store.Default("", "$2a$10$abcdefghijklmnopqrstuu5Rk0qXGZyWn3XxvT8y1u0bYwzZ6m0yu")
	other.System.Hostname = "cluster.example.com"
	sw.Store = store.NewMemory(other)
	t.Cleanup(func() { sw.Store.Close() })

	h.Reset()
	h.Run("commit", "")
	if out := h.Output(); !strings.Contains(out, "the configuration history changed since your changes began") {
		t.Fatalf("commit across a history switch:\n%s", out)
	}
	if got := running(t, sw.Store).Config.System.Hostname; got != "cluster.example.com" {
		t.Errorf("the other history was changed: hostname %q", got)
	}
	if !h.S.Dirty() {
		t.Error("the candidate was dropped; it should stay for the admin to review or clear")
	}
}

// placerStore stands for the cluster node, which reports what a commit
// stored at another level than the session's.
type placerStore struct{ store.Store }

func (placerStore) Placed(rev int) []string {
	return []string{"listener address IncomingMail: machine seg2 (listener addresses are machine-level)"}
}

func TestCommitSaysWhereObjectsWent(t *testing.T) {
	h := shelltest.NewSession(t, testRegistry(), placerStore{newStore(t)})
	h.Run("sethostname mine.example.com")
	h.Run("commit", "")
	if out := h.Output(); !strings.Contains(out, "Stored at its own level: listener address IncomingMail: machine seg2 (listener addresses are machine-level)") {
		t.Fatalf("commit did not say where the listener went:\n%s", out)
	}
}
