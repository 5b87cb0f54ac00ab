package clusterstore

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// What the machines publish under their leases (lease.go), as
// clusterconfig list and the --cluster views read it.

// Machine is one member as clusterconfig list shows it.
type Machine struct {
	Name, Group, Address string
	Up                   bool // its lease is alive
	Applied              int
	Error                string
}

// Machines lists the members of the applied revision, with what each
// publishes under its lease.
func (n *Node) Machines() ([]Machine, error) {
	m, lives, err := n.lives()
	if err != nil {
		return nil, err
	}
	var out []Machine
	for _, mm := range m.cur.Load().tree.Members() {
		r := Machine{Name: mm.Name, Group: mm.Group}
		if l, ok := lives[mm.Name]; ok {
			r.Up, r.Address, r.Applied, r.Error = true, l.Address, l.Applied, l.Error
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Peer is what one machine that is up publishes.
type Peer struct {
	Machine string
	Stats   []byte // mailapi.PeerStats, JSON
}

// Peers returns the statistics of the machines that are up.
func (n *Node) Peers() ([]Peer, error) {
	_, lives, err := n.lives()
	if err != nil {
		return nil, err
	}
	var out []Peer
	for name, l := range lives {
		if len(l.Stats) > 0 {
			out = append(out, Peer{Machine: name, Stats: l.Stats})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Machine < out[j].Machine })
	return out, nil
}

// lives reads every live key of the cluster, by machine.
func (n *Node) lives() (*member, map[string]liveKey, error) {
	m, err := n.member()
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(m.ctx, opTimeout)
	defer cancel()
	resp, err := m.cli.Get(ctx, m.k.lives(), clientv3.WithPrefix())
	m.setReachable(err)
	if err != nil {
		return nil, nil, unreachable(err)
	}
	out := map[string]liveKey{}
	for _, kv := range resp.Kvs {
		var l liveKey
		if err := json.Unmarshal(kv.Value, &l); err != nil {
			continue // not ours to judge: shown as down
		}
		out[strings.TrimPrefix(string(kv.Key), m.k.lives())] = l
	}
	return m, out, nil
}
