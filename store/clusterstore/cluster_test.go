package clusterstore

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/store"
)

// twoMachines is a cluster named name of seg1 (created it) and seg2
// (joined), both in group Main.
func twoMachines(t *testing.T, name string) (a, b *testMachine) {
	t.Helper()
	e := testEtcd(t)
	a = newMachine(t, "seg1.example.com")
	b = newMachine(t, "seg2.example.com")
	if err := a.node.Create(name, e.endpoints(), "Main", "admin"); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := b.node.Join(e.endpoints(), "Main", "admin"); err != nil {
		t.Fatalf("join: %v", err)
	}
	return a, b
}

func TestCreateJoin(t *testing.T) {
	e := testEtcd(t)
	a := newMachine(t, "seg1.example.com")
	a.mustSetAlerts("ops@example.com") // a standalone revision first
	watch, stop := a.node.Watch()
	defer stop()
	if err := a.node.Create("cj", e.endpoints(), "Main", "admin"); err != nil {
		t.Fatal(err)
	}
	// The MTA's subscription sees the switch: cluster revision 1, the
	// same configuration.
	got := <-watch
	if got.Revision.Number != 1 || !slices.Equal(got.Config.System.AlertRecipients, []string{"ops@example.com"}) {
		t.Fatalf("after create, watch delivered revision %d alerts %v", got.Revision.Number, got.Config.System.AlertRecipients)
	}
	st := a.node.State()
	if st.Name != "cj" || st.Machine != "seg1.example.com" || st.Group != "Main" || st.Applied != 1 || !st.Reachable {
		t.Fatalf("State after create: %+v", st)
	}
	ms, err := readMembership(filepath.Join(a.confDir(), MembershipFile))
	if err != nil || ms == nil || ms.Name != "cj" {
		t.Fatalf("membership file: %+v, %v", ms, err)
	}
	if fi, err := os.Stat(filepath.Join(a.confDir(), MembershipFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("membership file mode: %v %v", fi, err)
	}
	other := newMachine(t, "seg9.example.com")
	if err := other.node.Create("cj", e.endpoints(), "Main", "admin"); err == nil || err.Error() != "A cluster named cj already exists on those etcd endpoints." {
		t.Fatalf("second create of cj: %v", err)
	}

	b := newMachine(t, "seg2.example.com")
	if err := b.node.Join(e.endpoints(), "Main", "admin"); err != nil {
		t.Fatal(err)
	}
	// b runs the cluster's settings and keeps its own hostname.
	bc := b.current()
	if !slices.Equal(bc.Config.System.AlertRecipients, []string{"ops@example.com"}) || bc.Config.System.Hostname != "seg2.example.com" {
		t.Fatalf("b after join: alerts %v hostname %s", bc.Config.System.AlertRecipients, bc.Config.System.Hostname)
	}
	a.waitApplied(time.Second, 2)
	if st := a.node.State(); !slices.Equal(st.Machines, []string{"seg1.example.com", "seg2.example.com"}) {
		t.Fatalf("a's State after the join: %+v", st)
	}
	if err := b.node.Join(e.endpoints(), "Main", "admin"); err == nil || !strings.Contains(err.Error(), "already in cluster cj") {
		t.Fatalf("second join: %v", err)
	}
	// Each machine registers under its lease.
	var list []Machine
	okUp := func() bool {
		list, err = a.node.Machines()
		return err == nil && len(list) == 2 && list[0].Up && list[1].Up && list[1].Applied == 2
	}
	if !segtest.Poll(3*time.Second, okUp) {
		t.Fatalf("Machines: %+v, %v", list, err)
	}
}

// A commit on one machine is applied on the other through the watch;
// the latency is measured over 20 commits.
func TestCommitAppliedOnPeer(t *testing.T) {
	a, b := twoMachines(t, "lat")
	watch, stop := b.node.Watch()
	defer stop()
	var lat []time.Duration
	for i := range 20 {
		rcpt := []string{"ops" + string(rune('a'+i)) + "@example.com"}
		start := time.Now()
		rev := a.mustSetAlerts(rcpt...)
		for {
			select {
			case s := <-watch:
				if s.Revision.Number < rev.Number {
					continue
				}
				if !slices.Equal(s.Config.System.AlertRecipients, rcpt) {
					t.Fatalf("b got revision %d with alerts %v, want %v", s.Revision.Number, s.Config.System.AlertRecipients, rcpt)
				}
			case <-time.After(time.Second):
				t.Fatalf("b did not apply revision %d within 1 s", rev.Number)
			}
			break
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("commit on seg1 -> applied on seg2, 20 commits: p50 %v, max %v", lat[len(lat)/2], lat[len(lat)-1])
	// The other way, and the revision history both serve.
	rev := b.mustSetAlerts("back@example.com")
	a.waitAlerts(time.Second, "back@example.com")
	ra, err := a.node.Revisions(0)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.node.Revisions(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ra) != rev.Number || ra[0] != rb[0] || ra[0].Comment != "alerts" {
		t.Fatalf("revisions: a %d newest %+v, b newest %+v; want %d", len(ra), ra[0], rb[0], rev.Number)
	}
}

// Two machines commit changes of the same object made on the same
// revision at once: one wins, the other gets a conflict, both run the
// winner's.
func TestConcurrentConflictingCommits(t *testing.T) {
	a, b := twoMachines(t, "race")
	b.waitApplied(time.Second, 2)
	a.waitApplied(time.Second, 2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, m := range []*testMachine{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.setAlerts(2, m.name+"@example.com")
		}()
	}
	wg.Wait()
	var winner *testMachine
	for i, err := range errs {
		var cerr *store.ConflictError
		switch {
		case err == nil && winner == nil:
			winner = []*testMachine{a, b}[i]
		case errors.As(err, &cerr):
			if !slices.Contains(cerr.Objects, "alerts") || cerr.Base != 2 || cerr.Current != 3 {
				t.Errorf("conflict: %+v", cerr)
			}
		default:
			t.Errorf("commit %d: %v", i, err)
		}
	}
	if winner == nil {
		t.Fatalf("no commit won: %v", errs)
	}
	for _, m := range []*testMachine{a, b} {
		m.waitAlerts(time.Second, winner.name+"@example.com")
		if n := m.node.State().Applied; n != 3 {
			t.Errorf("%s applied %d, want 3", m.name, n)
		}
	}
	// Changes of different objects on the same base merge.
	if _, err := a.setAlerts(0, "merged@example.com"); err != nil {
		t.Fatal(err)
	}
	v, err := b.node.View(store.Level{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	cfg := v.Config.Clone()
	cfg.System.DNS.Servers = []string{"192.0.2.53:53"}
	cfg.System.DNS.UseSystem = false
	if _, err := b.node.Commit(store.CommitRequest{Base: 3, Config: cfg, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatalf("merge of a different object: %v", err)
	}
	a.waitApplied(time.Second, 5)
	got := a.current().Config
	if !slices.Equal(got.System.AlertRecipients, []string{"merged@example.com"}) || !slices.Equal(got.System.DNS.Servers, []string{"192.0.2.53:53"}) {
		t.Fatalf("after the merge a runs alerts %v dns %v", got.System.AlertRecipients, got.System.DNS.Servers)
	}
}

// store.Rollback works through the node's Commit: the cluster level of
// the old revision comes back as a new revision on every machine.
func TestClusterRollback(t *testing.T) {
	a, b := twoMachines(t, "rb")
	a.mustSetAlerts("one@example.com")
	two := a.mustSetAlerts("two@example.com")
	rev, err := store.Rollback(a.node, two.Number-1, "admin", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Number != two.Number+1 {
		t.Fatalf("rollback made revision %d, want %d", rev.Number, two.Number+1)
	}
	b.waitAlerts(time.Second, "one@example.com")
}

// A machine that leaves keeps its effective configuration as a new
// standalone revision, with no restart; one removed by another machine
// does the same when it sees the removal.
func TestLeaveAndRemove(t *testing.T) {
	a, b := twoMachines(t, "lv")
	e := testEtcd(t)
	c := newMachine(t, "seg3.example.com")
	if err := c.node.Join(e.endpoints(), "Main", "admin"); err != nil {
		t.Fatal(err)
	}
	a.mustSetAlerts("cluster@example.com")
	b.waitAlerts(time.Second, "cluster@example.com")
	c.waitAlerts(time.Second, "cluster@example.com")

	watch, stop := b.node.Watch()
	defer stop()
	before := b.current().Config
	if err := b.node.Leave("admin"); err != nil {
		t.Fatal(err)
	}
	if st := b.node.State(); st.Name != "" {
		t.Fatalf("b's State after leave: %+v", st)
	}
	var s *store.Snapshot
	select {
	case s = <-watch:
	case <-time.After(time.Second):
		t.Fatal("b's watch got nothing at the leave")
	}
	same := func(x, y *store.Config) bool {
		xb, _ := json.Marshal(x)
		yb, _ := json.Marshal(y)
		return string(xb) == string(yb)
	}
	if !same(s.Config, before) || !same(b.current().Config, before) {
		t.Fatal("b's standalone configuration differs from its last effective one")
	}
	if _, err := os.Stat(filepath.Join(b.confDir(), MembershipFile)); !os.IsNotExist(err) {
		t.Fatalf("membership file after leave: %v", err)
	}
	// Standalone again: commits go to the local store.
	if _, err := b.setAlerts(0, "local@example.com"); err != nil {
		t.Fatal(err)
	}
	a.waitApplied(time.Second, 4) // the leave is revision 4
	if got := a.alerts(); !slices.Equal(got, []string{"cluster@example.com"}) {
		t.Fatalf("a runs %v after b's local commit", got)
	}

	if err := a.node.RemoveMachine("seg3.example.com", "admin"); err != nil {
		t.Fatal(err)
	}
	segtestWaitStandalone(t, c)
	if got := c.alerts(); !slices.Equal(got, []string{"cluster@example.com"}) {
		t.Fatalf("c after removal runs %v", got)
	}
	list, err := a.node.Machines()
	if err != nil || len(list) != 1 || list[0].Name != "seg1.example.com" {
		t.Fatalf("Machines after leave and removal: %+v, %v", list, err)
	}
	// b's revision history is the standalone one again.
	revs, err := b.node.Revisions(1)
	if err != nil || len(revs) != 1 || revs[0].Comment != "alerts" || revs[0].Number < 3 {
		t.Fatalf("b's newest revision: %+v, %v", revs, err)
	}
}

func segtestWaitStandalone(t *testing.T, m *testMachine) {
	t.Helper()
	if !segtest.Poll(2*time.Second, func() bool { return m.node.State().Name == "" }) {
		t.Fatalf("%s did not turn standalone within 2 s", m.name)
	}
}
