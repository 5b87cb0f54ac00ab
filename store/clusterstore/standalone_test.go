package clusterstore

import (
	"errors"
	"os"
	"slices"
	"testing"

	"seg/store"
)

// Standalone, the node is the local bbolt store: commits, revisions,
// rollback and watch behave as store.Bolt's.
func TestStandalonePassesThrough(t *testing.T) {
	a := newMachine(t, "seg1.example.com")
	watch, stop := a.node.Watch()
	defer stop()
	first := a.current().Revision.Number
	rev := a.mustSetAlerts("ops@example.com")
	if rev.Number != first+1 {
		t.Fatalf("revision %d, want %d", rev.Number, first+1)
	}
	if got := <-watch; got.Revision.Number != rev.Number || !slices.Equal(got.Config.System.AlertRecipients, []string{"ops@example.com"}) {
		t.Fatalf("watch delivered revision %d %v", got.Revision.Number, got.Config.System.AlertRecipients)
	}
	revs, err := a.node.Revisions(0)
	if err != nil || len(revs) != 2 || revs[0].Number != rev.Number {
		t.Fatalf("Revisions: %v, %v", revs, err)
	}
	if _, err := a.setAlerts(first, "x@example.com"); !errors.As(err, new(*store.ConflictError)) {
		t.Fatalf("stale commit of the same object: %v, want a conflict", err)
	}
	if _, err := store.Rollback(a.node, first, "admin", store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if got := a.alerts(); len(got) != 0 {
		t.Fatalf("after rollback: alerts %v", got)
	}
	if _, err := a.node.View(store.Level{Kind: store.LevelGroup, Name: "Main"}, 0); err == nil {
		t.Fatal("a group view on a standalone machine: no error")
	}
	if st := a.node.State(); st.Name != "" {
		t.Fatalf("standalone State: %+v", st)
	}
	if _, err := a.node.Machines(); err == nil || err.Error() != "This machine is not in a cluster." {
		t.Fatalf("Machines standalone: %v", err)
	}
	if _, err := os.Stat(a.confDir() + "/" + CacheFile); !os.IsNotExist(err) {
		t.Fatalf("a standalone node made %s: %v", CacheFile, err)
	}
}
