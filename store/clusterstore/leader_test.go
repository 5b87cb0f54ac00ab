package clusterstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"seg/internal/segtest"
)

// Commits made while etcd's leader moves from member to member: every
// commit that succeeded is in the history, which has no gap and no
// duplicate; a commit that failed says why (unreachable), and both
// machines run the last revision.
func TestLeaderChangeLosesNoRevision(t *testing.T) {
	eps := strings.Split(segtest.NewEtcd(t, 3).Endpoints(), ",")
	a := newMachine(t, "seg1.example.com")
	b := newMachine(t, "seg2.example.com")
	if err := a.node.Create("leader", eps, "Main", "admin"); err != nil {
		t.Fatal(err)
	}
	if err := b.node.Join(eps, "Main", "admin"); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var moves atomic.Int32
	moverDone := make(chan struct{})
	go func() {
		defer close(moverDone)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if err := moveLeader(ctx, eps); err == nil {
				moves.Add(1)
			}
		}
	}()

	won := map[int]string{}
	unreach := 0
	for i := range 60 {
		m := []*testMachine{a, b}[i%2]
		// Each commit starts from the newest revision, as a session
		// that has seen the previous commit does.
		last := max(a.node.State().Applied, b.node.State().Applied)
		m.waitApplied(5*time.Second, last)
		rcpt := "r" + strconv.Itoa(i) + "@example.com"
		rev, err := m.setAlerts(0, rcpt)
		var u *UnreachableError
		switch {
		case err == nil:
			won[rev.Number] = rcpt
		case errors.As(err, &u):
			unreach++
			t.Logf("commit %d: %v", i, err)
		default:
			t.Fatalf("commit %d on %s: %v", i, m.name, err)
		}
	}
	cancel()
	<-moverDone
	t.Logf("%d leader moves; %d commits succeeded, %d failed as unreachable", moves.Load(), len(won), unreach)
	if moves.Load() < 3 {
		t.Fatalf("only %d leader moves: the test did not test leader changes", moves.Load())
	}
	if len(won) < 30 {
		t.Fatalf("only %d of 60 commits succeeded", len(won))
	}
	// The history as etcd holds it.
	cli, err := newClient(eps)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer rcancel()
	recs, _, err := fetchFrom(rctx, cli, keysOf("leader"), 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		r, tr, err := decodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		if r.Revision.Number != i+1 {
			t.Fatalf("record %d holds revision %d: a gap or a duplicate", i+1, r.Revision.Number)
		}
		if want, ok := won[r.Revision.Number]; ok {
			eff, err := tr.Effective("seg1.example.com")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(eff.System.AlertRecipients, []string{want}) {
				t.Fatalf("revision %d holds alerts %v, but the commit of %s returned it", r.Revision.Number, eff.System.AlertRecipients, want)
			}
			delete(won, r.Revision.Number)
		}
	}
	if len(won) > 0 {
		t.Fatalf("commits that succeeded are missing from the history: %v", won)
	}
	n := len(recs)
	for _, m := range []*testMachine{a, b} {
		m.waitApplied(2*time.Second, n)
	}
	segtest.Wait(t, time.Second, "a and b running the same alerts", func() bool { return slices.Equal(a.alerts(), b.alerts()) })
}

// moveLeader asks the leader to hand over to another member.
func moveLeader(ctx context.Context, eps []string) error {
	cli, err := newClient(eps)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var leaderEP string
	var leader uint64
	for _, ep := range eps {
		st, err := cli.Status(ctx, ep)
		if err == nil && st.Leader == st.Header.MemberId {
			leaderEP, leader = ep, st.Leader
		}
	}
	if leaderEP == "" {
		return errors.New("no leader")
	}
	ml, err := cli.MemberList(ctx)
	if err != nil {
		return err
	}
	for _, m := range ml.Members {
		if m.ID != leader {
			lc, err := newClient([]string{leaderEP})
			if err != nil {
				return err
			}
			defer lc.Close()
			_, err = lc.MoveLeader(ctx, m.ID)
			return err
		}
	}
	return fmt.Errorf("no other member")
}
