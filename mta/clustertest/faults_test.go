package clustertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// All etcd members down: every machine still accepts mail and delivers
// it on its last applied configuration, a commit is refused with SPEC
// 14's sentence, and once etcd is back a new commit reaches every
// machine.
func TestClusterEtcdDown(t *testing.T) {
	c, sink := newCluster(t)
	c.Etcd.KillAll()
	for i, a := range c.Machines {
		if _, err := (segtest.Client{LocalIP: probeIP}).Send(a.SMTPAddr(), exempt,
			[]string{fmt.Sprintf("r%d@example.test", i)}, []byte("Subject: etcd down\r\n\r\nbody\r\n")); err != nil {
			t.Errorf("%s with etcd down: %v", c.Names[i], err)
		}
	}
	msgs := sink.WaitCount(t, len(c.Machines), 30*time.Second)
	got := map[string]bool{}
	for _, m := range msgs {
		for _, r := range m.Rcpts {
			got[r] = true
		}
	}
	for i := range c.Machines {
		if r := fmt.Sprintf("r%d@example.test", i); !got[r] {
			t.Errorf("the mail of %s (to %s) was not delivered; the sink has %v", c.Names[i], r, got)
		}
	}
	for i, a := range c.Machines {
		out, errOut, code := a.Cli(exemptList("s@down.test") + " ; commit down")
		if code == 0 || !strings.Contains(out+errOut, "The cluster configuration store is unreachable") {
			t.Errorf("%s: commit with etcd down: exit %d:\n%s%s", c.Names[i], code, out, errOut)
		}
	}
	expectReplies(t, c, "s@down.test", refused)

	c.Etcd.StartAll()
	// The store may take a moment to see etcd again: the commit is
	// retried until it is accepted, then must reach every machine.
	segtest.Wait(t, 30*time.Second, "a commit to succeed after etcd returned", func() bool {
		_, _, code := c.Machines[1].Cli(exemptList("s@back.test") + " ; commit back")
		return code == 0
	})
	for _, a := range c.Machines {
		waitAccepted(t, a, "s@back.test", 10*time.Second)
	}
	c.WaitConverged(c.Newest(c.Machines[1]), 10*time.Second)
}

// An etcd leader change during a stream of commits loses no revision:
// eight commits from machines 1 and 2 in turn, the leadership moved
// after the second and the leader killed after the fifth; every commit
// that said "Changes committed" is in every machine's revision history
// under the same number.
func TestClusterLeaderChangeLosesNoRevision(t *testing.T) {
	c, _ := newCluster(t)
	var committed []string
	for i := range 8 {
		switch i {
		case 2:
			from := c.Etcd.Leader()
			c.Etcd.MoveLeader((from + 1) % c.Etcd.Len())
			t.Logf("before commit %d: etcd leadership moved from member %d to %d", i, from, c.Etcd.Leader())
		case 5:
			l := c.Etcd.Leader()
			c.Etcd.Kill(l)
			t.Logf("before commit %d: the etcd leader, member %d, killed", i, l)
		}
		comment := fmt.Sprintf("stream%d", i)
		a := c.Machines[i%2]
		out, errOut, code := a.Cli(exemptList(fmt.Sprintf("s@x%d.test", i)) + " ; commit " + comment)
		switch {
		case code == 0 && strings.Contains(out, "Changes committed"):
			committed = append(committed, comment)
		case strings.Contains(out+errOut, "The cluster configuration store is unreachable"):
			// During an election a commit may be refused; it then
			// must not appear.
			t.Logf("commit %d refused during the election: %s", i, strings.TrimSpace(out+errOut))
		default:
			t.Fatalf("commit %d: exit %d:\n%s%s", i, code, out, errOut)
		}
	}
	if len(committed) < 6 {
		t.Fatalf("only %d of 8 commits went through (%v): a leader change should cost at most the commits during the election", len(committed), committed)
	}
	t.Logf("%d of 8 commits went through", len(committed))
	for i := range c.Etcd.Len() {
		if !c.Etcd.Running(i) {
			c.Etcd.Start(i)
		}
	}
	c.WaitConverged(max(c.Newest(c.Machines[0]), c.Newest(c.Machines[1])), 30*time.Second)
	want := history(t, c.Machines[0])
	for i, a := range c.Machines {
		h := history(t, a)
		if strings.Join(h, "|") != strings.Join(want, "|") {
			t.Errorf("%s's history %v differs from %s's %v", c.Names[i], h, c.Names[0], want)
		}
		for _, cm := range committed {
			if !hasComment(h, cm) {
				t.Errorf("%s's history lacks the committed revision %q: %v", c.Names[i], cm, h)
			}
		}
	}
}

// A machine that was down while others committed, and starts while etcd
// is down too, starts on its local copy (its last applied revision) and
// serves mail on it; when etcd returns it catches up on every revision
// it missed.
func TestClusterMachineStartsOnItsCacheAndCatchesUp(t *testing.T) {
	c, sink := newCluster(t)
	m3 := c.Machines[2]
	m3.Stop()
	c.Machines[0].MustCli(exemptList("s@miss1.test") + " ; commit missed1")
	c.Machines[0].MustCli(exemptList("s@miss1.test", "s@miss2.test") + " ; commit missed2")
	c.Etcd.KillAll()

	m3.Start()
	if got := reply(t, m3, "s@miss2.test"); got != refused {
		t.Errorf("m3 started with etcd down: RCPT from <s@miss2.test>: %q, want its old configuration's %q", got, refused)
	}
	if _, err := (segtest.Client{LocalIP: probeIP}).Send(m3.SMTPAddr(), exempt, []string{"cache@example.test"}, []byte("Subject: on the cache\r\n\r\nbody\r\n")); err != nil {
		t.Fatalf("m3 on its cache: %v", err)
	}
	sink.WaitCount(t, 1, 30*time.Second)

	c.Etcd.StartAll()
	waitAccepted(t, m3, "s@miss2.test", 30*time.Second)
	h := history(t, m3)
	for _, cm := range []string{"missed1", "missed2"} {
		if !hasComment(h, cm) {
			t.Errorf("m3's history lacks the revision %q it missed: %v", cm, h)
		}
	}
	c.WaitConverged(c.Newest(c.Machines[0]), 30*time.Second)
}
