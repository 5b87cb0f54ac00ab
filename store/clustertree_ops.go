package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// NewClusterTree starts a cluster named name from a standalone machine's
// configuration (clusterconfig create): cfg becomes the cluster level,
// its machine-level-by-nature objects become machine's settings, and the
// machine is the only member, in group (created). cfg is only read.
func NewClusterTree(name string, cfg *Config, machine, group string) (*ClusterTree, error) {
	switch {
	case name == "":
		return nil, errors.New("A cluster needs a name.")
	case cfg == nil:
		return nil, errors.New("cluster tree: no configuration given")
	case machine == "":
		return nil, errors.New("A machine in a cluster needs a name (its hostname).")
	case group == "":
		return nil, errors.New("A group needs a name.")
	}
	ml, rest := splitMachine(cfg, nil)
	return &ClusterTree{
		Name:         name,
		Cluster:      rest,
		Groups:       map[string]*ClusterLevel{group: {Config: &Config{}}},
		Machines:     map[string]*ClusterLevel{machine: ml},
		MachineGroup: map[string]string{machine: group},
	}, nil
}

// Join adds machine to group (which must exist) (clusterconfig join):
// local is the machine's own configuration, whose machine-level-by-
// nature objects become its machine-level settings (of its listeners'
// addresses, those of the cluster's listeners it has by name: the
// listeners are the cluster's, and a listener it has no address for is
// not run on it); everything else of local is replaced by the
// cluster's. A machine of that name already in the tree is an error.
// local is only read.
func (t *ClusterTree) Join(machine, group string, local *Config) (*ClusterTree, error) {
	switch {
	case machine == "":
		return nil, errors.New("A machine in a cluster needs a name (its hostname).")
	case local == nil:
		return nil, errors.New("cluster tree: no configuration given")
	case t.Machines[machine] != nil:
		return nil, fmt.Errorf("There is already a machine %s in cluster %s.", machine, t.Name)
	case t.Groups[group] == nil:
		return nil, fmt.Errorf("There is no group %s in cluster %s.", group, t.Name)
	}
	n := t.clone()
	// The machine gives its addresses for the listeners of the cluster
	// (and of its group) it has by name; it runs no other (see
	// unaddressedRule).
	listeners := map[string]bool{}
	for _, l := range slices.Concat(t.Cluster.Listeners, t.Groups[group].Config.Listeners) {
		listeners[objectKey("listener address", l.Name, true)] = true
	}
	n.Machines[machine], _ = splitMachine(local, func(key string) bool {
		rank, _ := keyRank(key)
		return rank != rankListenerAddress || listeners[key]
	})
	n.MachineGroup[machine] = group
	return n, nil
}

// RemoveMachine drops machine and its settings.
func (t *ClusterTree) RemoveMachine(machine string) (*ClusterTree, error) {
	if t.Machines[machine] == nil {
		return nil, fmt.Errorf("There is no machine %s in cluster %s.", machine, t.Name)
	}
	n := t.clone()
	delete(n.Machines, machine)
	delete(n.MachineGroup, machine)
	return n, nil
}

// SetGroup moves machine into group (which must exist).
func (t *ClusterTree) SetGroup(machine, group string) (*ClusterTree, error) {
	switch {
	case t.Machines[machine] == nil:
		return nil, fmt.Errorf("There is no machine %s in cluster %s.", machine, t.Name)
	case t.Groups[group] == nil:
		return nil, fmt.Errorf("There is no group %s in cluster %s.", group, t.Name)
	case t.MachineGroup[machine] == group:
		return nil, fmt.Errorf("Machine %s is already in group %s.", machine, group)
	}
	n := t.clone()
	n.MachineGroup[machine] = group
	return n, nil
}

