package shell_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"seg/internal/mailapi"
	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

// fakeCluster is a shell.Cluster in memory: membership as the node would
// keep it, clustershow's answer, and the statistics peers publish. It
// records the changes asked of it in calls.
type fakeCluster struct {
	st      shell.ClusterState
	groupOf map[string]string // machine -> group
	down    map[string]bool
	errs    map[string]string // machine -> apply error
	objects []store.ObjectLevel
	peers   map[string]mailapi.PeerStats
	badPeer string // a machine that publishes unreadable statistics
	calls   []string
	remote  string // the cluster that Join finds
}

// unreachable is the etcd endpoint the fake cannot reach.
const unreachable = "http://127.0.0.9:2379"

var errUnreachable = errors.New("The cluster configuration store is unreachable: dial tcp 127.0.0.9:2379: connect: connection refused")

func newStandalone() *fakeCluster {
	return &fakeCluster{st: shell.ClusterState{Machine: "seg1.example.com"}, remote: "prod",
		groupOf: map[string]string{}, down: map[string]bool{}, errs: map[string]string{}}
}

// newClustered is cluster prod: seg1 (this machine) and seg2 in Main,
// seg3 in East and down, seg2 reporting an apply error.
func newClustered() *fakeCluster {
	f := newStandalone()
	f.st = shell.ClusterState{Name: "prod", Machine: "seg1.example.com", Group: "Main",
		Groups: []string{"East", "Main"}, Machines: []string{"seg1.example.com", "seg2.example.com", "seg3.example.com"},
		Endpoints: []string{"http://127.0.0.1:2379"}, Applied: 12, Reachable: true}
	f.groupOf = map[string]string{"seg1.example.com": "Main", "seg2.example.com": "Main", "seg3.example.com": "East"}
	f.down["seg3.example.com"] = true
	f.errs["seg2.example.com"] = "listener IncomingMail: cannot listen on 10.0.0.5:25"
	f.objects = []store.ObjectLevel{
		{Object: "hostname", Level: store.Level{Kind: store.LevelMachine, Name: "seg1.example.com"}},
		{Object: "destconfig example.com", Level: store.Level{Kind: store.LevelCluster},
			Overrides: []store.Level{{Kind: store.LevelGroup, Name: "East"}, {Kind: store.LevelMachine, Name: "seg2.example.com"}}},
		{Object: "user admin", Level: store.Level{Kind: store.LevelCluster}},
	}
	at := shelltest.FixedTime()
	f.peers = map[string]mailapi.PeerStats{
		"seg1.example.com": {Machine: "seg1.example.com", Taken: at.Add(-time.Second), Start: at.Add(-time.Hour), SystemStatus: "Online",
			Oldest:   at.Add(-90 * time.Second),
			Counters: mailapi.PeerCounters{MessagesReceived: mailapi.PeerCount{Reset: 10, Uptime: 20, Lifetime: 1000, Rate1: 60}, DeliveredRecipients: mailapi.PeerCount{Reset: 9, Uptime: 19, Lifetime: 999}},
			Gauges:   mailapi.PeerGauges{CurrentInbound: 2, Unattempted: 3, Attempted: 1, DeliveryQueue: 4, Destinations: 2, KilobytesUsed: 100, KilobytesFree: 5000},
			Hosts: []mailapi.PeerHost{{Name: "example.net", Active: 3, ConnOut: 1, Delivered: 5},
				{Name: "example.org", Down: true, Active: 1, SoftBounced: 4}}},
		"seg2.example.com": {Machine: "seg2.example.com", Taken: at, Start: at.Add(-2 * time.Hour), SystemStatus: "Delivery suspended",
			Counters: mailapi.PeerCounters{MessagesReceived: mailapi.PeerCount{Reset: 1, Uptime: 2, Lifetime: 2000, Rate1: 120}, HardBouncedRecipients: mailapi.PeerCount{Reset: 1, Uptime: 1, Lifetime: 1}},
			Gauges:   mailapi.PeerGauges{CurrentInbound: 1, Unattempted: 2, DeliveryQueue: 1, Destinations: 1, KilobytesUsed: 50, KilobytesFree: 4000},
			Hosts: []mailapi.PeerHost{{Name: "example.net", Active: 2, ConnOut: 2, Delivered: 1, HardBounced: 1},
				{Name: "example.com", Active: 9}}},
	}
	return f
}

func (f *fakeCluster) State() shell.ClusterState {
	st := f.st
	st.Groups = slices.Clone(st.Groups)
	st.Machines = slices.Clone(st.Machines)
	return st
}

