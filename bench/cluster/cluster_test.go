// Package cluster is `make bench-cluster`: seg's cluster (SPEC 14)
// measured on the real binaries, three `seg run` on a real etcd of three
// members, all on loopback (internal/segtest.NewCluster):
//
//   - commit -> effect: 100 commits on machine 1, each exempting a new
//     envelope sender from a sender rate limit of 0 (an address list,
//     cluster-level); per commit, how long `seg cli ... commit` took, and
//     from the revision's write to etcd until machines 2 and 3 each
//     accepted that sender's RCPT on a new SMTP session (the commit's
//     effect on their listeners); p50 and p99.
//   - join: the cluster's configuration gets 1,000 sender-group members
//     (a HAT sender group of its listener, cluster-level like the rest
//     of the listener but its address) and 1,000 destconfig entries
//     (cluster-level), committed on machine 1; the time a fourth
//     machine's `clusterconfig join` takes, and until every machine
//     lists it up at the cluster's revision.
//
// It writes the table to stdout and bench/results/cluster-STAMP.txt.
// A benchmark (not a test) so that `go test ./...` does not run it:
// `make bench-cluster` runs it once (-benchtime 1x).
package cluster

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/store"
)

func TestMain(m *testing.M) { segtest.Main(m) }

// probeIP is the probes' client address: in sender group ALL, where the
// default policy's sender_rate_limit of 0 applies.
const probeIP = "127.0.0.10"

// commits is how many commits the latency figures are over.
const commits = 100

