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

// TestProfileRetime: a waiting retry under a (new) profile: never later
// than it was, sooner when the profile now waits less, at once when the
// profile has no retry or time left for it.
func TestProfileRetime(t *testing.T) {
	m := &queue.Message{Received: t0}
	now := t0.Add(10 * time.Minute)
	next := now.Add(50 * time.Minute) // scheduled under a 1-hour backoff
	p := func(edit func(p *ProfilePolicy)) *ProfilePolicy {
		pp := &ProfilePolicy{MaxRetries: 100, MaxLifetime: 72 * time.Hour, Initial: time.Hour, MaxWait: time.Hour}
		if edit != nil {
			edit(pp)
		}
		return pp
	}
	for _, c := range []struct {
		name     string
		pol      *ProfilePolicy
		attempts int
		want     time.Time
	}{
		{"unchanged", p(nil), 3, next},
		{"longer waits put nothing off", p(func(p *ProfilePolicy) { p.Initial, p.MaxWait = 4*time.Hour, 4*time.Hour }), 3, next},
		{"shorter max_retry_timeout", p(func(p *ProfilePolicy) { p.MaxWait = time.Minute }), 3, now.Add(time.Minute)},
		{"lifetime ends before the retry", p(func(p *ProfilePolicy) { p.MaxLifetime = 30 * time.Minute }), 3, t0.Add(30 * time.Minute)},
		{"lifetime over", p(func(p *ProfilePolicy) { p.MaxLifetime = 5 * time.Minute }), 3, now},
		{"out of retries", p(func(p *ProfilePolicy) { p.MaxRetries = 2 }), 3, now},
	} {
		if got := c.pol.Retime(m, c.attempts, next, now); !got.Equal(c.want) {
			t.Errorf("%s: retry at %v, want %v", c.name, got.Sub(t0), c.want.Sub(t0))
		}
	}
}
