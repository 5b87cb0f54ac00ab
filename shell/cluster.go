package shell

import "seg/store"

// Cluster is the appliance's membership of a cluster (SPEC 14), as the
// cluster commands drive it. The shell never talks to etcd itself.
// Every method that changes the cluster takes effect at once, as a new
// cluster revision (AsyncOS applies clusterconfig without commit).
// Errors are whole sentences for the administrator, e.g. "The cluster
// configuration store is unreachable: ...".
type Cluster interface {
	// State is this machine's membership now.
	State() ClusterState
	// Create makes this standalone machine the first member of a new
	// cluster named name, in group, on the etcd endpoints (clusterconfig
	// create); Join adds it to the cluster those endpoints hold.
	Create(name string, endpoints []string, group string) error
	Join(endpoints []string, group string) error
	// Leave makes this machine standalone again, keeping its effective
	// configuration; RemoveMachine removes another one (which then
	// does the same when it sees it).
	Leave() error
	RemoveMachine(name string) error
	SetGroup(machine, group string) error
	AddGroup(group string) error
	RemoveGroup(group string) error
	// Machines lists the members: up or down (their etcd lease), address,
	// the revision each has applied.
	Machines() ([]ClusterMachine, error)
	// Show is clustershow: each object of the view at level l and the
	// level it is defined at.
	Show(l store.Level) ([]store.ObjectLevel, error)
	// Set is clusterset: copy or move one object between levels, as
	// user with role (checked like a commit).
	Set(object string, from, to store.Level, move bool, user, role string) error
	// Peers returns the statistics each machine that is up publishes
	// (tophosts --cluster, status --cluster).
	Peers() ([]ClusterPeer, error)
}

// ClusterState is a machine's membership: Name is empty on a standalone
// machine.
type ClusterState struct {
	Name      string   // the cluster's name
	Machine   string   // this machine's name in it
	Group     string   // this machine's group
	Groups    []string // every group
	Machines  []string // every member
	Endpoints []string // the etcd endpoints
	Applied   int      // the cluster revision this machine runs
	// Reachable is false while etcd cannot be reached (mail flows on
	// the last applied revision; commits fail).
	Reachable bool
}

// ClusterMachine is one line of clusterconfig list.
type ClusterMachine struct {
	Name, Group, Address string
	Up                   bool
	Applied              int    // the revision it has applied
	Error                string // why it could not apply a newer one
}

// ClusterPeer is what one machine that is up publishes: its name and its
// statistics (mailapi.PeerStats, JSON encoded).
type ClusterPeer struct {
	Machine string
	Stats   []byte
}
