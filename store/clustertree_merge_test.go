package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// stage is one session's edit: its level, the machine it runs on, and
// what it changes in its view.
type stage struct {
	level Level
	local string
	edit  func(c *Config)
}

func setDest(domain, conc string) func(c *Config) {
	return func(c *Config) {
		if d := c.Destination(domain); d != nil {
			d.Params = Params{"max_host_concurrency": conc}
			return
		}
		c.Destinations = append(c.Destinations, Destination{Domain: domain, Params: Params{"max_host_concurrency": conc}})
	}
}

func setPort(p int) func(c *Config) { return func(c *Config) { c.Listeners[0].Port = p } }

func both(fs ...func(c *Config)) func(c *Config) {
	return func(c *Config) {
		for _, f := range fs {
			f(c)
		}
	}
}

// Two sessions start from the same tree; theirs commits first, mine
// then commits with the older base: the conflict rule of SPEC 3 per
// object and per level.
func TestClusterCommitConflicts(t *testing.T) {
	for _, tc := range []struct {
		name        string
		theirs      stage
		mine        stage
		conflicts   []string // nil: the commit succeeds
		wantErr     error
		check       func(t *testing.T, tr *ClusterTree)
		checkPlaced []string
	}{{
		name:      "same object, same level",
		theirs:    stage{atCluster, "seg1.test", setDest("a.example", "5")},
		mine:      stage{atCluster, "seg2.test", setDest("a.example", "6")},
		conflicts: []string{"destconfig a.example"},
	}, {
		name:      "same object, same group",
		theirs:    stage{atMain, "seg1.test", setDest("a.example", "5")},
		mine:      stage{atMain, "seg2.test", setDest("a.example", "6")},
		conflicts: []string{"destconfig a.example"},
	}, {
		name:   "same object, different levels",
		theirs: stage{atMain, "seg1.test", setDest("a.example", "5")},
		mine:   stage{atCluster, "seg2.test", setDest("a.example", "6")},
		check: func(t *testing.T, tr *ClusterTree) {
			if got := tr.Cluster.Destination("a.example").Params["max_host_concurrency"]; got != "6" {
				t.Errorf("cluster's a.example %s, want mine (6)", got)
			}
			if got := effective(t, tr, "seg1.test").Destination("a.example").Params["max_host_concurrency"]; got != "5" {
				t.Errorf("seg1's a.example %s, want the group's (5)", got)
			}
		},
	}, {
		name:   "different objects, same level: both apply",
		theirs: stage{atCluster, "seg1.test", setDest("a.example", "5")},
		mine:   stage{atCluster, "seg1.test", setDest("b.example", "6")},
		check: func(t *testing.T, tr *ClusterTree) {
			c := effective(t, tr, "seg2.test")
			if c.Destination("a.example") == nil || c.Destination("b.example") == nil {
				t.Errorf("merged destinations %v, want a.example and b.example", c.Destinations)
			}
		},
	}, {
		name:   "identical edits do not conflict",
		theirs: stage{atCluster, "seg1.test", setDest("a.example", "5")},
		mine:   stage{atCluster, "seg2.test", both(setDest("a.example", "5"), setDest("c.example", "1"))},
		check: func(t *testing.T, tr *ClusterTree) {
			if tr.Cluster.Destination("a.example") == nil || tr.Cluster.Destination("c.example") == nil {
				t.Errorf("destinations %v", tr.Cluster.Destinations)
			}
		},
	}, {
		name:    "only identical edits: nothing to commit",
		theirs:  stage{atCluster, "seg1.test", setDest("a.example", "5")},
		mine:    stage{atCluster, "seg2.test", setDest("a.example", "5")},
		wantErr: ErrNoChanges,
	}, {
		name:        "listeners of two machines from the cluster level",
		theirs:      stage{atCluster, "seg1.test", setPort(4001)},
		mine:        stage{atCluster, "seg2.test", setPort(4002)},
		checkPlaced: []string{"listener address IncomingMail: machine seg2.test (listener addresses are machine-level)"},
		check: func(t *testing.T, tr *ClusterTree) {
			if p1, p2 := effective(t, tr, "seg1.test").Listeners[0].Port, effective(t, tr, "seg2.test").Listeners[0].Port; p1 != 4001 || p2 != 4002 {
				t.Errorf("ports %d, %d; want 4001, 4002", p1, p2)
			}
		},
	}, {
		name:      "one machine's listener from two levels",
		theirs:    stage{atCluster, "seg1.test", setPort(4001)},
		mine:      stage{atSeg1, "seg2.test", setPort(4002)},
		conflicts: []string{"listener address IncomingMail"},
	}, {
		name:   "one listener's port and HAT from two sessions merge",
		theirs: stage{atCluster, "seg1.test", setPort(4001)},
		mine: stage{atCluster, "seg1.test", func(c *Config) {
			c.Listeners[0].HAT.SenderGroups[2].Members = []string{"192.0.2.1"}
		}},
		check: func(t *testing.T, tr *ClusterTree) {
			for m, port := range map[string]int{"seg1.test": 4001, "seg2.test": 3525} {
				l := effective(t, tr, m).Listeners[0]
				if l.Port != port || !reflect.DeepEqual(l.HAT.SenderGroups[2].Members, []string{"192.0.2.1"}) {
					t.Errorf("%s: port %d BLOCKED_LIST %v; want %d and the cluster's 192.0.2.1", m, l.Port, l.HAT.SenderGroups[2].Members, port)
				}
			}
		},
	}, {
		name:      "users from two levels meet at the cluster",
		theirs:    stage{atSeg1, "seg1.test", func(c *Config) { c.User("admin").FullName = "A" }},
		mine:      stage{atMain, "seg2.test", both(setDest("z.example", "1"), func(c *Config) { c.User("admin").FullName = "B" })},
		conflicts: []string{"user admin"},
	}, {
		name:      "several conflicts in Changes' order",
		theirs:    stage{atCluster, "seg1.test", both(setDest("b.example", "5"), func(c *Config) { c.System.DNS.Servers = []string{"127.0.0.1:53"} })},
		mine:      stage{atCluster, "seg1.test", both(setDest("b.example", "6"), func(c *Config) { c.System.DNS.Servers = []string{"127.0.0.2:53"} }, setDest("c.example", "1"))},
		conflicts: []string{"dns", "destconfig b.example"},
	}, {
		name:    "the group went away",
		theirs:  stage{atCluster, "seg1.test", setDest("a.example", "5")},
		mine:    stage{atEdge, "seg1.test", setDest("e.example", "6")},
		wantErr: errors.New("no group Edge"),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			base := twoMachines(t)
			cur, _ := mustCommit(t, base, tc.theirs.level, tc.theirs.local, tc.theirs.edit)
			if tc.name == "the group went away" {
				var err error
				if cur, err = cur.RemoveGroup("Edge"); err != nil {
					t.Fatal(err)
				}
			}
			c := view(t, base, tc.mine.level, tc.mine.local).Clone()
			tc.mine.edit(c)
			next, placed, err := cur.Commit(base, CommitRequest{Base: 3, Config: c, User: "admin", Role: RoleAdmin, Level: tc.mine.level}, tc.mine.local)
			var ce *ConflictError
			switch {
			case tc.conflicts != nil:
				if !errors.As(err, &ce) {
					t.Fatalf("err %v, want a conflict", err)
				}
				if !reflect.DeepEqual(ce.Objects, tc.conflicts) || ce.Base != 3 {
					t.Errorf("conflict on %q base %d, want %q base 3", ce.Objects, ce.Base, tc.conflicts)
				}
				return
			case tc.wantErr != nil:
				if err == nil || !errors.Is(err, tc.wantErr) && !strings.Contains(err.Error(), tc.wantErr.Error()) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if !reflect.DeepEqual(placed, tc.checkPlaced) {
				t.Errorf("placed %q, want %q", placed, tc.checkPlaced)
			}
			// Theirs survives the merge.
			for _, m := range []string{"seg1.test", "seg2.test"} {
				was, now := effective(t, cur, m), effective(t, next, m)
				for _, ch := range Changes(was, now) {
					if !strings.Contains(ch.Object, "c.example") && !strings.Contains(ch.Object, "b.example") &&
						!strings.Contains(ch.Object, "a.example") && !strings.Contains(ch.Object, "listener") {
						t.Errorf("%s: the merge changed %s", m, ch.Object)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, next)
			}
		})
	}
}

func TestClusterCommitValidationNamesTheMachine(t *testing.T) {
	noDNS := func(c *Config) { c.System.DNS = DNSConfig{} }
	const dnsProblem = "dns: no DNS servers given and the system resolver is not selected"
	tr := twoMachines(t)
	for _, tc := range []struct {
		name  string
		tr    *ClusterTree
		level Level
		want  []string
	}{
		{"one machine of two", tr, atSeg2, []string{"machine seg2.test: " + dnsProblem}},
		{"every machine", tr, atCluster, []string{"machine seg1.test: " + dnsProblem, "machine seg2.test: " + dnsProblem}},
		{"a lone machine is not named", mustRemove(t, tr, "seg2.test"), atCluster, []string{dnsProblem}},
	} {
		_, _, err := commitAt(t, tc.tr, tc.level, "seg1.test", noDNS)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: %v, want a *ValidationError", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(ve.Problems, tc.want) {
			t.Errorf("%s: problems\n%q\nwant\n%q", tc.name, ve.Problems, tc.want)
		}
	}
}

