package counters

import "time"

// What the Prometheus endpoint (mta/metrics, SPEC 13) reads beyond the
// AsyncOS counters: per-host totals since start, inbound connections per
// listener (ConnIn), the delivery delay histogram and the TLS failures
// among the hard bounces. Each is one more addition under the lock the
// mail path takes anyway; nothing here formats or allocates.

// HostTotals is a host's counters since start. Unlike Host's own they
// are not zeroed by resetcounters: a Prometheus counter only goes down
// when the process restarts.
type HostTotals struct {
	Delivered   int64
	SoftBounced int64 // events
	HardBounced int64
	HardByKind  [5]int64
	// TLSHard counts the hard bounces (HardOther) that were TLS
	// failures: for the.tdc.queue, SPEC 6's "TLS Error" result.
	TLSHard int64
	Deleted int64
}

// NumDelayBuckets is the number of finite upper bounds of the delivery
// delay histogram.
const NumDelayBuckets = 14

// DelayBuckets returns the upper bounds, in seconds, of the delivery
// delay histogram: from a relay that forwards at once (under 0.1 s) to
// the end of the default retry schedule (queue lifetime 3 days).
func DelayBuckets() [NumDelayBuckets]float64 {
	return [NumDelayBuckets]float64{0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400}
}

// Histogram is a delay histogram: Counts[i] is the number of
// observations at most DelayBuckets()[i] and above the bound before it;
// Counts[NumDelayBuckets] those above the last bound (not cumulative).
type Histogram struct {
	Counts [NumDelayBuckets + 1]int64
	Count  int64
	Sum    float64 // seconds
}

func (h *Histogram) observe(d time.Duration, n int64) {
	s := d.Seconds()
	if s < 0 {
		s = 0 // a clock stepped back: not a negative delay
	}
	i := 0
	for b := DelayBuckets(); i < NumDelayBuckets && s > b[i]; i++ {
	}
	h.Counts[i] += n
	h.Count += n
	h.Sum += s * float64(n)
}

// DeliveredAfter counts n delivered recipients for host, each delay
// after its message was received (Delivered plus the histogram).
func (c *Counters) DeliveredAfter(host string, n int64, delay time.Duration) {
	c.mu.Lock()
	c.delay.observe(delay, n)
	c.deliveredLocked(host, n)
	c.mu.Unlock()
}

// TLSHardBounced notes that n of host's hard bounces (counted with
// HardBounced, HardOther) were TLS failures.
func (c *Counters) TLSHardBounced(host string, n int64) {
	c.mu.Lock()
	c.hostLocked(host).Total.TLSHard += n
	c.mu.Unlock()
}
