// Package clusterstore is the process-wide configuration store, the
// "node" (SPEC 14). Standalone, it is the machine's bbolt store.
// Clustered, the cluster's revisions live in etcd (etcd.go), every one
// this machine has seen is cached in its own bbolt file (cache.go), and
// Current and Watch serve the machine's effective configuration, what
// its MTA runs; View serves the sessions at their level. The node
// switches between the two while the process runs: Watch subscribers
// (the MTA's reload loop) keep their channel across a switch.
package clusterstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"seg/store"
)

// Node implements store.Store and store.Leveled. Its zero value is not
// usable: Open one.
type Node struct {
	local *store.Bolt
	dir   string
	logf  func(format string, args ...any)
	now   func() time.Time
	// refresh is the live key's refresh period (Options.Refresh).
	refresh time.Duration

	// mu serialises commits, the cluster operations and the switches
	// between standalone and clustered.
	mu     sync.Mutex
	check  store.CommitCheck // guarded by mu
	closed bool              // guarded by mu

	watchers store.Watchers
	mem      atomic.Pointer[member] // nil: standalone

	stats   atomic.Pointer[func() ([]byte, error)]
	address atomic.Pointer[func() string]

	pmu    sync.Mutex
	placed map[int][]string // the last clustered commits' placement notes
}

// Options are what Open needs besides the local store.
type Options struct {
	// Dir is where MembershipFile and CacheFile live: the data dir,
	// beside config.db, out of reach of the shell's file commands
	// (the cache holds the cluster users' password hashes; the
	// membership decides which cluster the machine runs).
	Dir  string
	Logf func(format string, args ...any)
	Now  func() time.Time // nil: time.Now
	// Refresh is how often the live key is refreshed when nothing
	// changed (0: refreshInterval); tests lengthen it to show that a
	// newly applied revision is published at once.
	Refresh time.Duration
}

var errStandalone = errors.New("This machine is not in a cluster.")

// Open returns the node over local, which it owns from then on (Close
// closes it). With a membership file in o.Dir the node starts clustered,
// on its cache: etcd need not be reachable.
func Open(local *store.Bolt, o Options) (*Node, error) {
	n := &Node{local: local, dir: o.Dir, logf: o.Logf, now: o.Now, placed: map[int][]string{}, refresh: o.Refresh}
	if n.refresh <= 0 {
		n.refresh = refreshInterval
	}
	if n.logf == nil {
		n.logf = func(string, ...any) {}
	}
	if n.now == nil {
		n.now = time.Now
	}
	ms, err := readMembership(n.file(MembershipFile))
	if err != nil {
		return nil, fmt.Errorf("cluster membership: %v", err)
	}
	if ms != nil {
		m, err := restartMember(n, *ms)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %v (to start this machine standalone, on its configuration from before it joined, remove %s)", ms.Name, err, n.file(MembershipFile))
		}
		n.mem.Store(m)
		m.start()
	}
	return n, nil
}

func (n *Node) file(name string) string { return filepath.Join(n.dir, name) }

// SetStats sets what the machine publishes under its lease (the MTA's
// statistics, JSON); nil publishes none.
func (n *Node) SetStats(f func() ([]byte, error)) { n.stats.Store(&f) }

// SetAddress sets the address the machine publishes (clusterconfig list).
func (n *Node) SetAddress(f func() string) { n.address.Store(&f) }

// Current is the running configuration: standalone, the local store's;
// clustered, this machine's effective configuration at the applied
// revision.
func (n *Node) Current() (*store.Snapshot, error) {
	if m := n.mem.Load(); m != nil {
		return m.cur.Load().eff, nil
	}
	return n.local.Current()
}

// Get is revision n: clustered, the tree a session at the default level
// sees (the cluster level with this machine's machine-level objects),
// so that store.Rollback restores the cluster level through Commit.
func (n *Node) Get(rev int) (*store.Snapshot, error) {
	if m := n.mem.Load(); m != nil {
		return m.view(store.Level{}, rev)
	}
	return n.local.Get(rev)
}

// View is the tree a session at level l sees at revision rev (0: the
// applied one).
func (n *Node) View(l store.Level, rev int) (*store.Snapshot, error) {
	if m := n.mem.Load(); m != nil {
		return m.view(l, rev)
	}
	if l.Kind != store.LevelDefault {
		return nil, errStandalone
	}
	if rev == 0 {
		return n.local.Current()
	}
	return n.local.Get(rev)
}

// Revisions lists revisions newest first: clustered, the cluster's
// (from the cache, up to the applied one).
func (n *Node) Revisions(limit int) ([]store.Revision, error) {
	if m := n.mem.Load(); m != nil {
		return m.revisions(limit)
	}
	return n.local.Revisions(limit)
}

// Commit commits a session's candidate: standalone to the local store,
// clustered as a new cluster revision in etcd (commit.go).
func (n *Node) Commit(req store.CommitRequest) (store.Revision, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return store.Revision{}, store.ErrClosed
	}
	if m := n.mem.Load(); m != nil {
		rev, placed, err := m.commit(req, n.check)
		if err == nil && len(placed) > 0 {
			n.pmu.Lock()
			delete(n.placed, rev.Number-8)
			n.placed[rev.Number] = placed
			n.pmu.Unlock()
		}
		return rev, err
	}
	if req.Level.Kind != store.LevelDefault {
		return store.Revision{}, errStandalone
	}
	rev, err := n.local.Commit(req)
	if err != nil {
		return rev, err
	}
	// Under mu, so subscribers see the revisions in order.
	if s, err := n.local.Current(); err == nil {
		n.watchers.Notify(s)
	}
	return rev, nil
}

// Placed is what a clustered commit of revision rev wrote at another
// level than the session's ("listener IncomingMail: machine seg2
// (listeners are machine-level)"), for the last few commits made here.
func (n *Node) Placed(rev int) []string {
	n.pmu.Lock()
	defer n.pmu.Unlock()
	return n.placed[rev]
}

// SetCommitCheck installs the check run on this machine's next
// configuration before any commit is written.
func (n *Node) SetCommitCheck(check store.CommitCheck) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.check = check
	n.local.SetCommitCheck(check)
}

// Watch delivers each new running configuration, standalone or
// clustered, across switches; the channel holds the latest only.
func (n *Node) Watch() (<-chan *store.Snapshot, func()) { return n.watchers.Watch() }

// LoginFailures and SetLoginFailures keep the SSH lockouts, which are
// per machine: always in the local store.
func (n *Node) LoginFailures() (map[string]store.LoginFailures, error) {
	return n.local.LoginFailures()
}

func (n *Node) SetLoginFailures(user string, f store.LoginFailures) error {
	return n.local.SetLoginFailures(user, f)
}

// Close stops the cluster machinery (the machine's lease is revoked, so
// it shows down at once), every watch and the local store.
func (n *Node) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	if m := n.mem.Load(); m != nil {
		m.stop()
	}
	n.watchers.Close()
	return n.local.Close()
}
