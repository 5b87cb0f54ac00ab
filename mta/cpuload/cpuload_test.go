package cpuload

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
)

func TestParse(t *testing.T) {
	data := []byte("cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 50 2 25 400 20 1 1 0 0 0\n")
	got, ok := Parse(data)
	// busy: user+nice+system+irq+softirq+steal = 100+5+50+3+2+0; idle+iowait = 840
	if !ok || got != (Times{Busy: 160, Total: 1000}) {
		t.Errorf("Parse = %+v, %v", got, ok)
	}
	for _, bad := range []string{"", "intr 1 2 3", "cpu 1 2 x 4 5", "cpu 1 2"} {
		if _, ok := Parse([]byte(bad)); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestBusy(t *testing.T) {
	prev := Times{Busy: 1000, Total: 4000}
	for _, tc := range []struct {
		cur  Times
		want bool
	}{
		{Times{Busy: 1080, Total: 4100}, true},  // 80% of 100 ticks
		{Times{Busy: 1075, Total: 4100}, false}, // exactly the threshold
		{Times{Busy: 1010, Total: 4100}, false},
		{Times{Busy: 1000, Total: 4000}, false}, // no time passed
		{Times{Busy: 900, Total: 3000}, false},  // counters went back
	} {
		if got := Busy(prev, tc.cur); got != tc.want {
			t.Errorf("Busy(%+v -> %+v) = %v, want %v", prev, tc.cur, got, tc.want)
		}
	}
}

// TestMeterFollowsSamples drives Run with scripted /proc/stat contents.
func TestMeterFollowsSamples(t *testing.T) {
	var mu sync.Mutex
	n := 0
	samples := []string{
		"cpu 0 0 0 1000 0 0 0 0\n",
		"cpu 90 0 0 1010 0 0 0 0\n",  // 90 busy of 100: busy
		"cpu 95 0 0 1105 0 0 0 0\n",  // 5 busy of 100: a dip, still busy
		"cpu 185 0 0 1115 0 0 0 0\n", // busy again
		// then quiet for good: idle after QuietSamples samples
		"cpu 190 0 0 1210 0 0 0 0\n",
		"cpu 195 0 0 1305 0 0 0 0\n",
		"cpu 200 0 0 1400 0 0 0 0\n",
		"cpu 205 0 0 1495 0 0 0 0\n",
		"cpu 210 0 0 1590 0 0 0 0\n",
	}
	var seen []bool
	m := &Meter{}
	m.read = func() ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if n > 0 && n <= len(samples) {
			seen = append(seen, m.Busy()) // what the previous sample left
		}
		s := samples[min(n, len(samples)-1)]
		n++
		return []byte(s), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	wait := func(want bool) {
		segtest.Wait(t, 5*time.Second, fmt.Sprintf("Busy() to turn %v", want), func() bool { return m.Busy() == want })
	}
	wait(true)
	wait(false)
	mu.Lock()
	defer mu.Unlock()
	// Before the first busy sample idle; after it busy through the dip
	// and the next four quiet samples (the fifth makes it idle: wait).
	want := []bool{false, true, true, true, true, true, true, true}
	if len(seen) < len(want) || !slices.Equal(seen[:len(want)], want) {
		t.Errorf("Busy after each sample %v, want %v", seen, want)
	}
}

func TestMeterWithoutProcStat(t *testing.T) {
	m := &Meter{read: func() ([]byte, error) { return nil, errors.New("no /proc") }}
	done := make(chan struct{})
	go func() { m.Run(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run kept going without /proc/stat")
	}
	if m.Busy() {
		t.Error("busy without a sample")
	}
}

func TestRealProcStat(t *testing.T) {
	if _, ok := New().sample(); !ok {
		t.Fatal("could not read /proc/stat")
	}
}
