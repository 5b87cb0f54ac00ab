package clusterstore

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"seg/store"
)

// The cluster operations (clusterconfig, clusterset). Each change is a
// new cluster revision, applied at once (AsyncOS applies clusterconfig
// without a commit); user is who ran it, for the revision's record.

// nameSyntax is a cluster name as the store's other names (store.MaxNameLength);
// it is part of etcd keys, so never holds a '/'.
var nameSyntax = regexp.MustCompile(fmt.Sprintf(`^[A-Za-z0-9._-]{1,%d}$`, store.MaxNameLength))

func (n *Node) member() (*member, error) {
	if m := n.mem.Load(); m != nil {
		return m, nil
	}
	return nil, errStandalone
}

func (n *Node) standalone() (*store.Snapshot, error) {
	if m := n.mem.Load(); m != nil {
		return nil, fmt.Errorf("This machine is already in cluster %s.", m.ms.Name)
	}
	return n.local.Current()
}

// Create makes this standalone machine the first member of a new
// cluster: its configuration becomes cluster revision 1.
func (n *Node) Create(name string, endpoints []string, group, user string) error {
	if !nameSyntax.MatchString(name) {
		return fmt.Errorf("Invalid cluster name %q: 1 to %d letters, digits, '_', '-' and '.'.", name, store.MaxNameLength)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	cur, err := n.standalone()
	if err != nil {
		return err
	}
	machine := cur.Config.System.Hostname
	tree, err := store.NewClusterTree(name, cur.Config, machine, group)
	if err != nil {
		return err
	}
	m, err := n.newJoiner(Membership{Name: name, Endpoints: endpoints, Machine: machine, Group: group})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(m.ctx, opTimeout)
	defer cancel()
	exists := fmt.Errorf("A cluster named %s already exists on those etcd endpoints.", name)
	resp, err := m.cli.Get(ctx, m.k.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		m.abandon()
		return unreachable(err)
	}
	if resp.Count > 0 {
		m.abandon()
		return exists
	}
	rev := store.Revision{Number: 1, User: user, Time: n.now(), Comment: fmt.Sprintf("cluster %s created from machine %s", name, machine)}
	rec, err := newRecord(rev, tree, nil)
	if err == nil {
		var won bool
		if won, err = putRevision(ctx, m.cli, m.k, 0, rec); err == nil && !won {
			err = exists
		}
	}
	if err == nil {
		err = m.received(rec)
	}
	if err == nil && m.cur.Load() == nil {
		err = fmt.Errorf("machine %s cannot run the cluster's configuration: %s", machine, m.applyError())
	}
	if err != nil {
		m.abandon()
		return err
	}
	return n.joinWith(m)
}

// Join adds this standalone machine to the cluster the endpoints hold,
// in group: it keeps its machine-level settings and takes the rest from
// the cluster.
func (n *Node) Join(endpoints []string, group, user string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	cur, err := n.standalone()
	if err != nil {
		return err
	}
	cli, err := newClient(endpoints)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	names, err := clusterNames(ctx, cli)
	cancel()
	cli.Close()
	if err != nil {
		return err
	}
	switch len(names) {
	case 0:
		return fmt.Errorf("No cluster was found on the etcd endpoints %s.", strings.Join(endpoints, ","))
	case 1:
	default:
		return fmt.Errorf("The etcd endpoints hold several clusters (%s): seg joins a store that holds one.", strings.Join(names, ", "))
	}
	machine := cur.Config.System.Hostname
	m, err := n.newJoiner(Membership{Name: names[0], Endpoints: endpoints, Machine: machine, Group: group})
	if err != nil {
		return err
	}
	_, err = m.write(change{
		user: user, comment: fmt.Sprintf("machine %s joined group %s", machine, group), check: n.check,
		next: func(_ context.Context, t *store.ClusterTree, _ int) (*store.ClusterTree, error) {
			return t.Join(machine, group, cur.Config)
		},
	})
	if err == nil && m.cur.Load() == nil {
		err = fmt.Errorf("machine %s cannot run the cluster's configuration: %s", machine, m.applyError())
	}
	if err != nil {
		m.abandon()
		return err
	}
	return n.joinWith(m)
}

// Leave removes this machine from its cluster; it goes on standalone
// with its effective configuration.
func (n *Node) Leave(user string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	m, err := n.member()
	if err != nil {
		return err
	}
	me := m.machine()
	if _, err := m.write(change{
		user: user, comment: fmt.Sprintf("machine %s left the cluster", me),
		next: func(_ context.Context, t *store.ClusterTree, _ int) (*store.ClusterTree, error) {
			return t.RemoveMachine(me)
		},
	}); err != nil {
		return err
	}
	n.toStandalone(m, fmt.Sprintf("left cluster %s", m.ms.Name))
	return nil
}

// RemoveMachine removes another machine (which turns standalone when
// its watch sees it); this machine's own name is Leave.
func (n *Node) RemoveMachine(name, user string) error {
	if m := n.mem.Load(); m != nil && name == m.machine() {
		return n.Leave(user)
	}
	return n.treeChange(user, fmt.Sprintf("machine %s removed", name), func(t *store.ClusterTree) (*store.ClusterTree, error) {
		return t.RemoveMachine(name)
	})
}

// SetGroup moves machine into group.
func (n *Node) SetGroup(machine, group, user string) error {
	return n.treeChange(user, fmt.Sprintf("machine %s moved to group %s", machine, group), func(t *store.ClusterTree) (*store.ClusterTree, error) {
		return t.SetGroup(machine, group)
	})
}

// AddGroup creates an empty group.
func (n *Node) AddGroup(group, user string) error {
	return n.treeChange(user, "group "+group+" added", func(t *store.ClusterTree) (*store.ClusterTree, error) {
		return t.AddGroup(group)
	})
}

// RemoveGroup deletes a group no machine is in.
func (n *Node) RemoveGroup(group, user string) error {
	return n.treeChange(user, "group "+group+" removed", func(t *store.ClusterTree) (*store.ClusterTree, error) {
		return t.RemoveGroup(group)
	})
}

// Set is clusterset: object copied or moved from one level to another,
// as user with role; the role is checked on both levels' views as a
// commit's is.
func (n *Node) Set(object string, from, to store.Level, move bool, user, role string) error {
	verb := "copied"
	if move {
		verb = "moved"
	}
	me := ""
	if m := n.mem.Load(); m != nil {
		me = m.machine()
	}
	return n.treeChange(user, fmt.Sprintf("%s %s from %s to %s", object, verb, from, to), func(t *store.ClusterTree) (*store.ClusterTree, error) {
		next, err := t.Set(object, from, to, move, me)
		if err != nil {
			return nil, err
		}
		if err := t.CheckAccessAt(next, me, user, role, from, to); err != nil {
			return nil, err
		}
		return next, nil
	})
}

// treeChange writes one tree change as a new revision, with this
// machine's CommitCheck on its new effective configuration.
func (n *Node) treeChange(user, comment string, f func(*store.ClusterTree) (*store.ClusterTree, error)) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	m, err := n.member()
	if err != nil {
		return err
	}
	_, err = m.write(change{user: user, comment: comment, check: n.check,
		next: func(_ context.Context, t *store.ClusterTree, _ int) (*store.ClusterTree, error) { return f(t) },
	})
	return err
}

// Show is clustershow at level l, on the applied revision.
func (n *Node) Show(l store.Level) ([]store.ObjectLevel, error) {
	m, err := n.member()
	if err != nil {
		return nil, err
	}
	return m.cur.Load().tree.Show(l, m.machine())
}

// State is this machine's membership now (the zero State standalone).
type State struct {
	Name, Machine, Group string
	Groups, Machines     []string
	Endpoints            []string
	Applied              int  // the cluster revision this machine runs
	Reachable            bool // false while etcd cannot be reached
}

func (n *Node) State() State {
	m := n.mem.Load()
	if m == nil {
		return State{}
	}
	ms := m.membership()
	cur := m.cur.Load()
	s := State{Name: ms.Name, Machine: ms.Machine, Group: ms.Group, Endpoints: ms.Endpoints,
		Applied: cur.rev.Number, Reachable: m.reachable.Load()}
	for g := range cur.tree.Groups {
		s.Groups = append(s.Groups, g)
	}
	sort.Strings(s.Groups)
	for _, mm := range cur.tree.Members() {
		s.Machines = append(s.Machines, mm.Name)
	}
	sort.Strings(s.Machines)
	return s
}
