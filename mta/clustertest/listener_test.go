package clustertest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// A listener's HAT and RAT are cluster-level (SPEC 14: only its address
// is the machine's): a RAT entry and a HAT sender group entry committed
// on machine 1 are enforced on machines 2 and 3's listeners within 1 s,
// each still on its own address and port; the figures are logged (go
// test -v).
func TestClusterListenerTablesReachEveryMachine(t *testing.T) {
	c, _ := newCluster(t)
	addrs := map[string]bool{}
	for _, a := range c.Machines {
		addrs[a.SMTPAddr()] = true
	}
	if len(addrs) != len(c.Machines) {
		t.Fatalf("the machines share listener addresses: %v", addrs)
	}
	writes := c.RevisionWrites()
	var lags []time.Duration
	// RAT: a recipient domain each machine refuses until machine 1's
	// commit accepts it.
	for i := range 3 {
		rcpt := fmt.Sprintf("r@rat%d.test", i)
		for k, a := range c.Machines {
			if r, err := segtest.RcptReply(a.SMTPAddr(), probeIP, exempt, rcpt); err != nil || r == "250" {
				t.Fatalf("%s before the commit: RCPT to <%s>: %q, %v; want a refusal", c.Names[k], rcpt, r, err)
			}
		}
		_, got, err := c.CommitEffect(writes, []int{1, 2}, segtest.Probe{Src: probeIP, From: exempt, To: rcpt}, func() {
			c.Machines[0].MustCli(fmt.Sprintf("listenerconfig edit IncomingMail rcptaccess new rat%d.test ACCEPT ; commit rat%d", i, i))
		})
		if err != nil {
			t.Fatalf("RAT commit %d: %v", i, err)
		}
		for k, lag := range got {
			t.Logf("RAT commit %d: %s's listener enforced it %v after the revision was written to etcd", i, c.Names[k+1], lag.Round(100*time.Microsecond))
		}
		lags = append(lags, got...)
	}

	// HAT: the probe's address joins BLOCKED_LIST ($BLOCKED: REJECT).
	const blockedIP = "127.0.0.11"
	for k, a := range c.Machines {
		if _, rejected := banner(a, blockedIP); rejected {
			t.Fatalf("%s rejects %s before the commit", c.Names[k], blockedIP)
		}
	}
	for len(writes) > 0 {
		<-writes
	}
	c.Machines[0].MustCli("listenerconfig edit IncomingMail hostaccess edit sendergroup BLOCKED_LIST --add " + blockedIP + " ; commit hat")
	var written time.Time
	select {
	case written = <-writes:
	case <-time.After(10 * time.Second):
		t.Fatal("no revision written to etcd within 10 s of the HAT commit")
	}
	for _, k := range []int{1, 2} {
		var last string
		if !segtest.Poll(30*time.Second, func() bool {
			var rejected bool
			last, rejected = banner(c.Machines[k], blockedIP)
			return rejected
		}) {
			t.Fatalf("%s still answers %s with %q", c.Names[k], blockedIP, last)
		}
		lag := max(time.Since(written), 0)
		t.Logf("HAT commit: %s's listener rejected %s at most %v after the revision was written to etcd", c.Names[k], blockedIP, lag.Round(100*time.Microsecond))
		lags = append(lags, lag)
	}
	slices.Sort(lags)
	t.Logf("listener tables, revision in etcd -> other machines' listeners, %d measures: median %v, max %v", len(lags), lags[len(lags)/2].Round(100*time.Microsecond), lags[len(lags)-1].Round(100*time.Microsecond))
	if worst := lags[len(lags)-1]; worst > time.Second {
		t.Errorf("a listener change took %v to reach another machine's listener, want at most 1 s (all: %v)", worst, lags)
	}
	// Every machine still listens on its own address, with the cluster's tables.
	for k, a := range c.Machines {
		if r, err := segtest.RcptReply(a.SMTPAddr(), probeIP, exempt, "r@rat0.test"); err != nil || r != "250" {
			t.Errorf("%s on its own %s: RCPT to <r@rat0.test>: %q, %v; want 250", c.Names[k], a.SMTPAddr(), r, err)
		}
	}
}

