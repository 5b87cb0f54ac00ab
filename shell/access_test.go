package shell_test

import (
	"errors"
	"strings"
	"testing"

	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

// withOperator commits, as admin, an operator account "op" and then
// drops a user, so that revision 2 holds another user list than the
// running revision 3.
func withOperator(t *testing.T, st store.Store) {
	t.Helper()
	cur := running(t, st)
	cfg := cur.Config.Clone()
	cfg.Users = append(cfg.Users,
		store.User{Name: "op", Role: store.RoleOperator},
		store.User{Name: "gone", Role: store.RoleAdmin})
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	cfg = cfg.Clone()
	cfg.Users = cfg.Users[:len(cfg.Users)-1]
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number + 1, Config: cfg, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
}

// rollbackconfig's interactive "commit now" commits through the same
// role check as commit, and the refused candidate stays for 'clear'.
func TestInteractiveRollbackCommitChecksRole(t *testing.T) {
	st := newStore(t)
	withOperator(t, st)
	h := shelltest.NewSession(t, testRegistry(), st)
	h.S.User, h.S.Role = "op", store.RoleOperator
	h.Run("rollbackconfig", "2", "Y", "Y")
	out := h.Output()
	if !strings.Contains(out, "The changes were not committed: user op (role operator) may not change user gone: only the admin role may change users") {
		t.Fatalf("interactive rollback by an operator:\n%s", out)
	}
	if cur := running(t, st); cur.Revision.Number != 3 || cur.Config.User("gone") != nil {
		t.Fatalf("running revision %d after a refused rollback", cur.Revision.Number)
	}
	if !h.S.Dirty() {
		t.Fatal("the refused candidate was dropped: the operator cannot see or clear it")
	}
}

// The batch forms: the warning goes to stderr at staging, commit fails
// with the refused objects, and nothing is written.
func TestRollbackByOperatorBatch(t *testing.T) {
	st := newStore(t)
	withOperator(t, st)
	s, _, errOut := batchSession(t, st)
	s.User, s.Role = "op", store.RoleOperator
	err := s.RunOneShot("rollbackconfig 2 ; commit")
	if err == nil || !strings.Contains(err.Error(), "may not change user gone") {
		t.Fatalf("one-shot rollback: %v", err)
	}
	if !strings.Contains(errOut.String(), "Warning: You are not in the correct access group to commit changes to user gone (the admin role is needed)") {
		t.Errorf("no warning at staging; stderr:\n%s", errOut)
	}
	if cur := running(t, st); cur.Revision.Number != 3 {
		t.Fatalf("running revision %d, want 3", cur.Revision.Number)
	}
}

// A session keeps the role it logged in with only while the account
// has it: demoted, it loses the rights at its next command; deleted, it
// may commit nothing.
func TestSessionFollowsAccountRole(t *testing.T) {
	st := newStore(t)
	withOperator(t, st)
	s, _, _ := batchSession(t, st)
	s.User, s.Role = "op", store.RoleOperator
	s.Mail = &fakeMail{}
	mustExec(t, s, "sethostname before.example.com")

	cur := running(t, st)
	cfg := cur.Config.Clone()
	cfg.User("op").Role = store.RoleReadOnly
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := s.Execute("commit"); !errors.Is(err, shell.ErrAccess) {
		t.Fatalf("commit by a demoted operator: %v, want %v", err, shell.ErrAccess)
	}
	if s.Role != store.RoleReadOnly {
		t.Errorf("session role %q, want readonly", s.Role)
	}

	cur = running(t, st)
	cfg = cur.Config.Clone()
	cfg.Users = cfg.Users[:1]
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := s.Execute("showconfig"); !errors.Is(err, shell.ErrAccess) {
		t.Fatalf("showconfig by a deleted account: %v, want %v", err, shell.ErrAccess)
	}
	if err := s.Execute("status"); err != nil {
		t.Fatalf("status (guest) by a deleted account: %v", err)
	}
}
