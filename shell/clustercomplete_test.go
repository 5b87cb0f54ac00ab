package shell

import (
	"fmt"
	"testing"

	"seg/store"
)

// stateCluster is a Cluster that only knows its state and its objects:
// enough for completion.
type stateCluster struct {
	Cluster // nil: any other method would panic, which completion must not call
	st      ClusterState
	objs    []store.ObjectLevel
}

func (s stateCluster) State() ClusterState { return s.st }
func (s stateCluster) Show(store.Level) ([]store.ObjectLevel, error) {
	return s.objs, nil
}

// tabAt is what Tab offers at the end of line typed at s's top-level
// prompt.
func tabAt(s *Session, line string) string {
	defer s.offering(offer{commands: true})()
	cp := &completer{s: s}
	got, _ := cp.Do([]rune(line), len([]rune(line)))
	var out []string
	for _, g := range got {
		out = append(out, string(g))
	}
	return fmt.Sprint(out)
}

// TestClusterCompletion: Tab completes the cluster commands, their
// operations and levels, and the group, machine and setting names the
// cluster has; on a standalone machine only clusterconfig's CREATE and
// JOIN; the admin-only clusterset is not offered to read-only users.
func TestClusterCompletion(t *testing.T) {
	reg := NewRegistry(append(ClusterCommands(), MailCommands()...)...)
	clustered := stateCluster{st: ClusterState{Name: "prod", Machine: "seg1.example.com",
		Groups: []string{"East", "Main"}, Machines: []string{"seg1.example.com", "seg2.example.com"}},
		objs: []store.ObjectLevel{{Object: "hostname"}, {Object: "dns"}}}
	alone := stateCluster{st: ClusterState{Machine: "seg1.example.com"}}
	do := func(cl Cluster, role, line string) string {
		return tabAt(&Session{Role: role, Commands: reg, Cluster: cl}, line)
	}
	for _, c := range []struct {
		cl         Cluster
		role, line string
		want       string
	}{
		{clustered, store.RoleAdmin, "cluster", "[config  mode  set  show ]"},
		{clustered, store.RoleReadOnly, "cluster", "[config  mode  show ]"},
		{clustered, store.RoleAdmin, "clusterconfig ", "[addgroup  leave  list  removegroup  removemachine  setgroup ]"},
		{alone, store.RoleAdmin, "clusterconfig ", "[create  join ]"},
		{alone, store.RoleAdmin, "clusterconfig create prod -", "[-etcd  -group ]"},
		{clustered, store.RoleAdmin, "clusterconfig removemachine seg", "[1.example.com  2.example.com ]"},
		{clustered, store.RoleAdmin, "clusterconfig setgroup seg2.example.com ", "[East  Main ]"},
		{clustered, store.RoleAdmin, "clusterconfig removegroup E", "[ast ]"},
		{clustered, store.RoleAdmin, "clustermode ", "[cluster  group  machine ]"},
		{clustered, store.RoleAdmin, "clustermode group ", "[East  Main ]"},
		{clustered, store.RoleAdmin, "clustershow machine seg2", "[.example.com ]"},
		{clustered, store.RoleAdmin, "clusterset ", "[dns  hostname ]"},
		{clustered, store.RoleAdmin, "clusterset dns --from group:", "[East  Main ]"},
		{clustered, store.RoleAdmin, "clusterset dns --from cluster --to machine:seg1", "[.example.com ]"},
		{clustered, store.RoleAdmin, "clusterset dns --", "[from  move  to ]"},
		{alone, store.RoleAdmin, "clustermode group ", "[]"},
		{clustered, store.RoleGuest, "status ", "[--cluster  detail ]"},
	} {
		if got := do(c.cl, c.role, c.line); got != c.want {
			t.Errorf("%s %q: %s, want %s", c.role, c.line, got, c.want)
		}
	}
}
