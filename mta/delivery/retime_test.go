package delivery

import (
	"fmt"
	"testing"
	"time"

	"seg/mta/counters"
	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/store"
)

// BenchmarkRetime: what a commit costs the scheduler with 100,000
// recipients waiting for one destination (the queue size of issue 12's
// "destination down" case).
func BenchmarkRetime(b *testing.B) {
	// A snapshot, as the store hands out: its parameters decoded once.
	snap, err := store.NewMemory(store.Default("seg.test", "")).Current()
	if err != nil {
		b.Fatal(err)
	}
	cfg := snap.Config
	x := New(Deps{Config: func() *store.Config { return cfg }, Queue: newMemQueue(), Log: &maillog.Memory{}, Counters: counters.New(time.Now, nil)})
	s := x.s
	for i := range 100_000 {
		s.intake(&queue.Message{MID: int64(i + 1), From: "a@src.test", Received: t0,
			Rcpts: []queue.Recipient{{Addr: fmt.Sprintf("u%d@down.test", i), State: queue.Attempted, Attempts: 3, NextAttempt: t0.Add(time.Hour)}}})
	}
	b.ResetTimer()
	for range b.N {
		s.retime(cfg, t0.Add(time.Minute))
	}
}