func mustRemove(t *testing.T, tr *ClusterTree, m string) *ClusterTree {
	t.Helper()
	n, err := tr.RemoveMachine(m)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestClusterCommitAccess(t *testing.T) {
	tr, _ := mustCommit(t, twoMachines(t), atCluster, "seg1.test", func(c *Config) {
		c.Users = append(c.Users, User{Name: "op", Role: RoleOperator, PasswordHash: "$2a$10$op"})
	})
	as := func(user, role string, l Level, edit func(c *Config)) error {
		c := view(t, tr, l, "seg2.test").Clone()
		edit(c)
		_, _, err := tr.Commit(tr, CommitRequest{Base: 2, Config: c, User: user, Role: role, Level: l}, "seg2.test")
		return err
	}
	sshPort := func(c *Config) { c.SSH.Port = 5022 }
	var ae *AccessError
	// sshconfig is admin-only: refused from every level it can be
	// reached from, though it is written at the machine level.
	for _, l := range []Level{atCluster, atMain, atSeg2} {
		if err := as("op", RoleOperator, l, sshPort); !errors.As(err, &ae) || !reflect.DeepEqual(ae.Objects, []string{"ssh"}) {
			t.Errorf("operator changes ssh at %v: %v", l, err)
		}
	}
	if err := as("op", RoleOperator, atMain, setDest("x.example", "3")); err != nil {
		t.Errorf("operator changes a destination: %v", err)
	}
	if err := as("ghost", RoleAdmin, atCluster, setDest("x.example", "3")); !errors.As(err, &ae) || !ae.Gone {
		t.Errorf("an account not in the cluster: %v", err)
	}
	if err := as("admin", RoleAdmin, atSeg2, sshPort); err != nil {
		t.Errorf("admin changes ssh: %v", err)
	}
}
