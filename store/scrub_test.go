package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

const (
	bobHash  = "$2a$10$bobbobbobbobbobbobbobuAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	bobHash2 = "$2a$10$bobbobbobbobbobbobbobuBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
)

// hashesOf lists every password hash of every revision of s.
func hashesOf(t *testing.T, s Store) map[string][]int {
	t.Helper()
	out := map[string][]int{}
	for n := current(t, s).Revision.Number; n >= 1; n-- {
		snap, err := s.Get(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range snap.Config.Users {
			if u.PasswordHash != "" {
				out[u.PasswordHash] = append(out[u.PasswordHash], n)
			}
		}
	}
	return out
}

// withBob commits a user bob with bobHash as revision 2.
func withBob(t *testing.T, s Store) *Config {
	t.Helper()
	cfg := current(t, s).Config.Clone()
	cfg.Users = append(cfg.Users, User{Name: "bob", Role: RoleOperator, PasswordHash: bobHash})
	commit(t, s, 1, cfg, "add bob")
	return cfg
}

// Deleting a user, or changing a password, clears the old hash from every
// older revision; a rollback then restores bob without a password.
func contractScrub(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	cfg := withBob(t, s)
	cfg = cfg.Clone()
	cfg.User("bob").PasswordHash = bobHash2
	commit(t, s, 2, cfg, "bob's new password") // 3
	if got := hashesOf(t, s); len(got[bobHash]) != 0 || len(got[bobHash2]) != 1 {
		t.Fatalf("after a password change: %v, want bobHash gone and bobHash2 in revision 3", got)
	}
	cfg = cfg.Clone()
	cfg.Users = cfg.Users[:1]
	commit(t, s, 3, cfg, "delete bob") // 4
	if got := hashesOf(t, s); len(got[bobHash2]) != 0 || len(got["$2a$10$hash"]) != 4 {
		t.Fatalf("after deleting bob: %v, want no hash of bob and admin's in all 4 revisions", got)
	}
	if _, err := Rollback(s, 3, "admin", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	bob := current(t, s).Config.User("bob")
	if bob == nil || bob.PasswordHash != "" || CheckPassword(bob.PasswordHash, "") {
		t.Fatalf("bob after the rollback: %+v, want restored without a password", bob)
	}
}

// A candidate staged before bob's password was retired commits neither
// the old hash nor a conflict over bob.
func contractScrubCandidate(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	withBob(t, s)
	stale := current(t, s).Config.Clone() // a session's candidate on revision 2
	stale.System.Hostname = "stale.example.com"
	cfg := stale.Clone()
	cfg.System.Hostname = current(t, s).Config.System.Hostname
	cfg.User("bob").PasswordHash = bobHash2
	commit(t, s, 2, cfg, "bob's new password") // 3
	if _, err := s.Commit(CommitRequest{Base: 2, Config: stale, User: "admin", Role: RoleAdmin}); err != nil {
		t.Fatalf("a commit that does not touch bob: %v", err)
	}
	cur := current(t, s).Config
	if cur.System.Hostname != "stale.example.com" || cur.User("bob").PasswordHash != bobHash2 {
		t.Fatalf("merged: hostname %q, bob %+v", cur.System.Hostname, cur.User("bob"))
	}
	if stale.User("bob").PasswordHash != bobHash {
		t.Fatal("Commit modified the caller's tree")
	}
	// Same with bob deleted: the stale candidate may not bring him back
	// with his hash.
	cfg = current(t, s).Config.Clone()
	cfg.Users = cfg.Users[:1]
	commit(t, s, 4, cfg, "delete bob") // 5
	_, err := s.Commit(CommitRequest{Base: 4, Config: cur.Clone(), User: "admin", Role: RoleAdmin})
	if !errors.Is(err, ErrNoChanges) || current(t, s).Config.User("bob") != nil {
		t.Fatalf("a stale candidate with bob: %v, bob %+v; want no changes (bob stays deleted)", err, current(t, s).Config.User("bob"))
	}
}

// ScrubRetired clears hashes another store retired from every revision,
// the current one included; the user stays, and commits go on.
func contractScrubOutside(t *testing.T, open opener) {
	s := open(t, testConfig(), fixedClock())
	withBob(t, s)
	sc, ok := s.(interface{ ScrubRetired(func(string) bool) error })
	if !ok {
		t.Fatalf("%T has no ScrubRetired", s)
	}
	if err := sc.ScrubRetired(inList([]string{bobHash})); err != nil {
		t.Fatal(err)
	}
	if got := hashesOf(t, s); len(got[bobHash]) != 0 || len(got["$2a$10$hash"]) != 2 {
		t.Fatalf("after ScrubRetired: %v, want bob's hash gone and admin's kept", got)
	}
	bob := current(t, s).Config.User("bob")
	if bob == nil || bob.PasswordHash != "" {
		t.Fatalf("current bob after ScrubRetired: %+v, want him without a password", bob)
	}
	cfg := current(t, s).Config.Clone()
	cfg.System.Hostname = "after.example.com"
	commit(t, s, 2, cfg, "a change after the scrub")
}

// The bbolt store clears the hash on disk: a reopened store (seg cli
// offline, or a copy of config.db) has no revision that holds it.
func TestBoltScrubPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.db")
	b := openBoltAt(t, path, testConfig(), time.Now)
	cfg := withBob(t, b).Clone()
	for i := 0; i < 3; i++ { // more revisions that keep bob
		cfg.System.Hostname = "h" + string(rune('a'+i)) + ".example.com"
		commit(t, b, current(t, b).Revision.Number, cfg, "other")
	}
	cfg.Users = cfg.Users[:1]
	commit(t, b, current(t, b).Revision.Number, cfg, "delete bob")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := OpenBolt(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := hashesOf(t, b); len(got[bobHash]) != 0 {
		t.Fatalf("bob's hash is still in revisions %v", got[bobHash])
	}
	for n := 2; n <= 5; n++ {
		snap, err := b.Get(n)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Config.User("bob") == nil {
			t.Fatalf("revision %d lost bob: scrubbing clears the hash, not the user", n)
		}
	}
}
