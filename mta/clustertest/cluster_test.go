package clustertest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
)

// create, join, list: every machine lists the three, up, in group Main,
// at one revision; a machine that joins gives up its own clusterable
// settings for the cluster's (its EXEMPT list held @mine.test, its
// listener's RAT own.test; the cluster's hold neither) and keeps its
// machine-level ones (its listener's address and port).
func TestClusterCreateJoinList(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	c := segtest.NewCluster(t, 2, setup(sink)...)
	m3 := c.NewMachine(append(setup(sink),
		"addresslistconfig edit EXEMPT --addresses @exempt.test,@mine.test",
		"listenerconfig edit IncomingMail rcptaccess new own.test ACCEPT")...)
	m3.Start()
	if got := reply(t, m3, "x@mine.test"); got != "250" {
		t.Fatalf("m3 before joining: RCPT from <x@mine.test>: %q, want 250", got)
	}
	c.Join(m3)
	rev := c.WaitConverged(c.Newest(m3), 30*time.Second)
	for i, a := range c.Machines {
		rows, err := c.List(a)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rows {
			names = append(names, r.Name)
			if r.Group != segtest.ClusterGroup || !r.Up || r.Applied != rev {
				t.Errorf("%s lists %+v, want group Main, up, revision %d", c.Names[i], r, rev)
			}
		}
		sort.Strings(names)
		if !slices.Equal(names, c.Names) {
			t.Errorf("%s lists machines %v, want %v", c.Names[i], names, c.Names)
		}
	}
	// The membership and the cache (which holds the users' password
	// hashes) stay beside config.db, out of configuration/, where the
	// shell's import and export commands read and write.
	for i, a := range c.Machines {
		for _, f := range []string{"cluster.json", "cluster.db"} {
			if _, err := os.Stat(filepath.Join(a.Dir, f)); err != nil {
				t.Errorf("%s: %v", c.Names[i], err)
			}
			if _, err := os.Stat(filepath.Join(a.Dir, "configuration", f)); !os.IsNotExist(err) {
				t.Errorf("%s: %s is in configuration/, within reach of the file commands (%v)", c.Names[i], f, err)
			}
		}
	}
	if got := reply(t, m3, "x@mine.test"); got != refused {
		t.Errorf("m3 after joining: RCPT from <x@mine.test>: %q, want the cluster's list to refuse it: %q", got, refused)
	}
	expectReplies(t, c, exempt, "250")
	// m3 runs the cluster's listener (its RAT, without own.test) on its
	// own address and port (expectReplies reached it there).
	for i, a := range c.Machines {
		r, err := segtest.RcptReply(a.SMTPAddr(), probeIP, exempt, "r@own.test")
		if err != nil {
			t.Fatal(err)
		}
		if r == "250" {
			t.Errorf("%s: RCPT to <r@own.test>: %q; the cluster's listener does not accept own.test", c.Names[i], r)
		}
	}
}

// A commit on one machine is enforced on the others' listeners within
// 1 s: five commits on machine 1, each exempting a new sender; machines
// 2 and 3 are probed with a new SMTP session every millisecond from
// before the commit until the sender's RCPT is accepted, and the first
// acceptance is timed from the revision's write to etcd. The figures
// are logged (go test -v).
func TestClusterCommitReachesListeners(t *testing.T) {
	c, _ := newCluster(t)
	writes := c.RevisionWrites()
	var senders []string
	var lags []time.Duration
	for i := range 5 {
		sender := fmt.Sprintf("s@p%d.test", i)
		senders = append(senders, sender)
		expectReplies(t, c, sender, refused)
		_, got, err := c.CommitEffect(writes, []int{1, 2}, segtest.Probe{Src: probeIP, From: sender, To: "r@example.test"}, func() {
			c.Machines[0].MustCli(exemptList(senders...) + " ; commit p" + fmt.Sprint(i))
			// commit returns once its own machine applied the revision.
			if got := reply(t, c.Machines[0], sender); got != "250" {
				t.Errorf("machine 1 after its commit returned: %q, want 250", got)
			}
		})
		if err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
		for k, lag := range got {
			t.Logf("commit %d: %s's listener enforced it %v after the revision was written to etcd", i, c.Names[k+1], lag.Round(100*time.Microsecond))
		}
		lags = append(lags, got...)
	}
	slices.Sort(lags)
	t.Logf("revision in etcd -> other machines' listeners, %d measures: median %v, max %v", len(lags), lags[len(lags)/2].Round(100*time.Microsecond), lags[len(lags)-1].Round(100*time.Microsecond))
	if worst := lags[len(lags)-1]; worst > time.Second {
		t.Errorf("a commit took %v to reach another machine's listener, want at most 1 s (all: %v)", worst, lags)
	}
}

