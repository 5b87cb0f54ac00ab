package store

import "fmt"

// LevelKind is the level of a clustered configuration a setting is
// defined at (SPEC 14, AsyncOS Centralized Management): the cluster
// (every machine's default), a group of machines, or one machine.
type LevelKind int

const (
	// LevelDefault is the level a session edits when it chose none:
	// the whole configuration on a standalone machine, the cluster
	// level on a clustered one.
	LevelDefault LevelKind = iota
	LevelCluster
	LevelGroup
	LevelMachine
)

// Level names one level: Name is the group or machine name (empty for
// the cluster and the default).
type Level struct {
	Kind LevelKind
	Name string
}

// String is the level as clustershow and the shell's messages name it:
// "Cluster", "Group Main", "Machine seg1.example.com".
func (l Level) String() string {
	switch l.Kind {
	case LevelCluster, LevelDefault:
		return "Cluster"
	case LevelGroup:
		return "Group " + l.Name
	case LevelMachine:
		return "Machine " + l.Name
	}
	return fmt.Sprintf("level %d", l.Kind)
}

// Leveled is implemented by a store that may be clustered. View is the
// tree a session at level l sees at revision rev (0: the current one):
// on a standalone machine, with LevelDefault, simply the revision's
// tree. On a cluster, the cluster level's tree, a group's (the cluster
// tree with the group's settings over it) or a machine's (its effective
// configuration, what its MTA runs). A session edits a clone of its
// View and commits it with CommitRequest.Level set to the same level.
type Leveled interface {
	View(l Level, rev int) (*Snapshot, error)
}

// ViewOf returns st's tree at level l, revision rev (0: current): View
// when st is Leveled, else Current or Get.
func ViewOf(st Store, l Level, rev int) (*Snapshot, error) {
	if lv, ok := st.(Leveled); ok {
		return lv.View(l, rev)
	}
	if rev == 0 {
		return st.Current()
	}
	return st.Get(rev)
}

// Placer is implemented by a clustered store: Placed lists what commit
// rev (made by this process) wrote at another level than the session's,
// because the object's level is fixed ("listener IncomingMail: machine
// seg2 (listeners are machine-level)").
type Placer interface {
	Placed(rev int) []string
}
