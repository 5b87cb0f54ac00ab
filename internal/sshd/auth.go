package sshd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"seg/store"
)

// Lockout policy (SPEC 7): five failed logins lock the account for five
// minutes.
const (
	MaxFailures = 5
	LockTime    = 5 * time.Minute
)

// permUser is the Permissions extension carrying the authenticated user.
const permUser = "seg-user"

// LockoutStore keeps failed logins where a restart finds them again
// (store.Bolt keeps them in config.db, outside the revisions).
type LockoutStore interface {
	LoginFailures() (map[string]store.LoginFailures, error)
	SetLoginFailures(user string, f store.LoginFailures) error
}

// lockout counts failed password logins per known user. The map is the
// truth while the server runs; every change is written through to the
// LockoutStore, from which the map is loaded at start.
type lockout struct {
	now      func() time.Time
	lockTime time.Duration
	persist  LockoutStore // nil: memory only
	logf     func(format string, args ...any)
	mu       sync.Mutex
	m        map[string]store.LoginFailures
}

// load reads the persisted records. A store that cannot be read is
// reported and the server starts with none: refusing every login would
// lock out the administrators too.
func (l *lockout) load() {
	l.m = map[string]store.LoginFailures{}
	if l.persist == nil {
		return
	}
	m, err := l.persist.LoginFailures()
	if err != nil {
		l.logf("SSH: reading the failed-login records: %v", err)
		return
	}
	l.m = m
}

// save writes user's record through; called with mu held.
func (l *lockout) save(user string, f store.LoginFailures) {
	if f == (store.LoginFailures{}) {
		delete(l.m, user)
	} else {
		l.m[user] = f
	}
	if l.persist == nil {
		return
	}
	if err := l.persist.SetLoginFailures(user, f); err != nil {
		l.logf("SSH: recording the failed logins of %s: %v", user, err)
	}
}

// locked reports whether user is locked out now.
func (l *lockout) locked(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.m[user]
	if !ok || f.LockedUntil.IsZero() {
		return false
	}
	if l.now().Before(f.LockedUntil) {
		return true
	}
	l.save(user, store.LoginFailures{}) // the lock expired: a fresh count
	return false
}

// fail records a failed login and reports whether it locked the account.
func (l *lockout) fail(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[user]
	f.Count++
	locks := f.Count >= MaxFailures && f.LockedUntil.IsZero()
	if locks {
		f.LockedUntil = l.now().Add(l.lockTime)
	}
	l.save(user, f)
	return locks
}

// succeed clears the count after a good login.
func (l *lockout) succeed(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.m[user]; ok {
		l.save(user, store.LoginFailures{})
	}
}

// errLocked is never shown to the peer (SSH just says the login failed),
// but reaches the auth log.
var errLocked = errors.New("account locked after too many failed logins")

// lookupUser returns the named user of the running configuration.
func (s *Server) lookupUser(name string) *store.User {
	snap, err := s.Store.Current()
	if err != nil {
		return nil
	}
	return snap.Config.User(name)
}

// dummyHash is the bcrypt hash, at the cost of stored passwords
// (store.PasswordCost; a test holds them equal), of a random password
// nobody kept. A login for an unknown user, a user without a password or
// a locked account is checked against it, so that every failure costs
// one bcrypt comparison: the time to fail does not tell which accounts
// exist. It is a constant so that the server does not spend a bcrypt
// hashing one before it binds.
const dummyHash = "$2a$10$6KtnvEsyGaiempUsuErjRuVWIq5YNXi7n3nO4fq2FrpOeQRTYw.kS"

func (s *Server) passwordCallback(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	name := meta.User()
	why, err := s.Authenticate(name, string(password))
	if err != nil {
		s.authFailed(name, source(meta), why)
		return nil, err
	}
	return &ssh.Permissions{Extensions: map[string]string{permUser: name}}, nil
}

// Authenticate checks a password login of the named user against the
// running configuration and the lockout (SPEC 7): SSH password logins
// and SMTP AUTH (cmd/seg gives it to the MTA) share it, so failures of
// either count toward the one lockout. On failure, why says why for the
// logs (never for the peer) and err is errLocked or a plain failure.
func (s *Server) Authenticate(name, password string) (why string, err error) {
	s.init()
	u := s.lookupUser(name)
	hash := dummyHash
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	// The comparison runs first and always, whatever the outcome.
	match := store.CheckPassword(hash, password) && hash != dummyHash
	if s.locks.locked(name) {
		return "account locked", errLocked
	}
	if !match {
		why := "wrong password"
		switch {
		case u == nil:
			why = "unknown user"
		case s.locks.fail(u.Name):
			why = fmt.Sprintf("wrong password; account locked for %s after %d failed logins", lockMinutes(s.locks.lockTime), MaxFailures)
		case u.PasswordHash == "":
			why = "the account has no password"
		}
		return why, errors.New("authentication failed")
	}
	s.locks.succeed(u.Name)
	return "", nil
}

// lockMinutes says how long a lock lasts, as the auth log does.
func lockMinutes(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return d.String()
}

// publicKeyCallback accepts a key listed in the user's SSHKeys. Clients
// offer keys one by one, so a key that is not listed is a question, not
// a failed login, and does not count towards the lockout.
func (s *Server) publicKeyCallback(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	name := meta.User()
	if s.locks.locked(name) {
		s.authFailed(name, source(meta), "account locked")
		return nil, errLocked
	}
	u := s.lookupUser(name)
	if u == nil {
		return nil, errors.New("unknown user")
	}
	want := key.Marshal()
	for _, line := range u.SSHKeys {
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(line)))
		if err == nil && bytes.Equal(k.Marshal(), want) {
			return &ssh.Permissions{Extensions: map[string]string{permUser: u.Name}}, nil
		}
	}
	return nil, errors.New("key not authorised")
}

func (s *Server) authFailed(user, src, why string) {
	if s.AuthFailed != nil {
		s.AuthFailed(user, src, why)
	}
}

// source names a peer as cli_logs and the shell show it.
func source(meta ssh.ConnMetadata) string { return "ssh " + meta.RemoteAddr().String() }