// A listener defined at one machine's level (clustermode machine) stays
// on that machine, and overrides the cluster's listener there as a
// whole: a later cluster-level RAT entry reaches the other machines only.
func TestClusterListenerMachineOverride(t *testing.T) {
	c, _ := newCluster(t)
	c.Machines[0].MustCli("clustermode machine " + c.Names[1] + " ; listenerconfig edit IncomingMail rcptaccess new only2.test ACCEPT ; commit only2")
	c.Machines[0].MustCli("listenerconfig edit IncomingMail rcptaccess new later.test ACCEPT ; commit later")
	c.WaitConverged(c.Newest(c.Machines[0]), 10*time.Second)
	for k, a := range c.Machines {
		for rcpt, want := range map[string]bool{"r@only2.test": k == 1, "r@later.test": k != 1} {
			r, err := segtest.RcptReply(a.SMTPAddr(), probeIP, exempt, rcpt)
			if err != nil {
				t.Fatal(err)
			}
			if (r == "250") != want {
				t.Errorf("%s: RCPT to <%s>: %q, want accepted %v", c.Names[k], rcpt, r, want)
			}
		}
	}
	// clustershow names where each part comes from.
	out := c.Machines[1].MustCli("clustershow")
	for _, want := range []string{"listener IncomingMail", "listener address IncomingMail"} {
		if !strings.Contains(out, want) {
			t.Errorf("clustershow on %s lacks %q:\n%s", c.Names[1], want, out)
		}
	}
}

// banner connects to a's listener from src and returns the reply to the
// greeting (or to EHLO), and whether it is a rejection (554).
func banner(a *segtest.Appliance, src string) (string, bool) {
	cl, err := segtest.Client{LocalIP: src, Timeout: 10 * time.Second}.Dial(a.SMTPAddr())
	if err != nil {
		return err.Error(), strings.Contains(err.Error(), "554")
	}
	cl.Quit()
	cl.Close()
	return "250", false
}

// A listener created from machine 1 at the cluster level runs on
// machine 1 only, the others having no address for it: their
// listenerconfig says so, and one given an address (from a session on
// it) runs the cluster's listener there.
func TestClusterNewListenerRunsWhereItHasAnAddress(t *testing.T) {
	c, _ := newCluster(t)
	p1, p2 := segtest.FreePort(t), segtest.FreePort(t)
	c.Machines[0].MustCli(fmt.Sprintf("listenerconfig new Second --type public --address 127.0.0.1 --port %d ; listenerconfig edit Second rcptaccess new second.test ACCEPT ; commit second", p1))
	c.WaitConverged(c.Newest(c.Machines[0]), 10*time.Second)
	accepts := func(port int) (string, error) {
		return segtest.RcptReply(fmt.Sprintf("127.0.0.1:%d", port), probeIP, exempt, "r@second.test")
	}
	if r, err := accepts(p1); err != nil || r != "250" {
		t.Fatalf("machine 1's Second on %d: %q, %v; want 250", p1, r, err)
	}
	if out := c.Machines[1].MustCli("listenerconfig"); !strings.Contains(out, "Second (no address on this machine: not running here") {
		t.Fatalf("machine 2's listenerconfig does not say Second has no address there:\n%s", out)
	}
	if _, err := accepts(p2); err == nil {
		t.Fatalf("something answers on %d before machine 2 has an address for Second", p2)
	}
	c.Machines[1].MustCli(fmt.Sprintf("listenerconfig edit Second setup --address 127.0.0.1 --port %d ; commit second-on-2", p2))
	var last string
	if !segtest.Poll(10*time.Second, func() bool {
		r, err := accepts(p2)
		last = fmt.Sprint(r, err)
		return r == "250"
	}) {
		t.Fatalf("machine 2's Second on %d: %s; want 250", p2, last)
	}
	if r, err := accepts(p1); err != nil || r != "250" {
		t.Errorf("machine 1's Second on %d after machine 2's commit: %q, %v; want 250", p1, r, err)
	}
	if out := c.Machines[2].MustCli("listenerconfig"); !strings.Contains(out, "Second (no address on this machine") {
		t.Errorf("machine 3's listenerconfig does not say Second has no address there:\n%s", out)
	}
}
