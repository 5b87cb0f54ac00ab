package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openBoltAt(t *testing.T, path string, initial *Config, now func() time.Time) *Bolt {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		t.Fatal(err)
	}
	b, err := openBolt(db, func() (*Config, error) { return initial, nil }, now)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return b
}

func openBoltTemp(t *testing.T, initial *Config, now func() time.Time) Store {
	b := openBoltAt(t, filepath.Join(t.TempDir(), "config.db"), initial, now)
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBoltContract(t *testing.T) { runContract(t, openBoltTemp) }

func TestBoltReopenKeepsRevisions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.db")
	b, err := OpenBolt(path, func() (*Config, error) { return testConfig(), nil })
	if err != nil {
		t.Fatal(err)
	}
	cfg := current(t, b).Config.Clone()
	cfg.System.Hostname = "two.example.com"
	commit(t, b, 1, cfg, "two")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config.db mode: %v %v", fi.Mode(), err)
	}

	b, err = OpenBolt(path, func() (*Config, error) {
		t.Fatal("initial called on a store that has revisions")
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cur := current(t, b)
	if cur.Revision.Number != 2 || cur.Revision.Comment != "two" || cur.Config.System.Hostname != "two.example.com" {
		t.Fatalf("after reopen: %+v %q", cur.Revision, cur.Config.System.Hostname)
	}
	cfg = cur.Config.Clone()
	cfg.System.Hostname = "three.example.com"
	if r := commit(t, b, 2, cfg, "three"); r.Number != 3 {
		t.Fatalf("numbering after reopen: %d", r.Number)
	}
	revs, err := b.Revisions(10)
	if err != nil || len(revs) != 3 || revs[2].Comment != "initial configuration" {
		t.Fatalf("Revisions = %+v, %v", revs, err)
	}
}

func TestBoltLockedByAnotherHandle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.db")
	init := func() (*Config, error) { return testConfig(), nil }
	b, err := OpenBolt(path, init)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	start := time.Now()
	b2, err := OpenBolt(path, init)
	if err == nil {
		b2.Close()
		t.Fatal("second open of a locked store succeeded")
	}
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("err = %v, want ErrInUse", err)
	}
	if d := time.Since(start); d < lockTimeout/2 {
		t.Fatalf("gave up after %v, before the lock timeout", d)
	}
}

func TestBoltInitialRejected(t *testing.T) {
	dir := t.TempDir()
	bad := testConfig()
	bad.Users = nil
	_, err := OpenBolt(filepath.Join(dir, "a.db"), func() (*Config, error) { return bad, nil })
	if err == nil || !strings.Contains(err.Error(), "at least one user must have the admin role") {
		t.Fatalf("invalid initial tree: err = %v", err)
	}
	_, err = OpenBolt(filepath.Join(dir, "b.db"), func() (*Config, error) { return nil, errors.New("no entropy") })
	if err == nil || !strings.Contains(err.Error(), "no entropy") {
		t.Fatalf("initial error: err = %v", err)
	}
	// Nothing was stored: a later open asks for the initial tree again.
	called := false
	b, err := OpenBolt(filepath.Join(dir, "b.db"), func() (*Config, error) { called = true; return testConfig(), nil })
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if !called {
		t.Fatal("initial not called on a store left empty by a failed open")
	}
}

func TestBoltGetOldRevisionIsIndependent(t *testing.T) {
	b := openBoltTemp(t, testConfig(), fixedClock())
	cfg := current(t, b).Config.Clone()
	cfg.Listeners[0].Port = 2626
	commit(t, b, 1, cfg, "port")
	old, err := b.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	if old.Config.Listeners[0].Port != 2525 || old.Revision.Comment != "initial configuration" {
		t.Fatalf("Get(1) = %+v port %d", old.Revision, old.Config.Listeners[0].Port)
	}
}
