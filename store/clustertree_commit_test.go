package store

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// commitAt stages edit on the view of tr at level l for a session on
// local and commits it up to date, as admin.
func commitAt(t *testing.T, tr *ClusterTree, l Level, local string, edit func(c *Config)) (*ClusterTree, []string, error) {
	t.Helper()
	c := view(t, tr, l, local).Clone()
	edit(c)
	return tr.Commit(tr, CommitRequest{Base: 1, Config: c, User: "admin", Role: RoleAdmin, Level: l}, local)
}

func TestClusterCommitUpToDate(t *testing.T) {
	addDest := func(d string) func(c *Config) {
		return func(c *Config) { c.Destinations = append(c.Destinations, Destination{Domain: d}) }
	}
	hasDest := func(d string) func(c *Config) bool { return func(c *Config) bool { return c.Destination(d) != nil } }
	port := func(c *Config) int { return c.Listeners[0].Port }
	// blocked: the first listener's BLOCKED_LIST holds 192.0.2.1.
	blocked := func(c *Config) bool {
		return reflect.DeepEqual(c.Listeners[0].HAT.SenderGroups[2].Members, []string{"192.0.2.1"})
	}
	for _, tc := range []struct {
		name   string
		level  Level
		local  string
		edit   func(c *Config)
		placed []string
		// seg1 and seg2 say what each machine's effective config
		// must then show.
		seg1, seg2 func(c *Config) bool
	}{{
		name: "cluster setting", level: atCluster, local: "seg1.test", edit: addDest("all.example"),
		seg1: hasDest("all.example"), seg2: hasDest("all.example"),
	}, {
		name: "default level is the cluster", level: Level{}, local: "seg2.test", edit: addDest("all.example"),
		seg1: hasDest("all.example"), seg2: hasDest("all.example"),
	}, {
		name: "listener from the cluster level goes to the session's machine", level: atCluster, local: "seg2.test",
		edit:   func(c *Config) { c.Listeners[0].Port = 4000 },
		placed: []string{"listener address IncomingMail: machine seg2.test (listener addresses are machine-level)"},
		seg1:   func(c *Config) bool { return port(c) == 2525 }, seg2: func(c *Config) bool { return port(c) == 4000 },
	}, {
		name: "a listener's HAT from the cluster level reaches every machine, its port only the session's", level: atCluster, local: "seg2.test",
		edit: func(c *Config) {
			c.Listeners[0].HAT.SenderGroups[2].Members = []string{"192.0.2.1"}
			c.Listeners[0].Port = 4000
		},
		placed: []string{"listener address IncomingMail: machine seg2.test (listener addresses are machine-level)"},
		seg1:   func(c *Config) bool { return blocked(c) && port(c) == 2525 },
		seg2:   func(c *Config) bool { return blocked(c) && port(c) == 4000 },
	}, {
		name: "a listener's HAT at a machine level stays there", level: atSeg1, local: "seg2.test",
		edit: func(c *Config) { c.Listeners[0].HAT.SenderGroups[2].Members = []string{"192.0.2.1"} },
		seg1: func(c *Config) bool { return blocked(c) && port(c) == 2525 },
		seg2: func(c *Config) bool { return !blocked(c) && port(c) == 3525 },
	}, {
		name: "a new listener from the cluster level runs on the session's machine only", level: atCluster, local: "seg1.test",
		edit: func(c *Config) {
			l := c.Listeners[0]
			l.Name, l.Type, l.Port, l.RAT = "Outgoing", "private", 2600, nil
			c.Listeners = append(c.Listeners, l)
		},
		placed: []string{"listener address Outgoing: machine seg1.test (listener addresses are machine-level)"},
		seg1:   func(c *Config) bool { return len(c.Listeners) == 2 && c.Listeners[1].Port == 2600 },
		seg2:   func(c *Config) bool { return len(c.Listeners) == 1 },
	}, {
		name: "every machine-natured object from a group level", level: atMain, local: "seg1.test",
		edit: func(c *Config) {
			c.System.Hostname = "new.test"
			c.Interfaces = append(c.Interfaces, IPInterface{Name: "Data", Address: "127.0.0.9"})
			c.ListenerSetup.MaxConcurrency = 100
			c.SSH.Port = 4022
			c.Metrics.Address = "127.0.0.1:4090"
		},
		placed: []string{
			"hostname: machine seg1.test (the hostname is machine-level)",
			"interfaces: machine seg1.test (interfaces are machine-level)",
			"ssh: machine seg1.test (sshconfig is machine-level)",
			"metrics: machine seg1.test (metricsconfig is machine-level)",
			"listener setup: machine seg1.test (the listener setup is machine-level)",
		},
		seg1: func(c *Config) bool {
			return c.System.Hostname == "new.test" && len(c.Interfaces) == 2 && c.SSH.Port == 4022 && c.Metrics.Address == "127.0.0.1:4090" && c.ListenerSetup.MaxConcurrency == 100
		},
		seg2: func(c *Config) bool {
			return c.System.Hostname == "seg2.test" && len(c.Interfaces) == 1 && c.SSH.Port == 3526 && c.ListenerSetup.MaxConcurrency == 0
		},
	}, {
		name: "machine level of another machine", level: atSeg2, local: "seg1.test",
		edit: func(c *Config) { addDest("two.example")(c); c.Listeners[0].Port = 4000 },
		seg1: func(c *Config) bool { return c.Destination("two.example") == nil && port(c) == 2525 },
		seg2: func(c *Config) bool { return c.Destination("two.example") != nil && port(c) == 4000 },
	}, {
		name: "group level", level: atMain, local: "seg1.test", edit: addDest("main.example"),
		seg1: hasDest("main.example"), seg2: hasDest("main.example"),
	}, {
		name: "group of no machine", level: atEdge, local: "seg1.test", edit: addDest("edge.example"),
		seg1: func(c *Config) bool { return c.Destination("edge.example") == nil },
		seg2: func(c *Config) bool { return c.Destination("edge.example") == nil },
	}, {
		name: "users from a machine level go to the cluster", level: atSeg1, local: "seg1.test",
		edit: func(c *Config) {
			c.Users = append(c.Users, User{Name: "bob", Role: RoleOperator})
			c.AdminAccess.CLITimeout = 60
		},
		placed: []string{
			"user bob: cluster (users are cluster-level)",
			"adminaccess: cluster (adminaccessconfig is cluster-level)",
		},
		seg1: func(c *Config) bool { return c.User("bob") != nil }, seg2: func(c *Config) bool { return c.User("bob") != nil },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tr := twoMachines(t)
			next, placed, err := commitAt(t, tr, tc.level, tc.local, tc.edit)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(placed, tc.placed) {
				t.Errorf("placed:\n%q\nwant\n%q", placed, tc.placed)
			}
			if !tc.seg1(effective(t, next, "seg1.test")) {
				t.Error("seg1's effective configuration is not as expected")
			}
			if !tc.seg2(effective(t, next, "seg2.test")) {
				t.Error("seg2's effective configuration is not as expected")
			}
			if next.Cluster.System.Hostname != "" || len(runnable(next.Cluster.Listeners)) != 0 {
				t.Error("a machine object reached the cluster level")
			}
			for g, gl := range next.Groups {
				for _, k := range gl.Objects {
					if r, _ := keyRank(k); machineNatured(r) || clusterNatured(r) {
						t.Errorf("group %s holds %s", g, k)
					}
				}
			}
			if _, err := DecodeClusterTree(mustEncode(t, next)); err != nil {
				t.Errorf("the committed tree does not decode: %v", err)
			}
			if _, err := DecodeClusterTree(mustEncode(t, tr)); err != nil || tr.Cluster.Destination("all.example") != nil {
				t.Errorf("Commit modified its receiver (%v)", err)
			}
		})
	}
}

