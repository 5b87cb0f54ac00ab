package segtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Cluster is several `seg run` appliances in one seg cluster (SPEC 14)
// on a real etcd of three members: each appliance its own data
// directory, ports and hostname (m1.cluster.test, m2...), the first one
// having made the cluster (`clusterconfig create`), the others having
// joined it (`clusterconfig join`), all in group Main.
type Cluster struct {
	t        testing.TB
	Name     string // the cluster's name
	Etcd     *Etcd
	Machines []*Appliance
	Names    []string // Machines[i]'s name in the cluster (its hostname)
}

// ClusterGroup is the group every machine of a Cluster joins.
const ClusterGroup = "Main"

// NewCluster starts an etcd of three members and n appliances, each
// configured (New) with setup and its hostname, and clusters them. The
// same setup on every machine keeps their machine-level settings
// (listeners, SSH) alike; the clusterable ones of machines 2..n are
// replaced by the cluster's when they join.
func NewCluster(t testing.TB, n int, setup ...string) *Cluster {
	t.Helper()
	c := &Cluster{t: t, Name: "segtest", Etcd: NewEtcd(t, 3)}
	for range n {
		a := c.NewMachine(setup...)
		a.Start()
	}
	c.Machines[0].MustCli(fmt.Sprintf("clusterconfig create %s --etcd %s --group %s", c.Name, c.Etcd.Endpoints(), ClusterGroup))
	for _, a := range c.Machines[1:] {
		c.Join(a)
	}
	c.WaitConverged(0, 30*time.Second)
	return c
}

// NewMachine configures (New) the next appliance, named
// mN.cluster.test, with setup, and adds it to Machines; it neither
// starts it nor joins it to the cluster.
func (c *Cluster) NewMachine(setup ...string) *Appliance {
	c.t.Helper()
	name := fmt.Sprintf("m%d.cluster.test", len(c.Machines)+1)
	a := New(c.t, append([]string{"sethostname " + name}, setup...)...)
	c.Machines = append(c.Machines, a)
	c.Names = append(c.Names, name)
	return a
}

// Join joins the running appliance a to the cluster, in group Main.
func (c *Cluster) Join(a *Appliance) {
	c.t.Helper()
	a.MustCli(fmt.Sprintf("clusterconfig join --etcd %s --group %s", c.Etcd.Endpoints(), ClusterGroup))
}

// ClusterRow is one machine of `clusterconfig list`.
type ClusterRow struct {
	Name, Group, Address string
	Up                   bool
	Applied              int
}

// List runs `clusterconfig list` on a and returns its machines. The
// table is "Machine Group Address Status Applied Revision", one row per
// machine after the ===== rule.
func (c *Cluster) List(a *Appliance) ([]ClusterRow, error) {
	out, stderr, code := a.Cli("clusterconfig list")
	if code != 0 {
		return nil, fmt.Errorf("clusterconfig list: exit %d: %s%s", code, out, stderr)
	}
	var rows []ClusterRow
	var cols [][2]int // the columns' spans, from the ===== rule
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "==="):
			cols = ruleSpans(line)
		case cols == nil:
		case len(cols) < 5 || strings.TrimSpace(line) == "":
			cols = nil // the table ends
		default:
			f := make([]string, len(cols))
			for k, c := range cols {
				if c[0] < len(line) {
					f[k] = strings.TrimSpace(line[c[0]:min(len(line), c[1])])
				}
			}
			if f[0] == "" || strings.Contains(f[0], " ") {
				cols = nil // a sentence after the table
				continue
			}
			n, err := strconv.Atoi(f[4])
			if err != nil {
				return nil, fmt.Errorf("clusterconfig list: applied revision %q of %s is not a number:\n%s", f[4], f[0], out)
			}
			rows = append(rows, ClusterRow{Name: f[0], Group: f[1], Address: f[2], Up: f[3] == "Up", Applied: n})
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("clusterconfig list: no machines in:\n%s", out)
	}
	return rows, nil
}

// ruleSpans are the [start, end) of each run of '=' in a table's rule;
// the last column runs to the end of its lines.
func ruleSpans(rule string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(rule); {
		if rule[i] != '=' {
			i++
			continue
		}
		j := i
		for j < len(rule) && rule[j] == '=' {
			j++
		}
		spans = append(spans, [2]int{i, j})
		i = j
	}
	if len(spans) > 0 {
		spans[len(spans)-1][1] = 1 << 20
	}
	return spans
}

// Converged reports the revision every machine has applied when each
// machine's `clusterconfig list` shows all of Names up at that one
// revision, atLeast or later. A machine publishes the revision it
// applied under its lease as soon as it applies it, so the list may show
// the one before a commit for a moment: a test that committed asks for
// at least the revision of its commit.
func (c *Cluster) Converged(atLeast int) (int, error) {
	rev := -1
	for i, a := range c.Machines {
		rows, err := c.List(a)
		if err != nil {
			return 0, err
		}
		if len(rows) != len(c.Names) {
			return 0, fmt.Errorf("machine %s lists %d machines, want %d: %+v", c.Names[i], len(rows), len(c.Names), rows)
		}
		for _, r := range rows {
			switch {
			case !r.Up:
				return 0, fmt.Errorf("machine %s lists %s down", c.Names[i], r.Name)
			case rev >= 0 && r.Applied != rev:
				return 0, fmt.Errorf("machine %s lists %s at revision %d, others at %d", c.Names[i], r.Name, r.Applied, rev)
			case r.Applied < atLeast:
				return 0, fmt.Errorf("machine %s lists %s at revision %d, want %d or later", c.Names[i], r.Name, r.Applied, atLeast)
			}
			rev = r.Applied
		}
	}
	return rev, nil
}

