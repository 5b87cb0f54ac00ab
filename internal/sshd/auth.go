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

// lockout counts failed password logins per user.
type lockout struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*failures
}

type failures struct {
	count int
	until time.Time // locked until; zero when not locked
}

// locked reports whether user is locked out now.
func (l *lockout) locked(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[user]
	if f == nil || f.until.IsZero() {
		return false
	}
	if l.now().Before(f.until) {
		return true
	}
	delete(l.m, user) // the lock expired: a fresh count
	return false
}

// fail records a failed login and reports whether it locked the account.
func (l *lockout) fail(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[user]
	if f == nil {
		f = &failures{}
		l.m[user] = f
	}
	f.count++
	if f.count >= MaxFailures && f.until.IsZero() {
		f.until = l.now().Add(LockTime)
		return true
	}
	return false
}

// succeed clears the count after a good login.
func (l *lockout) succeed(user string) {
	l.mu.Lock()
	delete(l.m, user)
	l.mu.Unlock()
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

func (s *Server) passwordCallback(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	name, src := meta.User(), source(meta)
	if s.locks.locked(name) {
		s.authFailed(name, src, "account locked")
		return nil, errLocked
	}
	u := s.lookupUser(name)
	if u == nil || !store.CheckPassword(u.PasswordHash, string(password)) {
		why := "wrong password"
		if u == nil {
			why = "unknown user"
		} else if s.locks.fail(u.Name) {
			why = fmt.Sprintf("wrong password; account locked for %d minutes after %d failed logins", int(LockTime/time.Minute), MaxFailures)
		}
		s.authFailed(name, src, why)
		return nil, errors.New("authentication failed")
	}
	s.locks.succeed(u.Name)
	return &ssh.Permissions{Extensions: map[string]string{permUser: u.Name}}, nil
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