func mustEncode(t *testing.T, tr *ClusterTree) []byte {
	t.Helper()
	b, err := EncodeClusterTree(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A group override and a machine override over the cluster level: each
// level wins for its machines, removal at a level removes the object
// there only, and a change at the cluster still reaches the others.
func TestClusterInheritance(t *testing.T) {
	tr := twoMachines(t)
	tr, _ = mustCommit(t, tr, atCluster, "seg1.test", func(c *Config) {
		c.Destinations = append(c.Destinations,
			Destination{Domain: "a.example", Params: Params{"max_host_concurrency": "10"}},
			Destination{Domain: "b.example"})
	})
	tr, err := tr.SetGroup("seg2.test", "Edge")
	if err != nil {
		t.Fatal(err)
	}
	tr, _ = mustCommit(t, tr, atEdge, "seg1.test", func(c *Config) {
		c.Destination("a.example").Params["max_host_concurrency"] = "20"
		c.Destinations = c.Destinations[:1] // removes b.example in Edge
	})
	tr, _ = mustCommit(t, tr, atSeg1, "seg1.test", func(c *Config) {
		c.Destination("a.example").Params["max_host_concurrency"] = "30"
	})
	conc := func(m string) string {
		d := effective(t, tr, m).Destination("a.example")
		if d == nil {
			return "none"
		}
		return d.Params["max_host_concurrency"]
	}
	if conc("seg1.test") != "30" || conc("seg2.test") != "20" {
		t.Errorf("a.example: seg1 %s (want 30), seg2 %s (want 20)", conc("seg1.test"), conc("seg2.test"))
	}
	if effective(t, tr, "seg2.test").Destination("b.example") != nil {
		t.Error("b.example removed in group Edge is still on seg2")
	}
	if effective(t, tr, "seg1.test").Destination("b.example") == nil {
		t.Error("b.example removed in group Edge is gone from seg1 (group Main)")
	}
	if v := view(t, tr, atCluster, "seg2.test"); v.Destination("a.example").Params["max_host_concurrency"] != "10" || v.Destination("b.example") == nil {
		t.Error("the cluster view shows a lower level's values")
	}
	// A cluster change to an object no lower level defines reaches all.
	tr, _ = mustCommit(t, tr, atCluster, "seg2.test", func(c *Config) { c.DestDefault["max_host_concurrency"] = "99" })
	for _, m := range []string{"seg1.test", "seg2.test"} {
		if got := effective(t, tr, m).DestDefault["max_host_concurrency"]; got != "99" {
			t.Errorf("%s: destconfig DEFAULT max_host_concurrency %s, want 99", m, got)
		}
	}
	// Moving seg2 back to Main drops Edge's overrides for it.
	tr, _ = tr.SetGroup("seg2.test", "Main")
	if conc("seg2.test") != "10" || effective(t, tr, "seg2.test").Destination("b.example") == nil {
		t.Errorf("seg2 in Main: a.example %s, want the cluster's 10, and b.example back", conc("seg2.test"))
	}
}

func mustCommit(t *testing.T, tr *ClusterTree, l Level, local string, edit func(c *Config)) (*ClusterTree, []string) {
	t.Helper()
	next, placed, err := commitAt(t, tr, l, local, edit)
	if err != nil {
		t.Fatalf("commit at %v: %v", l, err)
	}
	return next, placed
}

func TestClusterCommitNoChanges(t *testing.T) {
	tr := twoMachines(t)
	if _, _, err := commitAt(t, tr, atCluster, "seg1.test", func(*Config) {}); !errors.Is(err, ErrNoChanges) {
		t.Errorf("unchanged view: %v, want ErrNoChanges", err)
	}
	// A machine override that sets what the machine had already
	// changes its level's listing, so it is a change; the same value
	// again at the same level is not.
	tr, _ = mustCommit(t, tr, atSeg1, "seg1.test", func(c *Config) { c.DestDefault["max_host_concurrency"] = "5" })
	if _, _, err := commitAt(t, tr, atSeg1, "seg1.test", func(c *Config) { c.DestDefault["max_host_concurrency"] = "5" }); !errors.Is(err, ErrNoChanges) {
		t.Errorf("the same value again: %v, want ErrNoChanges", err)
	}
	if _, _, err := tr.Commit(tr, CommitRequest{Level: atCluster}, "seg1.test"); err == nil || !strings.Contains(err.Error(), "no configuration") {
		t.Errorf("nil Config: %v", err)
	}
}

// Log subscriptions: a level's partial tree holds only the ones it
// defines, though a whole tree's absent list means the defaults.
func TestClusterLogSubscriptionsAtLevels(t *testing.T) {
	cfg := machineConfig(t, "seg1.test", 2525)
	cfg.Logs = nil // a tree from before logconfig: the defaults
	tr, err := NewClusterTree("c", cfg, "seg1.test", "Main")
	if err == nil {
		tr, err = tr.Join("seg2.test", "Main", machineConfig(t, "seg2.test", 3525))
	}
	if err != nil {
		t.Fatal(err)
	}
	names := func(c *Config) []string {
		var out []string
		for _, l := range c.LogSubscriptions() {
			out = append(out, l.Name+":"+l.Level)
		}
		return out
	}
	// seg2 drops the bounces log and raises mail_logs to debug.
	tr, _ = mustCommit(t, tr, atSeg2, "seg1.test", func(c *Config) {
		c.LogSubscription("mail_logs").Level = "debug"
		c.Logs = slices.DeleteFunc(c.Logs, func(l LogSubscription) bool { return l.Name == "bounces" })
	})
	if ml := tr.Machines["seg2.test"]; !slices.Contains(ml.Objects, "log subscription bounces") || !slices.Contains(ml.Objects, "log subscription mail_logs") || len(ml.Config.Logs) != 1 {
		t.Errorf("seg2's level: %q with logs %v", ml.Objects, ml.Config.Logs)
	}
	if got, want := names(effective(t, tr, "seg2.test")), []string{"mail_logs:debug", "cli_logs:info", "authentication:info"}; !reflect.DeepEqual(got, want) {
		t.Errorf("seg2's logs %q, want %q", got, want)
	}
	if got := names(effective(t, tr, "seg1.test")); len(got) != 4 || got[0] != "mail_logs:info" {
		t.Errorf("seg1's logs %q, want the four defaults", got)
	}
	if _, err := DecodeClusterTree(mustEncode(t, tr)); err != nil {
		t.Error(err)
	}
}

// A listener created from a session on seg1 has no address on seg2:
// seg2 does not run it (unaddressedRule), its views show it without an
// address, and a session on seg2 gives it one at seg2's machine level.
func TestClusterListenerWithoutAddress(t *testing.T) {
	tr := twoMachines(t)
	next, _, err := commitAt(t, tr, atCluster, "seg1.test", func(c *Config) {
		l := c.Listeners[0]
		l.Name, l.Type, l.Port, l.RAT = "Outgoing", "private", 2600, nil
		c.Listeners = append(c.Listeners, l)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(effective(t, next, "seg2.test").Listeners); n != 1 {
		t.Fatalf("seg2 runs %d listeners, want 1 (Outgoing has no address there)", n)
	}
	for _, l := range []Level{atCluster, atMain, atSeg2} {
		v := view(t, next, l, "seg2.test")
		if len(v.Listeners) != 2 || v.Listeners[1].Name != "Outgoing" || !unaddressed(v.Listeners[1]) {
			t.Fatalf("seg2's view at %v: listeners %+v, want Outgoing unaddressed", l, v.Listeners)
		}
	}
	next2, placed, err := commitAt(t, next, atCluster, "seg2.test", func(c *Config) {
		c.Listeners[1].Address, c.Listeners[1].Port = "127.0.0.1", 3600
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"listener address Outgoing: machine seg2.test (listener addresses are machine-level)"}; !reflect.DeepEqual(placed, want) {
		t.Errorf("placed %q, want %q", placed, want)
	}
	for m, port := range map[string]int{"seg1.test": 2600, "seg2.test": 3600} {
		if ls := effective(t, next2, m).Listeners; len(ls) != 2 || ls[1].Port != port {
			t.Errorf("%s runs %+v, want Outgoing on port %d", m, ls, port)
		}
	}
	// Removing the listener from the cluster level stops it everywhere.
	next3, _, err := commitAt(t, next2, atCluster, "seg1.test", func(c *Config) { c.Listeners = c.Listeners[:1] })
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"seg1.test", "seg2.test"} {
		if ls := effective(t, next3, m).Listeners; len(ls) != 1 {
			t.Errorf("%s runs %d listeners after the removal, want 1", m, len(ls))
		}
	}
	if _, err := DecodeClusterTree(mustEncode(t, next3)); err != nil {
		t.Errorf("the tree does not decode: %v", err)
	}
}
