package counters

import (
	"testing"
	"time"
)

// A delay on a bound falls in that bucket (Prometheus' le: less than or
// equal); one past the last bound in the overflow slot.
func TestDelayHistogramBuckets(t *testing.T) {
	c := New(time.Now, nil)
	c.DeliveredAfter("a.test", 1, 100*time.Millisecond) // 0.1: the first bucket
	c.DeliveredAfter("a.test", 2, 101*time.Millisecond) // just over: the second
	c.DeliveredAfter("a.test", 1, 4*24*time.Hour)       // past 3 days
	c.DeliveredAfter("a.test", 1, -time.Second)         // a clock stepped back: 0
	s := c.Snapshot()
	want := [NumDelayBuckets + 1]int64{2, 2}
	want[NumDelayBuckets] = 1
	if s.Delay.Counts != want || s.Delay.Count != 5 {
		t.Errorf("histogram %v count %d, want %v count 5", s.Delay.Counts, s.Delay.Count, want)
	}
	if sum := 0.1 + 2*0.101 + 4*86400; s.Delay.Sum != sum {
		t.Errorf("sum %v, want %v", s.Delay.Sum, sum)
	}
	if h, _ := s.Host("a.test"); h.Delivered != 5 || h.Total.Delivered != 5 || s.Uptime[DeliveredRecipients] != 5 {
		t.Errorf("delivered %d, total %d, uptime %d; want 5 each", h.Delivered, h.Total.Delivered, s.Uptime[DeliveredRecipients])
	}
}

// resetcounters zeroes the tophosts counters, not the totals since start.
func TestTotalsSurviveReset(t *testing.T) {
	c := New(time.Now, nil)
	c.Delivered("a.test", 2)
	c.SoftBounced("a.test", 3)
	c.HardBounced("a.test", HardOther, 1)
	c.TLSHardBounced("a.test", 1)
	c.Deleted("a.test", 4)
	c.ResetCounters()
	s := c.Snapshot()
	h, _ := s.Host("a.test")
	want := HostTotals{Delivered: 2, SoftBounced: 3, HardBounced: 1, TLSHard: 1, Deleted: 4}
	want.HardByKind[HardOther] = 1
	if h.Delivered != 0 || h.Total != want {
		t.Errorf("after reset: delivered %d, totals %+v; want 0, %+v", h.Delivered, h.Total, want)
	}
}

// Inbound connections by listener; a listener back to none leaves no
// entry.
func TestConnInByListener(t *testing.T) {
	c := New(time.Now, nil)
	c.ConnIn("In", 1)
	c.ConnIn("In", 1)
	c.ConnIn("Out", 1)
	c.ConnIn("Out", -1)
	s := c.Snapshot()
	if s.ConnIn != 2 || len(s.ConnInBy) != 1 || s.ConnInBy["In"] != 2 {
		t.Errorf("ConnIn %d, by listener %v; want 2, map[In:2]", s.ConnIn, s.ConnInBy)
	}
}

// The mail path's cost of the histogram: DeliveredAfter against
// Delivered (the same lock, one more bucket search).
func BenchmarkDelivered(b *testing.B) {
	c := New(time.Now, nil)
	for b.Loop() {
		c.Delivered("a.test", 1)
	}
}

func BenchmarkDeliveredAfter(b *testing.B) {
	c := New(time.Now, nil)
	for b.Loop() {
		c.DeliveredAfter("a.test", 1, 42*time.Second)
	}
}
