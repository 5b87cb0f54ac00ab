package segtest

import (
	"context"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// put writes key=val through a client of every member, trying again
// until a 30 s deadline: after a member is killed the others may need
// an election first, which a loaded machine (the suite runs packages in
// parallel) can stretch past one attempt's 3 s. A put is idempotent.
func put(t *testing.T, e *Etcd, key, val string) {
	t.Helper()
	c := e.Client()
	var err error
	if !Poll(30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err = c.Put(ctx, key, val)
		return err == nil
	}) {
		t.Fatalf("put %s: %v", key, err)
	}
}

// getFrom reads key from member i alone.
func getFrom(t *testing.T, e *Etcd, i int, key string) string {
	t.Helper()
	c, err := e.client(i)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Tried again until a deadline, as put: a member just restarted may
	// still be catching up with its peers.
	var r *clientv3.GetResponse
	if !Poll(30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		r, err = c.Get(ctx, key)
		return err == nil
	}) {
		t.Fatalf("get %s from member %d: %v", key, i, err)
	}
	if len(r.Kvs) == 0 {
		return ""
	}
	return string(r.Kvs[0].Value)
}

// TestEtcdThreeMembers: three members come up on their own ports,
// replicate a write, keep their data across a kill and a restart, keep
// serving with one member down, and hand the leadership on request.
func TestEtcdThreeMembers(t *testing.T) {
	e := NewEtcd(t, 3)
	eps := strings.Split(e.Endpoints(), ",")
	if len(eps) != 3 || eps[0] == eps[1] || eps[1] == eps[2] {
		t.Fatalf("Endpoints() = %q, want 3 distinct URLs", e.Endpoints())
	}
	put(t, e, "/t/a", "1")
	for i := range 3 {
		if got := getFrom(t, e, i, "/t/a"); got != "1" {
			t.Errorf("member %d reads %q, want 1", i, got)
		}
	}

	// One member down: the other two are a quorum.
	e.Kill(1)
	if e.Running(1) {
		t.Fatal("member 1 runs after Kill")
	}
	put(t, e, "/t/b", "2")
	e.Start(1)
	// The restarted member catches up from its peers (a linearizable
	// read on it waits for its log to reach the leader's commit index).
	if got := getFrom(t, e, 1, "/t/b"); got != "2" {
		t.Errorf("restarted member 1 reads %q, want 2", got)
	}

	// Leadership moves where it is told to.
	from := e.Leader()
	to := (from + 1) % 3
	e.MoveLeader(to)
	if got := e.Leader(); got != to {
		t.Errorf("leader %d after MoveLeader(%d) from %d", got, to, from)
	}

	// All down, all up: the data survives in the data directories.
	e.KillAll()
	for i := range 3 {
		if e.Running(i) {
			t.Fatalf("member %d runs after KillAll", i)
		}
	}
	e.StartAll()
	for i := range 3 {
		if got := getFrom(t, e, i, "/t/a") + getFrom(t, e, i, "/t/b"); got != "12" {
			t.Errorf("member %d after restart of all reads %q, want 12", i, got)
		}
	}
}

// TestEtcdOneMember: a single-member cluster is its own leader.
func TestEtcdOneMember(t *testing.T) {
	e := NewEtcd(t, 1)
	if l := e.Leader(); l != 0 {
		t.Errorf("Leader() = %d, want 0", l)
	}
	put(t, e, "/t/x", "y")
	if got := getFrom(t, e, 0, "/t/x"); got != "y" {
		t.Errorf("read %q, want y", got)
	}
}

// TestEtcdBinaryMissing: without a binary, the harness fails the test
// and says how to build one.
func TestEtcdBinaryMissing(t *testing.T) {
	t.Setenv("SEG_ETCD", t.TempDir()+"/no-etcd")
	ft := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		EtcdBinary(ft)
	}()
	<-done
	if len(ft.errs) != 1 || !strings.Contains(ft.errs[0], "make etcd") {
		t.Errorf("EtcdBinary failed with %q, want one failure naming `make etcd`", ft.errs)
	}
}