// Machine-level settings stay on their machine: a commit at machine
// level for m2 (clustermode machine) changes m2 alone, and a listener
// change made on m1 at m1's machine level changes m1 alone; both are
// cluster revisions every machine applies.
func TestClusterMachineOverridesStayOnTheirMachine(t *testing.T) {
	c, _ := newCluster(t)
	const only2 = "s@only2.test"
	c.Machines[0].MustCli("clustermode machine " + c.Names[1] + " ; " + exemptList(only2) + " ; commit only2")
	c.Machines[0].MustCli("clustermode machine " + c.Names[0] + " ; listenerconfig edit IncomingMail rcptaccess new one.test ACCEPT ; commit one")
	c.WaitConverged(c.Newest(c.Machines[0]), 10*time.Second)
	for i, a := range c.Machines {
		want := map[bool]string{true: "250", false: refused}[i == 1]
		if got := reply(t, a, only2); got != want {
			t.Errorf("%s: RCPT from <%s>: %q, want %q", c.Names[i], only2, got, want)
		}
		r, err := segtest.RcptReply(a.SMTPAddr(), probeIP, exempt, "r@one.test")
		if err != nil {
			t.Fatal(err)
		}
		if ok := r == "250"; ok != (i == 0) {
			t.Errorf("%s: RCPT to <r@one.test>: %q; only m1's listener accepts one.test", c.Names[i], r)
		}
	}
	// The cluster level still rules where no machine overrides it.
	c.Machines[2].MustCli(exemptList("s@all.test") + " ; commit all")
	c.WaitConverged(c.Newest(c.Machines[2]), 10*time.Second)
	for i, a := range c.Machines {
		want := map[bool]string{true: refused, false: "250"}[i == 1] // m2's own list wins on m2
		if got := reply(t, a, "s@all.test"); got != want {
			t.Errorf("%s: RCPT from <s@all.test>: %q, want %q", c.Names[i], got, want)
		}
	}
}

// Two machines commit conflicting changes to one object from the same
// base revision at once: exactly one commit wins, the other is refused
// as a conflict, and every machine converges on the winner's revision.
func TestClusterConcurrentConflictingCommits(t *testing.T) {
	c, _ := newCluster(t)
	senders := []string{"s@one.test", "s@two.test"}
	var sessions []*cliSession
	for i, s := range senders {
		cl := openCli(t, c.Machines[i])
		cl.send(exemptList(s))
		cl.send("showchanges")
		cl.waitOutput("Uncommitted changes")
		sessions = append(sessions, cl)
	}
	var wg sync.WaitGroup
	codes, outs := make([]int, 2), make([]string, 2)
	for i, cl := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl.send("commit race" + fmt.Sprint(i))
			codes[i], outs[i] = cl.end()
		}()
	}
	wg.Wait()
	won := -1
	for i := range sessions {
		switch {
		case codes[i] == 0 && strings.Contains(outs[i], "Changes committed"):
			if won >= 0 {
				t.Fatalf("both commits won:\n%s\n---\n%s", outs[0], outs[1])
			}
			won = i
		case codes[i] != 0 && strings.Contains(outs[i], "The changes were not committed"):
		default:
			t.Fatalf("machine %d's commit: exit %d:\n%s", i+1, codes[i], outs[i])
		}
	}
	if won < 0 {
		t.Fatalf("no commit won:\n%s\n---\n%s", outs[0], outs[1])
	}
	t.Logf("m%d won; the loser said:\n%s", won+1, outs[1-won])
	rev := c.WaitConverged(c.Newest(c.Machines[won]), 10*time.Second)
	expectReplies(t, c, senders[won], "250")
	expectReplies(t, c, senders[1-won], refused)
	for i, a := range c.Machines {
		if h := history(t, a); len(h) == 0 || h[0] != fmt.Sprintf("%d race%d", rev, won) {
			t.Errorf("%s: newest revision %q, want %d race%d (history %v)", c.Names[i], h[:min(1, len(h))], rev, won, h)
		}
	}
}