// WaitConverged waits until Converged(atLeast) holds and returns the
// revision.
func (c *Cluster) WaitConverged(atLeast int, timeout time.Duration) int {
	c.t.Helper()
	var rev int
	var last error
	if !Poll(timeout, func() bool {
		rev, last = c.Converged(atLeast)
		return last == nil
	}) {
		c.t.Fatalf("the cluster did not converge within %v: %v", timeout, last)
	}
	return rev
}

// RevisionWrites delivers, for each cluster revision written to etcd
// from now on, the time this process saw it written (etcd's watch event
// for a key under /seg/clusters/NAME/rev/, where the node keeps one key
// per revision): the moment a commit took effect in the cluster, from
// which the other machines' apply is measured. It stops when the test
// ends; a reader that falls behind by 100 revisions loses the newest.
func (c *Cluster) RevisionWrites() <-chan time.Time {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c.t.Cleanup(cancel)
	wc := c.Etcd.Client().Watch(ctx, "/seg/clusters/"+c.Name+"/rev/", clientv3.WithPrefix(), clientv3.WithFilterDelete())
	out := make(chan time.Time, 100)
	go func() {
		for resp := range wc {
			at := time.Now()
			for range resp.Events {
				select {
				case out <- at:
				default:
				}
			}
		}
	}()
	return out
}

// Probe is an SMTP transaction that tells whether a configuration is in
// force: RCPT TO:<To> after MAIL FROM:<From> from the loopback address
// Src is accepted (250) once it is.
type Probe struct{ Src, From, To string }

// CommitEffect times one commit's effect on the listeners of the
// machines others: each is probed (FirstAccepted, every millisecond)
// from before commit runs, and lags[i] is the time from the revision's
// write to etcd (the next value of writes, from RevisionWrites) to
// others[i]'s first acceptance (0 when it came first). took is how long
// commit ran.
func (c *Cluster) CommitEffect(writes <-chan time.Time, others []int, p Probe, commit func()) (took time.Duration, lags []time.Duration, err error) {
	for len(writes) > 0 {
		<-writes // an earlier revision's
	}
	at := make([]time.Time, len(others))
	errs := make([]error, len(others))
	var wg sync.WaitGroup
	for i, m := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at[i], errs[i] = FirstAccepted(c.Machines[m].SMTPAddr(), p.Src, p.From, p.To, 30*time.Second)
		}()
	}
	start := time.Now()
	commit()
	took = time.Since(start)
	var written time.Time
	select {
	case written = <-writes:
	case <-time.After(30 * time.Second):
		err = errors.New("no revision written to etcd within 30 s of the commit")
	}
	wg.Wait()
	for i, m := range others {
		if errs[i] != nil {
			return took, nil, fmt.Errorf("%s: %w", c.Names[m], errs[i])
		}
		lags = append(lags, max(0, at[i].Sub(written)))
	}
	return took, lags, err
}

// FirstAccepted probes with RcptReply every millisecond until addr
// accepts the RCPT, and returns when that reply came; it gives up after
// timeout.
func FirstAccepted(addr, src, from, to string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		r, err := RcptReply(addr, src, from, to)
		if err != nil {
			return time.Time{}, err
		}
		if r == "250" {
			return time.Now(), nil
		}
		last = r
		time.Sleep(time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("%s still answers %q to <%s> after %v", addr, last, from, timeout)
}

// RcptReply opens an SMTP session to addr from the loopback address src,
// gives MAIL FROM:<from> and RCPT TO:<to>, and returns the reply to RCPT
// as "250", or "CODE X.Y.Z text" for a refusal. A new session each time:
// a session runs on the configuration of its connection's start.
func RcptReply(addr, src, from, to string) (string, error) {
	cl, err := Client{LocalIP: src, Timeout: 10 * time.Second}.Dial(addr)
	if err != nil {
		return "", err
	}
	defer cl.Close()
	if err := cl.Mail(from, nil); err != nil {
		return "", fmt.Errorf("MAIL FROM:<%s>: %w", from, err)
	}
	err = cl.Rcpt(to, nil)
	cl.Quit()
	var se *smtp.SMTPError
	switch {
	case err == nil:
		return "250", nil
	case errors.As(err, &se):
		ec := se.EnhancedCode
		return fmt.Sprintf("%d %d.%d.%d %s", se.Code, ec[0], ec[1], ec[2], se.Message), nil
	default:
		return "", err
	}
}

// Newest is the newest revision in machine a's history (the first row
// of `rollbackconfig`'s list: "N  DATE  USER  DESCRIPTION").
func (c *Cluster) Newest(a *Appliance) int {
	c.t.Helper()
	out := a.MustCli("rollbackconfig")
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n
			}
		}
	}
	c.t.Fatalf("rollbackconfig lists no revision:\n%s", out)
	return 0
}
