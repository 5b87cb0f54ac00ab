// Package cpuload tells the MTA when the machine's CPU is saturated, so
// that background work (the.tdc.queue's journal copies, SPEC 6) gives way
// to mail. A Meter samples /proc/stat, the whole machine's time, not only
// seg's: on an appliance the mail path competes with everything that
// runs. Where /proc/stat cannot be read the machine is never busy.
package cpuload

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// Interval is how often the Meter samples: short enough that background
// work stops within a tenth of a second of a burst of mail.
const Interval = 100 * time.Millisecond

// Threshold is the share of all CPUs in use above which the machine is
// busy.
const Threshold = 0.75

// QuietSamples is how many samples in a row must be under Threshold
// before a busy machine is reported idle again: a burst of mail has
// short dips (an fsync that takes longer, a client between sessions),
// and work held back for spare CPU should not rush into each of them.
const QuietSamples = 5

// Meter reports whether the machine's CPU was busy in one of the last
// QuietSamples Intervals.
type Meter struct {
	busy atomic.Bool
	read func() ([]byte, error)
}

// New returns a Meter of /proc/stat; Run makes it sample.
func New() *Meter {
	return &Meter{read: func() ([]byte, error) { return os.ReadFile("/proc/stat") }}
}

// Busy reports whether more than Threshold of the CPU was in use in one
// of the last QuietSamples Intervals. It is a load: cheap enough for every
// scheduling decision.
func (m *Meter) Busy() bool { return m.busy.Load() }

// Run samples every Interval until ctx ends.
func (m *Meter) Run(ctx context.Context) {
	t := time.NewTicker(Interval)
	defer t.Stop()
	prev, ok := m.sample()
	if !ok {
		return // not Linux, or no /proc: never busy
	}
	quiet := QuietSamples // idle until a busy sample comes
	for {
		select {
		case <-ctx.Done():
			m.busy.Store(false)
			return
		case <-t.C:
		}
		cur, ok := m.sample()
		if !ok {
			continue
		}
		if Busy(prev, cur) {
			quiet = 0
		} else {
			quiet++
		}
		m.busy.Store(quiet < QuietSamples)
		prev = cur
	}
}

func (m *Meter) sample() (Times, bool) {
	data, err := m.read()
	if err != nil {
		return Times{}, false
	}
	return Parse(data)
}

// Times is the machine's cumulative CPU time in clock ticks.
type Times struct {
	Busy, Total uint64
}

// Busy reports whether more than Threshold of the CPU time between two
// samples was in use.
func Busy(prev, cur Times) bool {
	if cur.Total <= prev.Total || cur.Busy < prev.Busy {
		return false // no time passed, or the counters went back
	}
	return float64(cur.Busy-prev.Busy) > Threshold*float64(cur.Total-prev.Total)
}

// Parse reads the "cpu" line of /proc/stat (proc(5)): user nice system
// idle iowait irq softirq steal ... ; idle and iowait are idle time,
// guest time is already counted in user.
func Parse(data []byte) (Times, bool) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return Times{}, false
	}
	var t Times
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return Times{}, false
		}
		t.Total += n
		if i != 3 && i != 4 { // idle, iowait
			t.Busy += n
		}
	}
	return t, true
}
