package main

import (
	"fmt"
	"io"

	"seg/shell"
	"seg/store"
	"seg/store/clusterstore"
)

// clusterAdapter is shell.Cluster over the process's node, for one
// session: the cluster revisions its operations make are recorded as
// made by the session's user.
type clusterAdapter struct {
	node *clusterstore.Node
	user string
}

func (c clusterAdapter) State() shell.ClusterState {
	s := c.node.State()
	return shell.ClusterState{Name: s.Name, Machine: s.Machine, Group: s.Group, Groups: s.Groups,
		Machines: s.Machines, Endpoints: s.Endpoints, Applied: s.Applied, Reachable: s.Reachable}
}

func (c clusterAdapter) Create(name string, endpoints []string, group string) error {
	return c.node.Create(name, endpoints, group, c.user)
}

func (c clusterAdapter) Join(endpoints []string, group string) error {
	return c.node.Join(endpoints, group, c.user)
}

func (c clusterAdapter) Leave() error                    { return c.node.Leave(c.user) }
func (c clusterAdapter) RemoveMachine(name string) error { return c.node.RemoveMachine(name, c.user) }
func (c clusterAdapter) SetGroup(machine, group string) error {
	return c.node.SetGroup(machine, group, c.user)
}
func (c clusterAdapter) AddGroup(group string) error    { return c.node.AddGroup(group, c.user) }
func (c clusterAdapter) RemoveGroup(group string) error { return c.node.RemoveGroup(group, c.user) }

func (c clusterAdapter) Machines() ([]shell.ClusterMachine, error) {
	ms, err := c.node.Machines()
	if err != nil {
		return nil, err
	}
	out := make([]shell.ClusterMachine, len(ms))
	for i, m := range ms {
		out[i] = shell.ClusterMachine{Name: m.Name, Group: m.Group, Address: m.Address, Up: m.Up, Applied: m.Applied, Error: m.Error}
	}
	return out, nil
}

func (c clusterAdapter) Show(l store.Level) ([]store.ObjectLevel, error) { return c.node.Show(l) }

func (c clusterAdapter) Set(object string, from, to store.Level, move bool, user, role string) error {
	return c.node.Set(object, from, to, move, user, role)
}

func (c clusterAdapter) Peers() ([]shell.ClusterPeer, error) {
	ps, err := c.node.Peers()
	if err != nil {
		return nil, err
	}
	out := make([]shell.ClusterPeer, len(ps))
	for i, p := range ps {
		out[i] = shell.ClusterPeer{Machine: p.Machine, Stats: p.Stats}
	}
	return out, nil
}

// clusterMail is the mail system as sessions see it: status ends with
// the cluster and the revision this machine runs, when it is in one.
type clusterMail struct {
	shell.MailSystem
	node interface{ State() clusterstore.State }
}

func (m clusterMail) Status(w io.Writer, detail bool) error {
	if err := m.MailSystem.Status(w, detail); err != nil {
		return err
	}
	s := m.node.State()
	if s.Name == "" {
		return nil
	}
	reach := ""
	if !s.Reachable {
		reach = "; the cluster configuration store is unreachable"
	}
	_, err := fmt.Fprintf(w, "\nCluster:                       %s (machine %s, group %s)\nCluster revision applied:      %d%s\n",
		s.Name, s.Machine, s.Group, s.Applied, reach)
	return err
}

// publishedAddress is the address a machine publishes to its cluster
// (clusterconfig list): where its first listener listens, else its SSH
// server.
func publishedAddress(ends shell.Endpoints) func() string {
	return func() string {
		var first string
		for _, e := range ends.Endpoints() {
			if e.Listening != "" {
				return e.Listening
			}
			if first == "" {
				first = e.Configured
			}
		}
		return first
	}
}