// AddGroup creates an empty group; RemoveGroup deletes one that no
// machine is in.
func (t *ClusterTree) AddGroup(group string) (*ClusterTree, error) {
	if err := CheckGroupName(group); err != nil {
		return nil, err
	}
	if t.Groups[group] != nil {
		return nil, fmt.Errorf("There is already a group %s in cluster %s.", group, t.Name)
	}
	n := t.clone()
	n.Groups[group] = &ClusterLevel{Config: &Config{}}
	return n, nil
}

func (t *ClusterTree) RemoveGroup(group string) (*ClusterTree, error) {
	if t.Groups[group] == nil {
		return nil, fmt.Errorf("There is no group %s in cluster %s.", group, t.Name)
	}
	var in []string
	for _, m := range t.machineNames() {
		if t.MachineGroup[m] == group {
			in = append(in, m)
		}
	}
	if len(in) > 0 {
		return nil, fmt.Errorf("Group %s still has machines (%s): move them to another group first (setgroup).", group, strings.Join(in, ", "))
	}
	n := t.clone()
	delete(n.Groups, group)
	return n, nil
}

// CheckGroupName validates a group name: 1 to 64 letters, digits, '_',
// '-' and '.', one word in batch commands and the prompt.
func CheckGroupName(name string) error { return checkWordName("A", "group", name) }

// Members lists the machines, by name.
func (t *ClusterTree) Members() []ClusterMember {
	out := make([]ClusterMember, 0, len(t.Machines))
	for _, m := range t.machineNames() {
		out = append(out, ClusterMember{Name: m, Group: t.MachineGroup[m]})
	}
	return out
}

// Effective is machine's configuration: the cluster level, its group's
// objects over it, its own over those. It is a fresh tree with its
// typed parameters decoded, like a snapshot a store hands out: the
// caller may keep it and share it read-only (an editor works on a
// Clone, which drops the decoded view).
func (t *ClusterTree) Effective(machine string) (*Config, error) {
	out, err := t.effective(machine, true)
	if err != nil {
		return nil, err
	}
	out.decodeParams()
	return out, nil
}

// View is the tree a session at level l sees; local is the machine the
// session runs on (LevelDefault and LevelCluster: the cluster level,
// with local's machine-level-by-nature objects so that listenerconfig
// and sshconfig show this machine's; LevelGroup: the cluster level
// with the group's objects over it, the same; LevelMachine: Effective).
// Like Effective's, the result is fresh and decoded.
func (t *ClusterTree) View(l Level, local string) (*Config, error) {
	out, err := t.view(l, local)
	if err != nil {
		return nil, err
	}
	out.decodeParams()
	return out, nil
}

func (t *ClusterTree) view(l Level, local string) (*Config, error) {
	l = clusterLevel(l)
	if l.Kind == LevelMachine {
		return t.effective(l.Name, false)
	}
	lv, err := t.level(l)
	if err != nil {
		return nil, err
	}
	ml := t.Machines[local]
	if ml == nil {
		return nil, fmt.Errorf("There is no machine %s in cluster %s.", local, t.Name)
	}
	out := t.Cluster.Clone()
	if lv != nil {
		overlay(out, lv, nil)
	}
	overlay(out, ml, machineNatured)
	return out, nil
}

// EncodeClusterTree and DecodeClusterTree are a tree's stored form
// (JSON, map keys and Objects lists sorted, so one tree has one
// encoding). Decode checks that every member's group exists and that
// every level holds only objects it may hold.
func EncodeClusterTree(t *ClusterTree) ([]byte, error) {
	if t == nil || t.Cluster == nil {
		return nil, errors.New("cluster tree: nothing to encode")
	}
	s := *t
	sortLevels := func(m map[string]*ClusterLevel) map[string]*ClusterLevel {
		out := make(map[string]*ClusterLevel, len(m))
		for k, cl := range m {
			if cl == nil {
				return m // Decode names the problem
			}
			out[k] = &ClusterLevel{Objects: slices.Sorted(slices.Values(cl.Objects)), Config: cl.Config}
		}
		return out
	}
	s.Groups, s.Machines = sortLevels(t.Groups), sortLevels(t.Machines)
	b, err := json.Marshal(&s)
	if err != nil {
		return nil, fmt.Errorf("cluster tree: encoding: %v", err)
	}
	return b, nil
}

