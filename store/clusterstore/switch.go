package clusterstore

import (
	"errors"
	"fmt"
	"os"

	"seg/store"
)

// joinWith makes the node clustered with m, whose revision is applied:
// the membership file is written last, so that a crash before it
// restarts the machine standalone. Called with n.mu held.
func (n *Node) joinWith(m *member) error {
	if err := writeMembership(n.file(MembershipFile), m.membership()); err != nil {
		return err
	}
	n.mem.Store(m)
	m.start()
	n.logf("Cluster %s: machine %s runs cluster revision %d", m.ms.Name, m.machine(), m.cur.Load().rev.Number)
	return nil
}

// newJoiner is a member for a machine becoming clustered: a fresh
// cache, not started.
func (n *Node) newJoiner(ms Membership) (*member, error) {
	c, err := openCache(n.file(CacheFile))
	if err != nil {
		return nil, err
	}
	if err := c.reset(ms.Name); err != nil {
		c.close()
		return nil, err
	}
	cli, err := newClient(ms.Endpoints)
	if err != nil {
		c.close()
		return nil, err
	}
	return newMember(n, ms, cli, c), nil
}

// abandon drops a joiner that did not join.
func (m *member) abandon() {
	m.cancel()
	m.cli.Close()
	m.cache.close()
	os.Remove(m.n.file(CacheFile))
}

// toStandalone makes the node standalone on m's last applied effective
// configuration, committed into the local store as a new revision, and
// tells the Watch subscribers. Called with n.mu held.
func (n *Node) toStandalone(m *member, why string) {
	last := m.cur.Load()
	m.stop()
	cur, err := n.local.Current()
	if err == nil {
		// The effective configuration runs already (its addresses are
		// bound by this process): the bind check has nothing to say.
		n.local.SetCommitCheck(nil)
		_, err = n.local.Commit(store.CommitRequest{
			Base: cur.Revision.Number, Config: last.eff.Config,
			User: store.RoleSystem, Role: store.RoleSystem,
			Comment: fmt.Sprintf("%s; kept its revision %d as the standalone configuration", why, last.rev.Number),
		})
		n.local.SetCommitCheck(n.check)
	}
	if err != nil && !errors.Is(err, store.ErrNoChanges) {
		n.logf("Cluster %s: keeping the cluster's configuration as the standalone one failed: %v", m.ms.Name, err)
	}
	// Only now: until the local store holds it, Current serves the
	// member's last configuration, never the older standalone one.
	n.mem.Store(nil)
	if err := os.Remove(n.file(MembershipFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		n.logf("Cluster %s: removing %s: %v", m.ms.Name, MembershipFile, err)
	}
	if err := os.Remove(n.file(CacheFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		n.logf("Cluster %s: removing %s: %v", m.ms.Name, CacheFile, err)
	}
	n.logf("Cluster %s: machine %s is standalone: %s", m.ms.Name, m.machine(), why)
	if s, err := n.local.Current(); err == nil {
		n.watchers.Notify(s)
	}
}

// removed is a revision without this machine, seen by m's watch: another
// machine ran removemachine.
func (n *Node) removed(m *member, rev int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || n.mem.Load() != m {
		return // Leave did it already, or the node is closing
	}
	n.toStandalone(m, fmt.Sprintf("removed from cluster %s at its revision %d", m.ms.Name, rev))
}
