package store

// This file is the contract of a clustered configuration (SPEC 14).
// One ClusterTree is one cluster revision: the cluster level's whole
// tree, the settings groups and machines define over it, and the
// membership (which machines, in which group). The etcd backend stores
// one encoded ClusterTree per revision; every machine caches them in its
// local bbolt and runs Effective(its name).
//
// Objects are the units of objects() (changes.go): a setting is defined
// at a level as a whole object ("destconfig example.com", "listener
// IncomingMail", "incoming policies"...). Two kinds of object have a
// fixed level, whatever the session's clustermode:
//   - machine-level by nature (they name local things): hostname,
//     interfaces, listeners' addresses ("listener address NAME": the
//     address and port), listener setup, ssh, metrics;
//   - cluster-level by nature (SPEC 14: users and roles are
//     cluster-wide): users, adminaccess.
// A listener itself ("listener NAME": its type, limits, TLS, HAT and
// RAT) is an ordinary object, at the cluster level unless a group or
// machine overrides it, so that a HAT or RAT change reaches every
// machine; the cluster level's listeners have no address, and a machine
// runs only the listeners it has an address for (see unaddressedRule in
// clustertree_levels.go).
// A commit at another level writes those objects at their own level (the
// machine-level ones for the machine the session runs on) and says so.
// So a group holds neither kind, a machine no cluster-level object, and
// the cluster level no machine-level one (DecodeClusterTree refuses a
// tree that breaks this); each machine level holds all of its
// machine-level objects, so that its effective tree is complete.

// ClusterTree is one revision of a cluster's configuration. Handed out
// by a store it is immutable; change it through its methods, which
// return a new tree.
type ClusterTree struct {
	Name     string                   `json:"name"`
	Cluster  *Config                  `json:"cluster"`
	Groups   map[string]*ClusterLevel `json:"groups"`   // every group, even one with no settings
	Machines map[string]*ClusterLevel `json:"machines"` // every member machine, by name (its hostname)
	// Group of each machine; every machine is in exactly one group.
	MachineGroup map[string]string `json:"machine_group"`
}

// ClusterLevel is what a group or a machine defines over the level
// above: Objects lists the keys of the objects defined here (objectKey
// form); Config holds their values (other parts of it are unused). An
// object listed but absent from Config is removed at this level.
type ClusterLevel struct {
	Objects []string `json:"objects"`
	Config  *Config  `json:"config"`
}

// ClusterMember is one machine of a tree.
type ClusterMember struct {
	Name, Group string
}

// ObjectLevel is one line of clustershow: an object of a view and the
// level its value comes from.
type ObjectLevel struct {
	Object string // as Change names it
	Level  Level  // where the value the view shows is defined
	// Overrides lists the lower levels that define the object too
	// (they win for their group or machine).
	Overrides []Level
}
