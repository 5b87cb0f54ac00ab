package store

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// layered is twoMachines with seg2 in group Edge and destconfig
// a.example defined at the cluster (10), in Edge (20) and on seg1 (30).
func layered(t *testing.T) *ClusterTree {
	t.Helper()
	tr, _ := mustCommit(t, twoMachines(t), atCluster, "seg1.test", setDest("a.example", "10"))
	tr, err := tr.SetGroup("seg2.test", "Edge")
	if err != nil {
		t.Fatal(err)
	}
	tr, _ = mustCommit(t, tr, atEdge, "seg1.test", setDest("a.example", "20"))
	tr, _ = mustCommit(t, tr, atSeg1, "seg1.test", setDest("a.example", "30"))
	return tr
}

func TestClusterShow(t *testing.T) {
	tr := layered(t)
	find := func(l Level, local, object string) ObjectLevel {
		t.Helper()
		ols, err := tr.Show(l, local)
		if err != nil {
			t.Fatal(err)
		}
		for _, ol := range ols {
			if ol.Object == object {
				return ol
			}
		}
		t.Fatalf("Show(%v) has no %s", l, object)
		return ObjectLevel{}
	}
	for _, tc := range []struct {
		level         Level
		local, object string
		want          Level
		wantOverrides []Level
	}{
		{atCluster, "seg1.test", "destconfig a.example", atCluster, []Level{atEdge, atSeg1}},
		{atCluster, "seg1.test", "dns", atCluster, nil},
		{atCluster, "seg2.test", "listener IncomingMail", atCluster, nil},
		{atCluster, "seg2.test", "listener address IncomingMail", atSeg2, nil},
		{Level{}, "seg1.test", "hostname", atSeg1, nil},
		{atEdge, "seg1.test", "destconfig a.example", atEdge, nil},
		{atMain, "seg1.test", "destconfig a.example", atCluster, []Level{atSeg1}},
		{atMain, "seg1.test", "ssh", atSeg1, nil},
		{atSeg1, "seg2.test", "destconfig a.example", atSeg1, nil},
		{atSeg1, "seg2.test", "listener IncomingMail", atCluster, nil},
		{atSeg1, "seg2.test", "listener address IncomingMail", atSeg1, nil},
		{atSeg2, "seg1.test", "destconfig a.example", atEdge, nil},
		{atSeg2, "seg1.test", "user admin", atCluster, nil},
	} {
		got := find(tc.level, tc.local, tc.object)
		if got.Level != tc.want || !reflect.DeepEqual(got.Overrides, tc.wantOverrides) {
			t.Errorf("Show(%v) on %s: %s at %v overridden by %v; want %v, %v", tc.level, tc.local, tc.object, got.Level, got.Overrides, tc.want, tc.wantOverrides)
		}
	}
	ols, _ := tr.Show(atCluster, "seg1.test")
	if ols[0].Object != "hostname" || ols[1].Object != "interfaces" {
		t.Errorf("Show's order: %v", ols[:2])
	}
	if _, err := tr.Show(Level{Kind: LevelMachine, Name: "nope"}, "seg1.test"); err == nil {
		t.Error("Show of a missing machine")
	}
}