func DecodeClusterTree(b []byte) (*ClusterTree, error) {
	var t ClusterTree
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("cluster tree: decoding: %v", err)
	}
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("cluster tree %s: %v", t.Name, err)
	}
	return &t, nil
}

// check verifies a decoded tree's shape: membership consistent, every
// level present, objects at levels that may hold them.
func (t *ClusterTree) check() error {
	if t.Name == "" {
		return errors.New("no cluster name")
	}
	if t.Cluster == nil {
		return errors.New("no cluster level")
	}
	if t.Groups == nil {
		t.Groups = map[string]*ClusterLevel{}
	}
	if t.Machines == nil {
		t.Machines = map[string]*ClusterLevel{}
	}
	if t.MachineGroup == nil {
		t.MachineGroup = map[string]string{}
	}
	for _, m := range t.machineNames() {
		g, ok := t.MachineGroup[m]
		switch {
		case !ok:
			return fmt.Errorf("machine %s is in no group", m)
		case t.Groups[g] == nil:
			return fmt.Errorf("machine %s is in group %s, which does not exist", m, g)
		}
	}
	for m := range t.MachineGroup {
		if t.Machines[m] == nil {
			return fmt.Errorf("machine %s has a group but is not a member", m)
		}
	}
	zero := map[string]object{}
	for _, o := range objects(&Config{}) {
		zero[o.key] = o
	}
	for _, o := range objects(t.Cluster) {
		z, ok := zero[o.key]
		if o.rank == rankListenerAddress {
			// The cluster's listeners are unaddressed.
			z, ok = object{value: listenerAddress{}}, true
		}
		if machineNatured(o.rank) && (!ok || !sameValue(o.value, z.value)) {
			return fmt.Errorf("the cluster level defines %s, but %s", o.name, natureReason(o.rank))
		}
	}
	levels := func(kind string, m map[string]*ClusterLevel, allowed func(rank int) bool) error {
		for _, name := range slices.Sorted(maps.Keys(m)) {
			cl := m[name]
			if cl == nil {
				return fmt.Errorf("%s %s has no settings", kind, name)
			}
			if cl.Config == nil {
				cl.Config = &Config{}
			}
			sort.Strings(cl.Objects)
			for i, k := range cl.Objects {
				rank, ok := keyRank(k)
				switch {
				case !ok:
					return fmt.Errorf("%s %s defines an unknown object %q", kind, name, k)
				case i > 0 && cl.Objects[i-1] == k:
					return fmt.Errorf("%s %s lists %s twice", kind, name, k)
				case !allowed(rank):
					return fmt.Errorf("%s %s defines %s, but %s", kind, name, k, natureReason(rank))
				}
			}
		}
		return nil
	}
	for _, cl := range t.Machines {
		if cl != nil && cl.Config != nil {
			listAddresses(cl)
		}
	}
	if err := levels("group", t.Groups, func(r int) bool { return !machineNatured(r) && !clusterNatured(r) }); err != nil {
		return err
	}
	return levels("machine", t.Machines, func(r int) bool { return !clusterNatured(r) })
}

// listAddresses upgrades a machine level written before a listener's
// address was an object of its own: such a level lists "listener x"
// alone, with the address in its value. Listing the address too keeps
// the machine running the listener on it (the listener stays defined at
// the machine level; clusterset can move it to the cluster).
func listAddresses(cl *ClusterLevel) {
	for _, l := range cl.Config.Listeners {
		body, addr := objectKey("listener", l.Name, true), objectKey("listener address", l.Name, true)
		if slices.Contains(cl.Objects, body) && !slices.Contains(cl.Objects, addr) && !unaddressed(l) {
			cl.Objects = append(cl.Objects, addr)
		}
	}
}
