package clusterstore

import (
	"slices"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/store"
)

// Groups: a setting made at a group's level reaches its machines only;
// clustershow says where it is defined; clusterset moves it up.
func TestGroupsShowSet(t *testing.T) {
	a, b := twoMachines(t, "grp")
	a.mustSetAlerts("cluster@example.com")
	if err := a.node.AddGroup("Edge", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := a.node.SetGroup("seg2.example.com", "Edge", "admin"); err != nil {
		t.Fatal(err)
	}
	segtest.Wait(t, time.Second, "b in group Edge", func() bool { return b.node.State().Group == "Edge" })
	ms, err := readMembership(b.confDir() + "/" + MembershipFile)
	if err != nil || ms.Group != "Edge" {
		t.Fatalf("b's membership file: %+v, %v", ms, err)
	}
	edge := store.Level{Kind: store.LevelGroup, Name: "Edge"}
	v, err := a.node.View(edge, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := v.Config.Clone()
	cfg.System.AlertRecipients = []string{"edge@example.com"}
	if _, err := a.node.Commit(store.CommitRequest{Base: v.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin, Level: edge}); err != nil {
		t.Fatal(err)
	}
	b.waitAlerts(time.Second, "edge@example.com")
	if got := a.alerts(); !slices.Equal(got, []string{"cluster@example.com"}) {
		t.Fatalf("a (group Main) runs %v", got)
	}
	show, err := b.node.Show(store.Level{Kind: store.LevelMachine, Name: "seg2.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var at store.Level
	for _, o := range show {
		if o.Object == "alerts" {
			at = o.Level
		}
	}
	if at != edge {
		t.Fatalf("clustershow on b: alerts defined at %v, want %v", at, edge)
	}
	if err := a.node.RemoveGroup("Edge", "admin"); err == nil {
		t.Fatal("removing a group with a machine in it: no error")
	}
	if err := a.node.Set("alerts", edge, store.Level{Kind: store.LevelCluster}, true, "admin", store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	a.waitAlerts(time.Second, "edge@example.com")
	b.waitAlerts(time.Second, "edge@example.com")
	if err := a.node.Set("alerts", store.Level{Kind: store.LevelCluster}, edge, false, "nobody", store.RoleOperator); err == nil {
		t.Fatal("clusterset by a user who does not exist: no error")
	}
}

// Each machine publishes its address, applied revision and statistics
// under its lease; a machine that stops shows down at once (its lease
// is revoked).
func TestLivePeers(t *testing.T) {
	a, b := twoMachines(t, "live")
	a.node.SetStats(func() ([]byte, error) { return []byte(`{"received":7}`), nil })
	a.node.SetAddress(func() string { return "127.0.0.1:2525" })
	var peers []Peer
	var err error
	if !segtest.Poll(5*time.Second, func() bool {
		peers, err = b.node.Peers()
		return err == nil && len(peers) == 1 && string(peers[0].Stats) == `{"received":7}`
	}) {
		t.Fatalf("b's Peers: %+v, %v", peers, err)
	}
	list, err := b.node.Machines()
	if err != nil || len(list) != 2 || list[0].Address != "127.0.0.1:2525" || !list[0].Up || list[0].Applied != 2 {
		t.Fatalf("Machines: %+v, %v", list, err)
	}
	b.close()
	if !segtest.Poll(2*time.Second, func() bool {
		list, err = a.node.Machines()
		return err == nil && len(list) == 2 && list[0].Up && !list[1].Up
	}) {
		t.Fatalf("after b stopped, Machines: %+v, %v", list, err)
	}
	if err := a.node.Create("other", testEtcd(t).endpoints(), "Main", "admin"); err == nil || !strings.Contains(err.Error(), "already in cluster live") {
		t.Fatalf("create while clustered: %v", err)
	}
}

// A machine publishes the revision it applied at once, not at its next
// refresh: clusterconfig list on another machine shows it within a
// second even with a refresh period of a minute.
func TestAppliedRevisionPublishedAtOnce(t *testing.T) {
	e := testEtcd(t)
	a := &testMachine{t: t, name: "seg1.example.com", dir: t.TempDir(), log: &testLog{}, refresh: time.Minute}
	b := &testMachine{t: t, name: "seg2.example.com", dir: t.TempDir(), log: &testLog{}, refresh: time.Minute}
	for _, m := range []*testMachine{a, b} {
		m.open()
		t.Cleanup(m.close)
	}
	if err := a.node.Create("pub", e.endpoints(), "Main", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := b.node.Join(e.endpoints(), "Main", "admin"); err != nil {
		t.Fatal(err)
	}
	rev := a.mustSetAlerts("ops@example.com")
	var list []Machine
	var err error
	if !segtest.Poll(time.Second, func() bool {
		list, err = a.node.Machines()
		return err == nil && len(list) == 2 && list[1].Up && list[1].Applied == rev.Number
	}) {
		t.Fatalf("a second after revision %d, a's Machines: %+v, %v", rev.Number, list, err)
	}
}
