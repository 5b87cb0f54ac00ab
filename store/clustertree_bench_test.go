package store

import (
	"fmt"
	"testing"
)

// largeTree is a cluster of three machines over largeConfig (1,000
// sender group members, 1,000 destconfig entries), seg1 and seg2 in
// Main, seg3 in Edge.
func largeTree(tb testing.TB) *ClusterTree {
	tb.Helper()
	tr, err := NewClusterTree("c", largeConfig(), "seg1", "Main")
	if err == nil {
		tr, err = tr.AddGroup("Edge")
	}
	for i, g := range []string{"Main", "Edge"} {
		if err == nil {
			tr, err = tr.Join(fmt.Sprintf("seg%d", i+2), g, largeConfig())
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

func BenchmarkClusterEffectiveLarge(b *testing.B) {
	tr := largeTree(b)
	for b.Loop() {
		if _, err := tr.Effective("seg3"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClusterJoinLarge(b *testing.B) {
	tr := largeTree(b)
	local := largeConfig()
	for b.Loop() {
		if _, err := tr.Join("seg4", "Main", local); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClusterCommitLarge is one cluster-level commit of one
// destconfig entry, validated for all three machines.
func BenchmarkClusterCommitLarge(b *testing.B) {
	tr := largeTree(b)
	v, err := tr.View(Level{Kind: LevelCluster}, "seg1")
	if err != nil {
		b.Fatal(err)
	}
	cfg := v.Clone()
	i := 0
	for b.Loop() {
		i++
		cfg.Destinations[500].Params["max_host_concurrency"] = fmt.Sprint(11 + i%2)
		next, _, err := tr.Commit(tr, CommitRequest{Config: cfg, User: "admin", Role: RoleAdmin}, "seg1")
		if err != nil {
			b.Fatal(err)
		}
		tr = next
	}
}

func BenchmarkClusterEncodeDecodeLarge(b *testing.B) {
	tr := largeTree(b)
	for b.Loop() {
		enc, err := EncodeClusterTree(tr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeClusterTree(enc); err != nil {
			b.Fatal(err)
		}
	}
}