func BenchmarkCluster(b *testing.B) {
	for range b.N {
		var out strings.Builder
		fmt.Fprintf(&out, "seg cluster bench %s: 3 machines, etcd v3.6 x3, loopback, %d CPUs\n\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU())
		sink := segtest.NewSink(b, segtest.SinkOptions{})
		c := segtest.NewCluster(b, 3,
			"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
			"addresslistconfig new EXEMPT --addresses @exempt.test",
			"listenerconfig edit IncomingMail hostaccess default --sender_rate_limit=0 --sender_rate_exceptions=EXEMPT",
			"smtproutes new example.test "+sink.Addr())
		res := map[string]any{}
		commitLatency(b, c, &out, res)
		joinTime(b, c, &out, res)
		fmt.Print(out.String())
		save(b, out.String(), res)
	}
}

// commitLatency makes the commits and prints the figures. Machines 2
// and 3 are probed from before each commit starts, one new SMTP session
// every millisecond or so, and their first 250 is timed from the moment
// the revision was written to etcd (segtest.Cluster.RevisionWrites);
// seg cli's own time is the commit as an administrator sees it.
func commitLatency(b *testing.B, c *segtest.Cluster, out *strings.Builder, res map[string]any) {
	writes := c.RevisionWrites()
	var commit, m2, m3, both []time.Duration
	for i := range commits {
		sender := fmt.Sprintf("s@b%d.test", i)
		took, lags, err := c.CommitEffect(writes, []int{1, 2}, segtest.Probe{Src: probeIP, From: sender, To: "r@example.test"}, func() {
			c.Machines[0].MustCli(fmt.Sprintf("addresslistconfig edit EXEMPT --addresses @exempt.test,@b%d.test ; commit b%d", i, i))
		})
		if err != nil {
			b.Fatalf("commit %d: %v", i, err)
		}
		commit, m2, m3, both = append(commit, took), append(m2, lags[0]), append(m3, lags[1]), append(both, max(lags[0], lags[1]))
	}
	row := func(what string, d []time.Duration) {
		fmt.Fprintf(out, "%-56s %9s %9s %9s\n", what, ms(pct(d, .50)), ms(pct(d, .99)), ms(slices.Max(d)))
	}
	fmt.Fprintf(out, "%-56s %9s %9s %9s\n", fmt.Sprintf("Commit -> effect, %d commits on machine 1", commits), "p50 ms", "p99 ms", "max ms")
	row("seg cli ... commit on machine 1 (returns once applied)", commit)
	row("revision in etcd -> machine 2's listener enforces it", m2)
	row("revision in etcd -> machine 3's listener enforces it", m3)
	row("revision in etcd -> both enforce it", both)
	fmt.Fprintln(out)
	res["commits"] = commits
	res["commit_p50_ms"], res["commit_p99_ms"] = msf(pct(commit, .5)), msf(pct(commit, .99))
	res["effect_p50_ms"], res["effect_p99_ms"] = msf(pct(both, .5)), msf(pct(both, .99))
}

// joinTime loads the big configuration and times a fourth machine's join.
func joinTime(b *testing.B, c *segtest.Cluster, out *strings.Builder, res map[string]any) {
	m1 := c.Machines[0]
	var members []string
	for i := range 1000 {
		members = append(members, fmt.Sprintf("10.%d.%d.1", i/250, i%250))
	}
	var dests []store.Destination
	for i := range 1000 {
		dests = append(dests, store.Destination{Domain: fmt.Sprintf("d%04d.bench.test", i), Params: store.Params{"max_host_concurrency": "10"}})
	}
	if err := os.WriteFile(filepath.Join(m1.Dir, "configuration", "bench-dest.ini"), []byte(store.FormatDestFile(store.Params{}, dests)), 0o600); err != nil {
		b.Fatal(err)
	}
	load := time.Now()
	m1.MustCli("listenerconfig edit IncomingMail hostaccess new sendergroup BENCH " + strings.Join(members, ",") + " $ACCEPTED ; destconfig import bench-dest.ini ; commit big")
	loadT := time.Since(load)
	c.WaitConverged(c.Newest(m1), time.Minute)

	m4 := c.NewMachine()
	m4.Start()
	start := time.Now()
	c.Join(m4)
	joinT := time.Since(start)
	rev := c.WaitConverged(c.Newest(m4), time.Minute)
	allT := time.Since(start)
	if got := m4.MustCli("destconfig list"); !strings.Contains(got, "d0999.bench.test") {
		b.Fatalf("the joined machine has not the cluster's destconfig:\n%s", got)
	}
	if got := m4.MustCli("listenerconfig edit IncomingMail hostaccess print"); !strings.Contains(got, members[len(members)-1]) {
		b.Fatalf("the joined machine's listener has not the cluster's sender group BENCH:\n%s", got)
	}
	fmt.Fprintf(out, "Join, cluster config with 1,000 sender-group members and 1,000 destconfig entries\n")
	fmt.Fprintf(out, "%-52s %9s\n", "loading them on machine 1 (one seg cli, one commit)", ms(loadT))
	fmt.Fprintf(out, "%-52s %9s\n", "machine 4: seg cli clusterconfig join", ms(joinT))
	fmt.Fprintf(out, "%-52s %9s\n", fmt.Sprintf("until all 4 list it up at revision %d", rev), ms(allT))
	res["load_ms"], res["join_ms"], res["join_converged_ms"] = msf(loadT), msf(joinT), msf(allT)
}

// pct is the p quantile of d (nearest rank).
func pct(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(p*float64(len(s)-1)+0.5)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", msf(d)) }

func msf(d time.Duration) float64 { return float64(d.Microseconds()/100) / 10 }

// save writes the table and the figures to
// bench/results/cluster-STAMP.txt and .json, and prints the two lines
// bench/table.sh picks up: "cluster: ..." for its table, "cluster-json:
// {...}" for its JSON.
func save(b *testing.B, table string, res map[string]any) {
	j, err := json.Marshal(res)
	if err != nil {
		b.Fatal(err)
	}
	base := filepath.Join("..", "results", "cluster-"+time.Now().UTC().Format("20060102T150405Z"))
	if err := os.WriteFile(base+".txt", []byte(table), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(base+".json", append(j, '\n'), 0o644); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("written to bench/results/%s.txt and .json\n", filepath.Base(base))
	fmt.Printf("cluster: 3 machines, revision in etcd -> both others' listeners p50 %v ms p99 %v ms over %d commits; join with 1,000 sender-group members + 1,000 destconfig entries %v ms (all list it %v ms)\n",
		res["effect_p50_ms"], res["effect_p99_ms"], commits, res["join_ms"], res["join_converged_ms"])
	fmt.Printf("cluster-json: %s\n", j)
}
