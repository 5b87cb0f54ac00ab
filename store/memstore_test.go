package store

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// The contract every Store backend keeps; bolt_test.go runs it too.

type opener func(t *testing.T, initial *Config, now func() time.Time) Store

func testConfig() *Config { return Default("seg.test", "$2a$10$hash") }

// fixedClock returns a clock that advances one minute per call.
func fixedClock() func() time.Time {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Minute); return t }
}

func openMemory(t *testing.T, initial *Config, now func() time.Time) Store {
	s := NewMemoryClock(initial, now)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMemoryContract(t *testing.T) { runContract(t, openMemory) }

func runContract(t *testing.T, open opener) {
	tests := map[string]func(*testing.T, opener){
		"Initial":          contractInitial,
		"Commit":           contractCommit,
		"NoChanges":        contractNoChanges,
		"MergeDifferent":   contractMerge,
		"ConflictSame":     contractConflict,
		"RejectedCommit":   contractRejected,
		"WatchDelivers":    contractWatch,
		"WatchLatestOnly":  contractWatchLatest,
		"Rollback":         contractRollback,
		"CloseEndsWatches": contractClose,
		"ScrubRetired":     contractScrub,
		"ScrubCandidate":   contractScrubCandidate,
		"ScrubFromOutside": contractScrubOutside,
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) { f(t, open) })
	}
}

func current(t *testing.T, s Store) *Snapshot {
	t.Helper()
	c, err := s.Current()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func commit(t *testing.T, s Store, base int, cfg *Config, comment string) Revision {
	t.Helper()
	r, err := s.Commit(CommitRequest{Base: base, Config: cfg, User: "admin", Role: RoleAdmin, Comment: comment})
	if err != nil {
		t.Fatalf("commit %q: %v", comment, err)
	}
	return r
}

func revisionCount(t *testing.T, s Store) int {
	t.Helper()
	rs, err := s.Revisions(0)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

func contractInitial(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	c := current(t, s)
	want := Revision{Number: 1, User: "system", Comment: "initial configuration", Time: time.Date(2026, 1, 2, 3, 5, 5, 0, time.UTC)}
	if !c.Revision.Time.Equal(want.Time) {
		t.Errorf("time = %v, want %v", c.Revision.Time, want.Time)
	}
	c.Revision.Time = want.Time
	if c.Revision != want {
		t.Errorf("revision = %+v, want %+v", c.Revision, want)
	}
	if !c.Config.Equal(testConfig()) {
		t.Error("revision 1 differs from the initial tree")
	}
}

func contractCommit(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	cfg := current(t, s).Config.Clone()
	cfg.System.Hostname = "two.example.com"
	r := commit(t, s, 1, cfg, "second")
	if r.Number != 2 || r.User != "admin" || r.Comment != "second" || r.Time.IsZero() {
		t.Fatalf("revision = %+v", r)
	}
	cfg.System.Hostname = "mutated.example.com" // the store kept its own copy
	cur := current(t, s)
	if cur.Revision.Number != 2 || cur.Config.System.Hostname != "two.example.com" {
		t.Fatalf("current = %d %q", cur.Revision.Number, cur.Config.System.Hostname)
	}
	cfg = cur.Config.Clone()
	cfg.System.Hostname = "three.example.com"
	commit(t, s, 2, cfg, "third")
	revs, err := s.Revisions(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 2 || revs[0].Number != 3 || revs[1].Number != 2 || revs[0].Comment != "third" {
		t.Fatalf("Revisions(2) = %+v", revs)
	}
	old, err := s.Get(1)
	if err != nil || old.Config.System.Hostname != "seg.test" {
		t.Fatalf("Get(1) = %+v, %v", old, err)
	}
	if _, err := s.Get(4); err == nil {
		t.Error("Get(4) of a 3-revision store succeeded")
	}
}

func contractNoChanges(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	_, err := s.Commit(CommitRequest{Base: 1, Config: current(t, s).Config.Clone(), User: "admin", Role: RoleAdmin})
	if !errors.Is(err, ErrNoChanges) {
		t.Fatalf("err = %v, want ErrNoChanges", err)
	}
	if n := revisionCount(t, s); n != 1 {
		t.Fatalf("%d revisions after a no-change commit", n)
	}
}

func contractMerge(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	a := current(t, s).Config.Clone()
	b := current(t, s).Config.Clone()
	a.System.Hostname = "a.example.com"
	b.DestDefault["max_host_concurrency"] = "100"
	b.Destinations = append(b.Destinations, Destination{Domain: "example.org", Params: Params{"use_tls": "required"}})
	commit(t, s, 1, a, "a")
	r := commit(t, s, 1, b, "b")
	cur := current(t, s)
	if r.Number != 3 || cur.Config.System.Hostname != "a.example.com" ||
		cur.Config.DestDefault["max_host_concurrency"] != "100" || cur.Config.Destination("example.org") == nil {
		t.Fatalf("merged revision %d lost a change: %+v", r.Number, cur.Config.System)
	}
}

func contractConflict(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	a := current(t, s).Config.Clone()
	b := current(t, s).Config.Clone()
	a.System.Hostname = "a.example.com"
	b.System.Hostname = "b.example.com"
	b.SSH.Port = 2200
	commit(t, s, 1, a, "a")
	_, err := s.Commit(CommitRequest{Base: 1, Config: b, User: "admin", Role: RoleAdmin})
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want ConflictError", err)
	}
	if ce.Base != 1 || ce.Current != 2 || !reflect.DeepEqual(ce.Objects, []string{"hostname"}) {
		t.Fatalf("conflict = %+v", ce)
	}
	if n := revisionCount(t, s); n != 2 {
		t.Fatalf("%d revisions after a conflict, want 2", n)
	}
	if current(t, s).Config.SSH.Port != 2222 {
		t.Fatal("the conflicting commit's other change was applied")
	}
}

func contractRejected(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	ch, stop := s.Watch()
	defer stop()
	cfg := current(t, s).Config.Clone()
	cfg.Listeners[0].Port = 0
	cfg.Users[0].Role = "root"
	_, err := s.Commit(CommitRequest{Base: 1, Config: cfg, User: "admin", Role: RoleAdmin})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) < 2 {
		t.Fatalf("err = %v, want a ValidationError with 2 problems", err)
	}
	if n := revisionCount(t, s); n != 1 || current(t, s).Revision.Number != 1 {
		t.Fatalf("a rejected commit left %d revisions", n)
	}
	select { // notify runs inside Commit, so anything sent is here now
	case snap := <-ch:
		t.Fatalf("watcher got revision %d from a rejected commit", snap.Revision.Number)
	default:
	}
}

func receive(t *testing.T, ch <-chan *Snapshot) *Snapshot {
	t.Helper()
	select {
	case s, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed")
		}
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no snapshot within 5s")
	}
	return nil
}

