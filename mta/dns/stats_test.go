package dns

import (
	"context"
	"testing"
	"time"
)

// TestStatsCount: each counter of dnsstatus moves for what it names, and
// Reset zeroes the Reset column only.
func TestStatsCount(t *testing.T) {
	s := newTestServer(t, "example.test. 30 IN MX 10 mx.example.test.")
	now := time.Unix(1_000_000, 0)
	st := &Stats{}
	c, err := NewClient(Options{Servers: []string{s.addr}, Timeout: 300 * time.Millisecond, Now: func() time.Time { return now }, Stats: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c.LookupMX(ctx, "example.test") // miss, network
	c.LookupMX(ctx, "example.test") // hit
	now = now.Add(31 * time.Second)
	c.LookupMX(ctx, "example.test") // expired, miss, network
	c.LookupMX(ctx, "x.servfail")   // miss, network, exception
	want := [NumStats]int64{Requests: 4, NetRequests: 3, CacheHits: 1, CacheMisses: 3, CacheExceptions: 1, CacheExpired: 1}
	if got := st.Snapshot(); got.Uptime != want || got.Reset != want {
		t.Fatalf("counters %+v, want Reset and Uptime %v", got, want)
	}
	st.Reset(now)
	c.LookupMX(ctx, "example.test") // hit
	got := st.Snapshot()
	if got.Reset != ([NumStats]int64{Requests: 1, CacheHits: 1}) || got.Uptime[Requests] != 5 || !got.ResetAt.Equal(now) {
		t.Errorf("after Reset and a hit: %+v", got)
	}
	var none *Stats
	none.add(Requests) // a Client without Stats counts nothing
}
