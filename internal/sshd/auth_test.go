package sshd

import (
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"seg/internal/segtest"
	"seg/store"
)

// connMeta is the ssh.ConnMetadata of a login attempt.
type connMeta struct{ user string }

func (m connMeta) User() string          { return m.user }
func (m connMeta) SessionID() []byte     { return []byte("sid") }
func (m connMeta) ClientVersion() []byte { return []byte("SSH-2.0-test") }
func (m connMeta) ServerVersion() []byte { return []byte("SSH-2.0-seg") }
func (m connMeta) RemoteAddr() net.Addr  { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000} }
func (m connMeta) LocalAddr() net.Addr   { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222} }

// authServer is a Server that is only asked to authenticate: users
// admin (password "correct horse", hashed at cost) and nopw (no
// password), failures kept in lockouts.
func authServer(t *testing.T, cost int, lockouts LockoutStore, now func() time.Time) *Server {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte("correct horse"), cost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := store.Default("seg.test", string(h))
	cfg.Users = append(cfg.Users, store.User{Name: "nopw", Role: store.RoleOperator})
	s := &Server{Store: store.NewMemory(cfg), Lockouts: lockouts, Now: now}
	s.init()
	return s
}

// minDuration is the shortest of n runs of f: the cost of f on an idle
// machine, as near as the test can tell.
func minDuration(n int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		f()
		best = min(best, time.Since(t0))
	}
	return best
}

func TestDummyHashCost(t *testing.T) {
	if c, err := bcrypt.Cost([]byte(dummyHash)); err != nil || c != store.PasswordCost {
		t.Fatalf("the dummy hash has cost %d (%v); stored passwords have %d: regenerate it", c, err, store.PasswordCost)
	}
}

// An unknown user, a user without a password and a wrong password each
// fail after a bcrypt comparison at the stored cost, so the time to fail
// does not tell which accounts exist. Only lower bounds are asserted: a
// loaded machine makes everything slower, never faster.
func TestLoginFailureTimeDoesNotTellUsers(t *testing.T) {
	s := authServer(t, store.PasswordCost, nil, time.Now)
	h, _ := bcrypt.GenerateFromPassword([]byte("x"), store.PasswordCost)
	compare := minDuration(5, func() { bcrypt.CompareHashAndPassword(h, []byte("y")) })
	for _, user := range []string{"mallory", "nopw", "admin"} {
		took := minDuration(3, func() {
			if _, err := s.passwordCallback(connMeta{user}, []byte("wrong password")); err == nil {
				t.Fatalf("%s logged in with a wrong password", user)
			}
		})
		if took < compare/2 {
			t.Errorf("a failed login as %s took %v, under half a bcrypt comparison (%v): the time tells whether the account exists", user, took, compare)
		}
	}
	if _, err := s.passwordCallback(connMeta{"nopw"}, nil); err == nil {
		t.Error("an account without a password logged in with an empty one")
	}
}

// The failures are kept in the LockoutStore: a new server on the same
// store (a restart) finds the account locked, until the lock expires.
func TestLockoutSurvivesRestart(t *testing.T) {
	st := store.NewMemory(nil)
	lockouts := st.(LockoutStore)
	clk := segtest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	s := authServer(t, bcrypt.MinCost, lockouts, clk.Now)
	for i := 0; i < MaxFailures; i++ {
		s.passwordCallback(connMeta{"admin"}, []byte("wrong"))
	}
	if _, err := s.passwordCallback(connMeta{"admin"}, []byte("correct horse")); err == nil {
		t.Fatal("not locked after five failures")
	}

	s = authServer(t, bcrypt.MinCost, lockouts, clk.Now) // the restart
	if _, err := s.passwordCallback(connMeta{"admin"}, []byte("correct horse")); err != errLocked {
		t.Fatalf("after a restart: %v, want %v", err, errLocked)
	}
	clk.Advance(LockTime)
	if _, err := s.passwordCallback(connMeta{"admin"}, []byte("correct horse")); err != nil {
		t.Fatalf("the lock did not expire: %v", err)
	}
	if m, _ := lockouts.LoginFailures(); len(m) != 0 {
		t.Fatalf("records left after a good login: %v", m)
	}
	// Unknown users leave no record: a scan of made-up names must not
	// fill the store.
	s.passwordCallback(connMeta{"mallory"}, []byte("x"))
	if m, _ := lockouts.LoginFailures(); len(m) != 0 {
		t.Fatalf("an unknown user was recorded: %v", m)
	}
}

// Server.LockTime sets the lock's length (the e2e tests shorten it).
func TestLockTimeSetting(t *testing.T) {
	clk := segtest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	h, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	s := &Server{Store: store.NewMemory(store.Default("seg.test", string(h))), Now: clk.Now, LockTime: 3 * time.Second}
	s.init()
	for i := 0; i < MaxFailures; i++ {
		s.passwordCallback(connMeta{"admin"}, []byte("wrong"))
	}
	clk.Advance(2 * time.Second)
	if _, err := s.passwordCallback(connMeta{"admin"}, []byte("correct horse")); err != errLocked {
		t.Fatalf("2 s into a 3 s lock: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := s.passwordCallback(connMeta{"admin"}, []byte("correct horse")); err != nil {
		t.Fatalf("3 s into a 3 s lock: %v", err)
	}
}
