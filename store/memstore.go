package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// This file holds the commit logic every backend shares (core) and the
// in-memory backend. A backend only decides where revisions live
// (persister); validation, merging, conflicts, revision numbering and the
// watch fan-out are core's.

// persister stores revisions for core. put is called with core's commit
// lock held and must be durable when it returns; on error nothing may be
// visible afterwards. In the same write it clears the retired password
// hashes from every older revision (scrub.go).
type persister interface {
	put(rev Revision, cfg *Config, encoded []byte, retired []string) error
	// scrub clears the hashes retired reports from every revision.
	scrub(retired func(hash string) bool) error
	get(n int) (*Snapshot, error)
	list(limit int) ([]Revision, error)
	close() error
	// failures and setFailures keep the LoginFailures (lockouts.go).
	failures() (map[string]LoginFailures, error)
	setFailures(user string, f LoginFailures) error
}

// ErrClosed is returned by a Store used after Close.
var ErrClosed = errors.New("the configuration store is closed")

// core implements Store over a persister.
type core struct {
	p   persister
	now func() time.Time

	mu      sync.Mutex // serialises Commit and Close
	closed  bool
	check   CommitCheck              // guarded by mu
	retired hashSet                  // guarded by mu
	cur     atomic.Pointer[Snapshot] // read lock-free by Current
	curJSON []byte                   // cur's encoding, for the no-change test

	// afterPut, when set, is called between the persister's write and
	// the watcher notification (benchmarks time the notify step).
	afterPut func()

	watchers Watchers
}

func newCore(p persister, now func() time.Time, cur *Snapshot) (*core, error) {
	enc, err := json.Marshal(cur.Config)
	if err != nil {
		return nil, fmt.Errorf("config store: encoding revision %d: %v", cur.Revision.Number, err)
	}
	c := &core{p: p, now: now, curJSON: enc, retired: hashSet{}}
	cur.Config.decodeParams()
	c.cur.Store(cur)
	return c, nil
}

// Current returns the newest revision. The *Config is shared by every
// caller (sessions, the MTA): it must not be modified; edit a Clone().
func (c *core) Current() (*Snapshot, error) {
	return c.cur.Load(), nil
}

// Get returns revision n; like Current's, its Config is read-only.
func (c *core) Get(n int) (*Snapshot, error) {
	if cur := c.cur.Load(); n == cur.Revision.Number {
		return cur, nil
	}
	if n < 1 || n > c.cur.Load().Revision.Number {
		return nil, fmt.Errorf("no configuration revision %d (revisions are 1 to %d)", n, c.cur.Load().Revision.Number)
	}
	return c.p.get(n)
}

// Revisions lists up to limit revisions, newest first (limit <= 0: all).
func (c *core) Revisions(limit int) ([]Revision, error) {
	return c.p.list(limit)
}

// Commit stores req.Config as a new revision (see Store.Commit). The
// request's Config is only read, never kept: the stored snapshot is a
// fresh copy, so the caller may go on editing its tree.
func (c *core) Commit(req CommitRequest) (Revision, error) {
	if req.Config == nil {
		return Revision{}, errors.New("commit: no configuration given")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return Revision{}, ErrClosed
	}
	cur := c.cur.Load()
	// A candidate staged before a password was retired may still hold
	// it; it must neither bring it back nor conflict over it.
	cfg, _ := ScrubUsers(req.Config, c.retired.has)
	if req.Base != cur.Revision.Number {
		base, err := c.Get(req.Base)
		if err != nil {
			return Revision{}, fmt.Errorf("commit: base revision: %v", err)
		}
		merged, both := Merge(base.Config, cfg, cur.Config)
		if len(both) > 0 {
			return Revision{}, &ConflictError{Base: req.Base, Current: cur.Revision.Number, Objects: both}
		}
		cfg = merged
	}
	enc, err := json.Marshal(cfg)
	if err != nil {
		return Revision{}, fmt.Errorf("commit: encoding configuration: %v", err)
	}
	if string(enc) == string(c.curJSON) {
		return Revision{}, ErrNoChanges
	}
	if err := cfg.Validate(); err != nil {
		return Revision{}, err
	}
	// Access is judged on what the running configuration would become,
	// after any merge: that is what the commit changes.
	if err := CheckAccess(req.User, req.Role, cur.Config, cfg); err != nil {
		return Revision{}, err
	}
	if c.check != nil {
		if err := c.check(cur.Config, cfg); err != nil {
			return Revision{}, err
		}
	}
	// Decoding the encoding gives the snapshot its own memory: nothing
	// the committer still holds can reach it.
	var snap Config
	if err := json.Unmarshal(enc, &snap); err != nil {
		return Revision{}, fmt.Errorf("commit: decoding configuration: %v", err)
	}
	snap.decodeParams()
	rev := Revision{Number: cur.Revision.Number + 1, User: req.User, Time: c.now(), Comment: req.Comment}
	retired := RetiredHashes(cur.Config, &snap)
	if err := c.p.put(rev, &snap, enc, retired); err != nil {
		return Revision{}, err
	}
	c.retired.add(retired)
	if c.afterPut != nil {
		c.afterPut()
	}
	s := &Snapshot{Revision: rev, Config: &snap}
	c.cur.Store(s)
	c.curJSON = enc
	c.watchers.Notify(s)
	return rev, nil
}

