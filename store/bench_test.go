package store

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// largeConfig is a big but realistic tree: 1,000 sender group members
// over 10 groups of one listener, and 1,000 destconfig entries.
func largeConfig() *Config {
	c := testConfig()
	l := &c.Listeners[0]
	var groups []SenderGroup
	for g := 0; g < 10; g++ {
		sg := SenderGroup{Name: fmt.Sprintf("GROUP%d", g), Policy: "$TRUSTED"}
		for m := 0; m < 100; m++ {
			sg.Members = append(sg.Members, fmt.Sprintf("10.%d.%d.0/24", g, m))
		}
		groups = append(groups, sg)
	}
	l.HAT.SenderGroups = append(groups, l.HAT.SenderGroups...)
	for i := 0; i < 1000; i++ {
		c.Destinations = append(c.Destinations, Destination{
			Domain: fmt.Sprintf("d%04d.example.com", i),
			Params: Params{"max_host_concurrency": "10", "use_tls": "on"},
		})
	}
	return c
}

// largeBolt opens a bolt store in a temp dir holding largeConfig, and a
// working copy to edit.
func largeBolt(tb testing.TB) (*Bolt, *Config) {
	tb.Helper()
	b, err := OpenBolt(filepath.Join(tb.TempDir(), "config.db"), func() (*Config, error) { return largeConfig(), nil })
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	cur, _ := b.Current()
	return b, cur.Config.Clone()
}

// commitOne changes one destconfig entry of cfg and commits it on top of
// the current revision.
func commitOne(tb testing.TB, b *Bolt, cfg *Config, i int) {
	cur, _ := b.Current()
	cfg.Destinations[500].Params["max_host_concurrency"] = fmt.Sprint(11 + i%2)
	if _, err := b.Commit(CommitRequest{Base: cur.Revision.Number, Config: cfg, User: "admin", Role: RoleAdmin}); err != nil {
		tb.Fatal(err)
	}
}

func BenchmarkCommitLarge(b *testing.B) {
	s, cfg := largeBolt(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		commitOne(b, s, cfg, i)
	}
}

// watchTimes commits once and returns the time from just before Commit
// to the watcher's receipt, and from the end of the bbolt transaction to
// the receipt.
type watchProbe struct {
	s       *Bolt
	got     chan time.Time
	txDone  time.Time
	stopped func()
}

func newWatchProbe(s *Bolt) *watchProbe {
	ch, stop := s.Watch()
	p := &watchProbe{s: s, got: make(chan time.Time, 1), stopped: stop}
	s.core.afterPut = func() { p.txDone = time.Now() }
	go func() {
		for range ch {
			p.got <- time.Now()
		}
	}()
	return p
}

func (p *watchProbe) commit(tb testing.TB, cfg *Config, i int) (total, notify time.Duration) {
	start := time.Now()
	commitOne(tb, p.s, cfg, i)
	select {
	case at := <-p.got:
		return at.Sub(start), at.Sub(p.txDone)
	case <-time.After(10 * time.Second):
		tb.Fatal("watcher got nothing within 10s")
	}
	return 0, 0
}

func BenchmarkWatchLatency(b *testing.B) {
	s, cfg := largeBolt(b)
	p := newWatchProbe(s)
	defer p.stopped()
	var total, notify time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, n := p.commit(b, cfg, i)
		total += t
		notify += n
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs-commit-to-watch/op")
	b.ReportMetric(float64(notify.Microseconds())/float64(b.N), "µs-tx-to-watch/op")
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// TestCommitLargeFigures logs the figures the benchmarks measure, so a
// plain test run shows them; it asserts behaviour only, not timing.
func TestCommitLargeFigures(t *testing.T) {
	s, cfg := largeBolt(t)
	p := newWatchProbe(s)
	defer p.stopped()
	var commits, totals, notifies []time.Duration
	for i := 0; i < 20; i++ {
		start := time.Now()
		tot, n := p.commit(t, cfg, i)
		commits = append(commits, p.txDone.Sub(start))
		totals = append(totals, tot)
		notifies = append(notifies, n)
	}
	cur, _ := s.Current()
	if cur.Revision.Number != 21 {
		t.Fatalf("revision %d after 20 commits", cur.Revision.Number)
	}
	t.Logf("median over 20 commits of a large tree: commit (to tx end) %v, commit start to watcher %v, tx end to watcher %v",
		median(commits), median(totals), median(notifies))
}