func TestClusterSet(t *testing.T) {
	conc := func(tr *ClusterTree, m string) string {
		d := effective(t, tr, m).Destination("a.example")
		if d == nil {
			return "none"
		}
		return d.Params["max_host_concurrency"]
	}
	for _, tc := range []struct {
		name       string
		object     string
		from, to   Level
		move       bool
		seg1, seg2 string // a.example's concurrency on each afterwards
		check      func(t *testing.T, tr *ClusterTree)
	}{
		{name: "copy machine to cluster", object: "destconfig a.example", from: atSeg1, to: atCluster, seg1: "30", seg2: "20",
			check: func(t *testing.T, tr *ClusterTree) {
				if tr.Cluster.Destination("a.example").Params["max_host_concurrency"] != "30" || !slices.Contains(tr.Machines["seg1.test"].Objects, "destconfig a.example") {
					t.Error("copy: cluster value not replaced, or seg1's definition gone")
				}
			}},
		{name: "move machine to cluster", object: "destconfig A.example", from: atSeg1, to: atCluster, move: true, seg1: "30", seg2: "20",
			check: func(t *testing.T, tr *ClusterTree) {
				if slices.Contains(tr.Machines["seg1.test"].Objects, "destconfig a.example") {
					t.Error("move: seg1 still defines a.example")
				}
			}},
		{name: "move group to cluster", object: "destconfig a.example", from: atEdge, to: atCluster, move: true, seg1: "30", seg2: "20",
			check: func(t *testing.T, tr *ClusterTree) {
				if len(tr.Groups["Edge"].Objects) != 0 || len(tr.Groups["Edge"].Config.Destinations) != 0 {
					t.Errorf("move: Edge keeps %v", tr.Groups["Edge"].Objects)
				}
			}},
		{name: "move cluster to group", object: "destconfig a.example", from: atCluster, to: atMain, move: true, seg1: "30", seg2: "20",
			check: func(t *testing.T, tr *ClusterTree) {
				if tr.Cluster.Destination("a.example") != nil {
					t.Error("move: the cluster still has a.example")
				}
				if d := view(t, tr, atMain, "seg1.test").Destination("a.example"); d == nil || d.Params["max_host_concurrency"] != "10" {
					t.Errorf("Main's a.example %v, want the cluster's old 10", d)
				}
			}},
		{name: "copy group to machine", object: "destconfig a.example", from: atEdge, to: atSeg1, seg1: "20", seg2: "20"},
		{name: "copy a single object", object: "destconfig DEFAULT", from: atCluster, to: atEdge, seg1: "30", seg2: "20",
			check: func(t *testing.T, tr *ClusterTree) {
				if !slices.Contains(tr.Groups["Edge"].Objects, "destconfig DEFAULT") {
					t.Error("Edge does not define destconfig DEFAULT")
				}
			}},
		{name: "copy a listener's address between machines", object: "listener address IncomingMail", from: atSeg2, to: atSeg1, seg1: "30", seg2: "20",
			check: func(t *testing.T, tr *ClusterTree) {
				if p := effective(t, tr, "seg1.test").Listeners[0].Port; p != 3525 {
					t.Errorf("seg1's listener port %d, want seg2's 3525", p)
				}
			}},
		{name: "move a listener's address between machines", object: "listener address incomingmail", from: atSeg2, to: atSeg1, move: true, seg1: "30", seg2: "20",
			check: func(t *testing.T, tr *ClusterTree) {
				// seg2 no longer has an address for the cluster's
				// listener: it does not run it (unaddressedRule).
				if n := len(effective(t, tr, "seg2.test").Listeners); n != 0 {
					t.Errorf("seg2 runs %d listeners after the move, want none", n)
				}
				if v := view(t, tr, atSeg2, "seg1.test"); len(v.Listeners) != 1 || !unaddressed(v.Listeners[0]) {
					t.Errorf("seg2's view has listeners %+v, want IncomingMail unaddressed", v.Listeners)
				}
			}},
		{name: "copy a listener from the cluster to a machine", object: "listener IncomingMail", from: atCluster, to: atSeg2, seg1: "30", seg2: "20",
			check: func(t *testing.T, tr *ClusterTree) {
				if !slices.Contains(tr.Machines["seg2.test"].Objects, "listener incomingmail") {
					t.Errorf("seg2 does not define listener IncomingMail: %q", tr.Machines["seg2.test"].Objects)
				}
				if p := effective(t, tr, "seg2.test").Listeners[0].Port; p != 3525 {
					t.Errorf("seg2's listener port %d, want its own 3525", p)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := layered(t)
			before := mustEncode(t, tr)
			next, err := tr.Set(tc.object, tc.from, tc.to, tc.move, "seg1.test")
			if err != nil {
				t.Fatal(err)
			}
			if string(mustEncode(t, tr)) != string(before) {
				t.Error("Set modified its receiver")
			}
			if g1, g2 := conc(next, "seg1.test"), conc(next, "seg2.test"); g1 != tc.seg1 || g2 != tc.seg2 {
				t.Errorf("a.example: seg1 %s seg2 %s, want %s %s", g1, g2, tc.seg1, tc.seg2)
			}
			if tc.check != nil {
				tc.check(t, next)
			}
			if _, err := DecodeClusterTree(mustEncode(t, next)); err != nil {
				t.Errorf("the result does not decode: %v", err)
			}
		})
	}
}

func TestClusterSetErrors(t *testing.T) {
	tr := layered(t)
	for _, tc := range []struct {
		name, object string
		from, to     Level
		move         bool
		want         string
	}{
		{"same level", "dns", atCluster, Level{}, false, "the source and destination levels are the same (Cluster)"},
		{"no such object", "destconfig nowhere.example", atCluster, atMain, false, "There is no destconfig nowhere.example at Cluster."},
		{"no such group", "dns", atCluster, Level{Kind: LevelGroup, Name: "Nope"}, false, "no group Nope"},
		{"no such source", "dns", Level{Kind: LevelMachine, Name: "nope"}, atCluster, false, "no machine nope"},
		{"users stay at the cluster", "user admin", atCluster, atMain, false, "user admin: users are cluster-level"},
		{"listener addresses only between machines", "listener address IncomingMail", atSeg1, atMain, false, "listener addresses are machine-level; it can be copied or moved only from one machine to another"},
		{"listener addresses not from the cluster view", "listener address IncomingMail", atCluster, atSeg2, false, "only from one machine to another"},
		{"move what the level does not define", "dns", atSeg1, atCluster, true, "dns is not defined at Machine seg1.test (its value comes from Cluster): there is nothing to move."},
		{"same machine", "destconfig a.example", atSeg1, atSeg1, false, "the same (Machine seg1.test)"},
		{"move leaves a machine invalid", "hostname", atSeg1, atSeg2, true, "machine seg1.test: hostname"},
		{"emptying the cluster's dns", "dns", atCluster, atMain, true, "machine seg2.test: dns: no DNS servers"},
	} {
		_, err := tr.Set(tc.object, tc.from, tc.to, tc.move, "seg1.test")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	var ve *ValidationError
	if _, err := tr.Set("hostname", atSeg1, atSeg2, true, "seg1.test"); !errors.As(err, &ve) {
		t.Errorf("an invalid Set: %v, want a *ValidationError inside", err)
	}
	// Copying a value a level already defines changes nothing.
	same, err := tr.Set("destconfig a.example", atSeg1, atCluster, false, "seg1.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := same.Set("destconfig a.example", atSeg1, atCluster, false, "seg1.test"); !errors.Is(err, ErrNoChanges) {
		t.Errorf("the same copy twice: %v, want ErrNoChanges", err)
	}
}

func TestClusterSetAccess(t *testing.T) {
	tr, _ := mustCommit(t, twoMachines(t), atCluster, "seg1.test", func(c *Config) {
		c.Users = append(c.Users, User{Name: "op", Role: RoleOperator, PasswordHash: "$2a$10$op"})
	})
	next, err := tr.Set("ssh", atSeg1, atSeg2, false, "seg1.test")
	if err != nil {
		t.Fatal(err)
	}
	var ae *AccessError
	if err := tr.CheckAccessAt(next, "seg1.test", "op", RoleOperator, atSeg1, atSeg2); !errors.As(err, &ae) || !reflect.DeepEqual(ae.Objects, []string{"ssh"}) {
		t.Errorf("operator copies ssh: %v", err)
	}
	if err := tr.CheckAccessAt(next, "seg1.test", "admin", RoleAdmin, atSeg1, atSeg2); err != nil {
		t.Errorf("admin copies ssh: %v", err)
	}
}