func contractWatch(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	ch, stop := s.Watch()
	cfg := current(t, s).Config.Clone()
	cfg.SSH.Port = 2200
	commit(t, s, 1, cfg, "ssh")
	got := receive(t, ch)
	if got.Revision.Number != 2 || got.Config.SSH.Port != 2200 || got != current(t, s) {
		t.Fatalf("watch delivered revision %d port %d", got.Revision.Number, got.Config.SSH.Port)
	}
	stop()
	if _, ok := <-ch; ok {
		t.Fatal("channel open after stop")
	}
	stop() // a second stop is harmless
}

func contractWatchLatest(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	ch, stop := s.Watch()
	defer stop()
	for i, port := range []int{2200, 2201, 2202} {
		cfg := current(t, s).Config.Clone()
		cfg.SSH.Port = port
		commit(t, s, i+1, cfg, "ssh")
	}
	if got := receive(t, ch); got.Revision.Number != 4 {
		t.Fatalf("slow reader got revision %d, want the latest (4)", got.Revision.Number)
	}
	select {
	case got := <-ch:
		t.Fatalf("a second snapshot (%d) was queued", got.Revision.Number)
	default:
	}
}

func contractRollback(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	cfg := current(t, s).Config.Clone()
	cfg.System.Hostname = "two.example.com"
	commit(t, s, 1, cfg, "two")
	r, err := Rollback(s, 1, "admin", RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if r.Number != 3 || r.Comment != "rollback to revision 1" || r.User != "admin" {
		t.Fatalf("rollback revision = %+v", r)
	}
	if !current(t, s).Config.Equal(testConfig()) {
		t.Fatal("rolled-back tree differs from revision 1")
	}
	if _, err := Rollback(s, 3, "admin", RoleAdmin); !errors.Is(err, ErrNoChanges) {
		t.Fatalf("rollback to the current revision: %v, want ErrNoChanges", err)
	}
}

func contractClose(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	ch, _ := s.Watch()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-ch; ok {
		t.Fatal("watch channel open after Close")
	}
	cfg := testConfig()
	cfg.SSH.Port = 2200
	if _, err := s.Commit(CommitRequest{Base: 1, Config: cfg}); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit after Close: %v", err)
	}
}