// SetCommitCheck installs the check Commit runs before writing.
func (c *core) SetCommitCheck(check CommitCheck) {
	c.mu.Lock()
	c.check = check
	c.mu.Unlock()
}

// Watch delivers each new snapshot; the channel holds only the latest.
func (c *core) Watch() (<-chan *Snapshot, func()) { return c.watchers.Watch() }

// Close stops every watch (closing its channel) and the persister.
func (c *core) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.watchers.Close()
	return c.p.close()
}

// Rollback commits revision rev again as a new revision on top of the
// current one, as user with role.
func Rollback(s Store, rev int, user, role string) (Revision, error) {
	cur, err := s.Current()
	if err != nil {
		return Revision{}, err
	}
	old, err := s.Get(rev)
	if err != nil {
		return Revision{}, err
	}
	return s.Commit(CommitRequest{
		Base:    cur.Revision.Number,
		Config:  old.Config,
		User:    user,
		Role:    role,
		Comment: fmt.Sprintf("rollback to revision %d", rev),
	})
}

// Initial revision metadata, shared by the backends.
const (
	initialUser    = "system"
	initialComment = "initial configuration"
)

// NewMemory returns a Store that keeps its revisions in memory, with the
// same commit semantics as the bbolt store. initial becomes revision 1
// (copied, not validated, so tests may start from partial trees; nil
// gives an empty tree).
func NewMemory(initial *Config) Store {
	return NewMemoryClock(initial, time.Now)
}

// NewMemoryClock is NewMemory with the clock that stamps revisions.
func NewMemoryClock(initial *Config, now func() time.Time) Store {
	if initial == nil {
		initial = &Config{}
	}
	first := &Snapshot{
		Revision: Revision{Number: 1, User: initialUser, Time: now(), Comment: initialComment},
		Config:   initial.Clone(),
	}
	m := &memory{revs: []*Snapshot{first}}
	c, err := newCore(m, now, first)
	if err != nil {
		// Clone above has already encoded this tree successfully.
		panic("store: " + err.Error())
	}
	return c
}

// memory is the in-memory persister.
type memory struct {
	mu   sync.Mutex
	revs []*Snapshot // revs[i] is revision i+1
	memFailures
}

func (m *memory) put(rev Revision, cfg *Config, _ []byte, retired []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(retired) > 0 {
		m.scrubLocked(inList(retired))
	}
	m.revs = append(m.revs, &Snapshot{Revision: rev, Config: cfg})
	return nil
}

func (m *memory) scrub(retired func(string) bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.scrubLocked(retired)
	return nil
}

// scrubLocked clears the retired hashes; snapshots handed out are never
// modified: scrubbed ones are replaced.
func (m *memory) scrubLocked(retired func(string) bool) {
	for i, s := range m.revs {
		if n, ok := ScrubUsers(s.Config, retired); ok {
			m.revs[i] = &Snapshot{Revision: s.Revision, Config: n}
		}
	}
}

func (m *memory) get(n int) (*Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n < 1 || n > len(m.revs) {
		return nil, fmt.Errorf("no configuration revision %d", n)
	}
	return m.revs[n-1], nil
}

func (m *memory) list(limit int) ([]Revision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Revision
	for i := len(m.revs) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		out = append(out, m.revs[i].Revision)
	}
	return out, nil
}

func (m *memory) close() error { return nil }
