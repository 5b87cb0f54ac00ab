package clusterstore

import (
	"slices"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/store"
)

const unreachablePrefix = "The cluster configuration store is unreachable: "

// etcd killed: commits and the cluster operations fail with SPEC 14's
// text within a few seconds, the machines go on running their applied
// revision; etcd back: commits work again and reach every machine.
func TestEtcdDown(t *testing.T) {
	a, b := twoMachines(t, "down")
	e := testEtcd(t)
	a.mustSetAlerts("before@example.com")
	b.waitAlerts(time.Second, "before@example.com")
	applied := a.node.State().Applied

	e.stop()
	start := time.Now()
	_, err := a.setAlerts(0, "during@example.com")
	took := time.Since(start)
	if err == nil || !strings.HasPrefix(err.Error(), unreachablePrefix) {
		t.Fatalf("commit with etcd down: %v", err)
	}
	t.Logf("commit with etcd down failed in %v: %v", took, err)
	if took > 5*time.Second {
		t.Fatalf("commit with etcd down took %v (more than 5 s)", took)
	}
	for _, op := range []func() error{
		func() error { _, err := a.node.Machines(); return err },
		func() error { return a.node.AddGroup("Other", "admin") },
		func() error { return b.node.Leave("admin") },
	} {
		start := time.Now()
		if err := op(); err == nil || !strings.HasPrefix(err.Error(), unreachablePrefix) || time.Since(start) > 5*time.Second {
			t.Fatalf("cluster operation with etcd down: %v after %v", err, time.Since(start))
		}
	}
	for _, m := range []*testMachine{a, b} {
		if got := m.alerts(); !slices.Equal(got, []string{"before@example.com"}) {
			t.Fatalf("%s runs %v with etcd down", m.name, got)
		}
		if m.node.State().Applied != applied || m.node.State().Name != "down" {
			t.Fatalf("%s's State with etcd down: %+v", m.name, m.node.State())
		}
	}
	segtest.Wait(t, 5*time.Second, "a noticing etcd is down", func() bool { return !a.node.State().Reachable })

	testEtcd(t) // restart
	back := time.Now()
	segtest.Wait(t, 10*time.Second, "both reaching etcd again", func() bool { return a.node.State().Reachable && b.node.State().Reachable })
	t.Logf("both machines reached etcd again %v after it restarted", time.Since(back))
	a.mustSetAlerts("after@example.com")
	b.waitAlerts(2*time.Second, "after@example.com")
}

// A machine that was down misses revisions and restarts while etcd is
// down: it starts on its cache; when etcd returns it fetches every
// missed revision and runs the newest.
func TestRestartOnCacheAndCatchUp(t *testing.T) {
	a, b := twoMachines(t, "cache")
	e := testEtcd(t)
	b.mustSetAlerts("b-saw@example.com")
	a.waitAlerts(time.Second, "b-saw@example.com")
	seen := b.node.State().Applied
	b.close()
	a.mustSetAlerts("missed1@example.com")
	last := a.mustSetAlerts("missed2@example.com")

	e.stop()
	b.open() // etcd down: from the cache
	if got := b.alerts(); !slices.Equal(got, []string{"b-saw@example.com"}) {
		t.Fatalf("b restarted on %v, want its cached b-saw@example.com", got)
	}
	if st := b.node.State(); st.Applied != seen || st.Name != "cache" {
		t.Fatalf("b's State on the cache: %+v", st)
	}
	testEtcd(t)
	b.waitAlerts(10*time.Second, "missed2@example.com")
	revs, err := b.node.Revisions(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != last.Number || revs[0].Number != last.Number || revs[1].Number != last.Number-1 {
		t.Fatalf("b's cached revisions after catch-up: %d, newest %v; want %d", len(revs), revs[:2], last.Number)
	}
	if v, err := b.node.View(store.Level{}, last.Number-1); err != nil || !slices.Equal(v.Config.System.AlertRecipients, []string{"missed1@example.com"}) {
		t.Fatalf("b's view of the missed revision %d: %v", last.Number-1, err)
	}
}
