package metrics

import (
	"fmt"
	"net/http/httptest"
	"reflect"
	"sort"
	"testing"
	"time"

	"seg/mta/counters"
)

func tracked(s *domainSet) []string {
	var out []string
	for n := range s.tracked {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// The label set: free labels go at once to the busiest, a full set is
// ranked again after Rerank, and Other never goes down.
func TestDomainSetTopAndOther(t *testing.T) {
	clk := &clock{time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)}
	ctr := counters.New(clk.Now, nil)
	ctr.Delivered("a.example", 10)
	ctr.Delivered("b.example", 5)
	ctr.SoftBounced("c.example", 1)
	ctr.UpdateHost("idle.example", func(h *counters.Host) {}) // no traffic: no label
	ctr.Delivered("other", 3)                                 // a destination called "other" stays in Other
	s := newDomainSet(3)
	var lastOther hostCounts
	step := func(wantTracked []string, wantOther hostCounts) {
		t.Helper()
		snap := ctr.Snapshot()
		s.update(snap.Hosts, clk.Now())
		if got := tracked(s); !reflect.DeepEqual(got, wantTracked) {
			t.Errorf("tracked %v, want %v", got, wantTracked)
		}
		o, _, _ := s.otherNow(snap.Hosts)
		if o != wantOther {
			t.Errorf("other %+v, want %+v", o, wantOther)
		}
		if o.delivered < lastOther.delivered || o.hard < lastOther.hard || o.soft < lastOther.soft {
			t.Errorf("other went down: %+v after %+v", o, lastOther)
		}
		lastOther = o
	}
	step([]string{"a.example", "b.example", "c.example"}, hostCounts{delivered: 3})

	// d.example overtakes c.example, but the set is full: it waits in
	// Other until the next ranking.
	clk.t = clk.t.Add(time.Minute)
	ctr.Delivered("d.example", 20)
	step([]string{"a.example", "b.example", "c.example"}, hostCounts{delivered: 23})

	// Rerank: d.example takes c.example's label; Other keeps what d
	// added while it was there, and from now on counts c's.
	clk.t = clk.t.Add(Rerank)
	step([]string{"a.example", "b.example", "d.example"}, hostCounts{delivered: 23})
	ctr.HardBounced("c.example", counters.Hard5XX, 2)
	ctr.Delivered("d.example", 1) // d's own series now
	step([]string{"a.example", "b.example", "d.example"}, hostCounts{delivered: 23, hard: 2})

	// resetcounters changes nothing here.
	ctr.ResetCounters()
	step([]string{"a.example", "b.example", "d.example"}, hostCounts{delivered: 23, hard: 2})
}

// However many destinations, each per-domain metric has at most
// MaxDomains+1 series.
func TestDomainLabelsBounded(t *testing.T) {
	ctr := counters.New(time.Now, nil)
	for i := range 500 {
		ctr.Delivered(fmt.Sprintf("d%03d.example", i), int64(i+1))
	}
	c := New(Deps{Counters: ctr.Snapshot})
	m := scrape(t, c)
	delivered := m.With("seg_recipients_delivered_total")
	if len(delivered) != MaxDomains+1 {
		t.Fatalf("%d delivered series, want %d", len(delivered), MaxDomains+1)
	}
	// The first 100 to get a label are the busiest: d400..d499.
	var sum float64
	for i := 400; i < 500; i++ {
		k := fmt.Sprintf(`seg_recipients_delivered_total{domain="d%03d.example"}`, i)
		if delivered[k] != float64(i+1) {
			t.Errorf("%s = %v, want %d", k, delivered[k], i+1)
		}
	}
	for i := 0; i < 400; i++ {
		sum += float64(i + 1)
	}
	if got := delivered[`seg_recipients_delivered_total{domain="other"}`]; got != sum {
		t.Errorf("other = %v, want %v", got, sum)
	}
}

// A scrape's cost with 10,000 destinations (the label set full, the
// ranking due every time: the worst case).
func BenchmarkScrape10kDestinations(b *testing.B) {
	clk := &clock{time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)}
	ctr := counters.New(clk.Now, nil)
	for i := range 10000 {
		ctr.Delivered(fmt.Sprintf("d%05d.example", i), int64(i%977+1))
	}
	c := New(Deps{Counters: ctr.Snapshot})
	h := Handler(c)
	for b.Loop() {
		clk.t = clk.t.Add(Rerank)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
