package main

import (
	"sort"
	"sync"
	"time"

	"seg/shell"
)

// sessionTable is the appliance's list of open admin sessions, whatever
// way they came in (SSH, the console, the control socket): `who` reads
// it, and `last` tells a session still open from one whose logout the
// authentication log lacks.
type sessionTable struct {
	mu   sync.Mutex
	open map[*shell.Session]time.Time // the session and its login time
}

// add registers s, logged in at login, and returns the func that
// removes it.
func (t *sessionTable) add(s *shell.Session, login time.Time) func() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open == nil {
		t.open = map[*shell.Session]time.Time{}
	}
	t.open[s] = login
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		delete(t.open, s)
	}
}

// OpenSessions lists the open sessions, oldest login first.
func (t *sessionTable) OpenSessions() []shell.OpenSession {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]shell.OpenSession, 0, len(t.open))
	for s, login := range t.open {
		out = append(out, shell.OpenSession{User: s.User, Source: s.Source, Login: login, LastInput: s.LastInput()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Login.Before(out[j].Login) })
	return out
}
