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
	commitHostname(t, sw.Store, "standalone.example.com", "standalone revision 2")
	h := shelltest.NewSession(t, testRegistry(), sw)
	h.Run("sethostname mine.example.com")

	// The other history has a revision 2 too, another one.
	sw.Store = newStore(t)
	commitHostname(t, sw.Store, "cluster.example.com", "cluster revision 2")

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

// commitHostname commits a hostname change as admin.
func commitHostname(t *testing.T, st store.Store, name, comment string) {
	t.Helper()
	cur := running(t, st)
	cfg := cur.Config.Clone()
	cfg.System.Hostname = name
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin, Comment: comment}); err != nil {
		t.Fatal(err)
	}
}

// A password change rewrites older revisions (their retired hashes are
// cleared): a session staged before it still commits, since its base
// revision is the same revision.
func TestCommitAfterPasswordScrub(t *testing.T) {
	st := newStore(t)
	cur := running(t, st)
	cfg := cur.Config.Clone()
	cfg.Users = append(cfg.Users, store.User{Name: "bob", FullName: "Bob", Role: store.RoleOperator, PasswordHash: "$2a$10$bobbobbobbobbobbobbobuAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin, Comment: "bob"}); err != nil {
		t.Fatal(err)
	}
	h := shelltest.NewSession(t, testRegistry(), st)
	h.Run("sethostname mine.example.com")

	cur = running(t, st)
	cfg = cur.Config.Clone()
	cfg.User("bob").PasswordHash = "$2a$10$bobbobbobbobbobbobbobuBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin, Comment: "bob's password"}); err != nil {
		t.Fatal(err)
	}
	h.Reset()
	h.Run("commit", "")
	if out := h.Output(); !strings.Contains(out, "Changes committed") {
		t.Fatalf("commit after another session's password change:\n%s", out)
	}
	if got := running(t, st).Config.System.Hostname; got != "mine.example.com" {
		t.Errorf("hostname %q after the commit", got)
	}
}
