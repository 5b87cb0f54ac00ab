package ratelimit

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
)

func newClock() *segtest.Clock {
	return segtest.NewClock(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
}

func TestAllowHoldsAtLimitAndBreaksAfter(t *testing.T) {
	c := newClock()
	w := New(c.Now, time.Hour, 0)
	for i := 1; i <= 3; i++ {
		if !w.Allow("10.0.0.1", 3) {
			t.Fatalf("event %d of 3 refused", i)
		}
	}
	if w.Allow("10.0.0.1", 3) {
		t.Fatal("event 4 of a limit of 3 allowed")
	}
	if got := w.Count("10.0.0.1"); got != 3 {
		t.Errorf("count after a refusal = %d, want 3 (a refused event does not count)", got)
	}
	if !w.Allow("10.0.0.2", 3) {
		t.Error("another key shares the first one's count")
	}
	if !w.Allow("x", -1) || w.Allow("y", 0) {
		t.Error("-1 must be unlimited and 0 must allow nothing")
	}
}

func TestWindowSlides(t *testing.T) {
	c := newClock()
	w := New(c.Now, time.Hour, 0)
	w.Add("k", 2) // at 10:00
	c.Advance(30 * time.Minute)
	if got := w.Add("k", 3); got != 5 { // at 10:30
		t.Fatalf("count at 10:30 = %d, want 5", got)
	}
	c.Advance(31 * time.Minute) // 11:01: the 10:00 events left
	if got := w.Count("k"); got != 3 {
		t.Errorf("count at 11:01 = %d, want 3", got)
	}
	c.Advance(30 * time.Minute) // 11:31: all left
	if got := w.Count("k"); got != 0 {
		t.Errorf("count at 11:31 = %d, want 0", got)
	}
	if got := w.Add("k", 1); got != 1 {
		t.Errorf("count after a new event = %d, want 1", got)
	}
}

func TestMinutesWindow(t *testing.T) {
	c := newClock()
	w := New(c.Now, 5*time.Minute, 0)
	w.Add("s", 1)
	c.Advance(4 * time.Minute)
	if got := w.Count("s"); got != 1 {
		t.Errorf("after 4 of 5 minutes count = %d, want 1", got)
	}
	c.Advance(2 * time.Minute)
	if got := w.Count("s"); got != 0 {
		t.Errorf("after 6 of 5 minutes count = %d, want 0", got)
	}
}

func TestIdleKeysExpireAndMemoryIsBounded(t *testing.T) {
	c := newClock()
	w := New(c.Now, time.Hour, 100)
	for i := 0; i < 150; i++ {
		got := w.Add(fmt.Sprint("k", i), 1)
		if got != 1 {
			t.Fatalf("key %d count %d, want 1", i, got)
		}
	}
	if w.Len() != 100 {
		t.Fatalf("tracking %d keys, want the bound 100", w.Len())
	}
	c.Advance(61 * time.Minute)
	w.Add("new", 1)
	if w.Len() != 1 {
		t.Errorf("after an idle hour %d keys remain, want 1 (the idle ones expire)", w.Len())
	}
}

func TestClockGoingBack(t *testing.T) {
	c := newClock()
	w := New(c.Now, time.Hour, 0)
	w.Add("k", 1)
	c.Advance(-2 * time.Hour)
	if got := w.Add("k", 1); got != 2 {
		t.Errorf("count with the clock set back = %d, want 2", got)
	}
}

func TestHostKey(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.77")
	for _, tc := range []struct {
		useSB bool
		bits  int
		want  string
	}{
		{true, 24, "192.0.2.77"},
		{false, 24, "192.0.2.0/24"},
		{false, 32, "192.0.2.77/32"},
		{false, 0, "0.0.0.0/0"},
	} {
		if got := HostKey(ip, tc.useSB, tc.bits); got != tc.want {
			t.Errorf("HostKey(%s, %v, %d) = %q, want %q", ip, tc.useSB, tc.bits, got, tc.want)
		}
	}
	if got := HostKey(netip.MustParseAddr("2001:db8::1:2"), false, 24); got != "2001:db8::1:0/120" {
		t.Errorf("IPv6 key %q", got)
	}
}

func TestRatesShareSenderWindows(t *testing.T) {
	c := newClock()
	r := NewRates(c.Now)
	r.Senders(10*time.Minute).Add("a@b", 2)
	if got := r.Senders(10 * time.Minute).Count("a@b"); got != 2 {
		t.Errorf("same interval count %d, want 2", got)
	}
	if got := r.Senders(20 * time.Minute).Count("a@b"); got != 0 {
		t.Errorf("other interval count %d, want 0", got)
	}
}

func TestConcurrentAllowIsExact(t *testing.T) {
	w := New(newClock().Now, time.Hour, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				if w.Allow("k", 123) {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != 123 {
		t.Errorf("allowed %d of 500 with limit 123", allowed)
	}
}

// BenchmarkAllow is the cost a RCPT pays per window: one key among
// 10000 live ones.
func BenchmarkAllow(b *testing.B) {
	w := New(newClock().Now, time.Hour, 0)
	keys := make([]string, 10000)
	for i := range keys {
		keys[i] = fmt.Sprint("192.0.", i/256, ".", i%256)
		w.Add(keys[i], 1)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Allow(keys[i%len(keys)], -1)
	}
}