func (f *fakeCluster) Create(name string, endpoints []string, group string) error {
	f.calls = append(f.calls, fmt.Sprintf("create %s %v %s", name, endpoints, group))
	if slices.Contains(endpoints, unreachable) {
		return errUnreachable
	}
	f.st = shell.ClusterState{Name: name, Machine: f.st.Machine, Group: group, Groups: []string{group},
		Machines: []string{f.st.Machine}, Endpoints: endpoints, Applied: 1, Reachable: true}
	f.groupOf[f.st.Machine] = group
	return nil
}

func (f *fakeCluster) Join(endpoints []string, group string) error {
	f.calls = append(f.calls, fmt.Sprintf("join %v %s", endpoints, group))
	if slices.Contains(endpoints, unreachable) {
		return errUnreachable
	}
	if group != "Main" {
		return fmt.Errorf("Cluster %s has no group %s.", f.remote, group)
	}
	f.st = shell.ClusterState{Name: f.remote, Machine: f.st.Machine, Group: group, Groups: []string{"Main"},
		Machines: []string{"seg0.example.com", f.st.Machine}, Endpoints: endpoints, Applied: 7, Reachable: true}
	f.groupOf[f.st.Machine] = group
	return nil
}

func (f *fakeCluster) Leave() error {
	f.calls = append(f.calls, "leave")
	f.st = shell.ClusterState{Machine: f.st.Machine}
	return nil
}

func (f *fakeCluster) RemoveMachine(name string) error {
	f.calls = append(f.calls, "removemachine "+name)
	f.st.Machines = slices.DeleteFunc(f.st.Machines, func(m string) bool { return m == name })
	return nil
}

func (f *fakeCluster) SetGroup(machine, group string) error {
	f.calls = append(f.calls, "setgroup "+machine+" "+group)
	f.groupOf[machine] = group
	return nil
}

func (f *fakeCluster) AddGroup(group string) error {
	f.calls = append(f.calls, "addgroup "+group)
	f.st.Groups = append(f.st.Groups, group)
	slices.Sort(f.st.Groups)
	return nil
}

func (f *fakeCluster) RemoveGroup(group string) error {
	f.calls = append(f.calls, "removegroup "+group)
	var in []string
	for m, g := range f.groupOf {
		if g == group && slices.Contains(f.st.Machines, m) {
			in = append(in, m)
		}
	}
	if len(in) > 0 {
		slices.Sort(in)
		return fmt.Errorf("Group %s still has machines: %s. Move them to another group first.", group, strings.Join(in, ", "))
	}
	f.st.Groups = slices.DeleteFunc(f.st.Groups, func(g string) bool { return g == group })
	return nil
}

func (f *fakeCluster) Machines() ([]shell.ClusterMachine, error) {
	if !f.st.Reachable {
		return nil, errUnreachable
	}
	var out []shell.ClusterMachine
	for i, m := range f.st.Machines {
		applied := f.st.Applied
		if f.errs[m] != "" {
			applied-- // stuck on the revision before
		}
		out = append(out, shell.ClusterMachine{Name: m, Group: f.groupOf[m], Address: fmt.Sprintf("127.0.0.%d", i+1),
			Up: !f.down[m], Applied: applied, Error: f.errs[m]})
	}
	return out, nil
}

func (f *fakeCluster) Show(l store.Level) ([]store.ObjectLevel, error) {
	if !f.st.Reachable {
		return nil, errUnreachable
	}
	return f.objects, nil
}

func (f *fakeCluster) Set(object string, from, to store.Level, move bool, user, role string) error {
	f.calls = append(f.calls, fmt.Sprintf("set %q %v -> %v move=%v as %s/%s", object, from, to, move, user, role))
	if object == "user admin" && to.Kind != store.LevelCluster {
		return errors.New("user admin is defined at the cluster level by nature (users are cluster-wide).")
	}
	return nil
}

func (f *fakeCluster) Peers() ([]shell.ClusterPeer, error) {
	if !f.st.Reachable {
		return nil, errUnreachable
	}
	var out []shell.ClusterPeer
	for _, m := range f.st.Machines {
		if f.down[m] {
			continue
		}
		if m == f.badPeer {
			out = append(out, shell.ClusterPeer{Machine: m, Stats: []byte("{")})
			continue
		}
		if p, ok := f.peers[m]; ok {
			b, err := p.Encode()
			if err != nil {
				return nil, err
			}
			out = append(out, shell.ClusterPeer{Machine: m, Stats: b})
		}
	}
	return out, nil
}
