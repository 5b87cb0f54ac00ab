package store

import (
	"path/filepath"
	"testing"
	"time"
)

// Failed-login records live in config.db beside the revisions: they
// survive a reopen, and no commit or rollback touches them.
func TestBoltLoginFailuresPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.db")
	b := openBoltAt(t, path, testConfig(), time.Now)
	until := time.Date(2026, 11, 2, 9, 5, 0, 0, time.UTC)
	if err := b.SetLoginFailures("admin", LoginFailures{Count: 5, LockedUntil: until}); err != nil {
		t.Fatal(err)
	}
	if err := b.SetLoginFailures("bob", LoginFailures{Count: 2}); err != nil {
		t.Fatal(err)
	}
	cfg := current(t, b).Config.Clone()
	cfg.System.Hostname = "two.example.com"
	commit(t, b, 1, cfg, "two")
	if err := b.SetLoginFailures("bob", LoginFailures{}); err != nil {
		t.Fatal(err)
	}
	b.Close()

	b, err := OpenBolt(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m, err := b.LoginFailures()
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m["admin"].Count != 5 || !m["admin"].LockedUntil.Equal(until) {
		t.Fatalf("after reopen: %+v", m)
	}
	if revs, _ := b.Revisions(0); len(revs) != 2 {
		t.Fatalf("%d revisions: the records must not be revisions", len(revs))
	}
}

func TestMemoryLoginFailures(t *testing.T) {
	s := NewMemory(nil).(*core)
	s.SetLoginFailures("admin", LoginFailures{Count: 1})
	m, _ := s.LoginFailures()
	m["admin"] = LoginFailures{Count: 9} // a copy
	if m, _ := s.LoginFailures(); m["admin"].Count != 1 {
		t.Fatalf("LoginFailures returned the store's own map: %+v", m)
	}
}
