// Package counters holds the mail system's counters and gauges, as
// AsyncOS reports them in status, tophosts and hoststatus (SPEC 9).
// Counters have three views: since resetcounters (Reset), since start
// (Uptime) and since install (Lifetime, restored from disk by the caller).
package counters

import (
	"sort"
	"sync"
	"time"
)

// Counter names a system-wide counter.
type Counter int

// System counters, in status order.
const (
	MessagesReceived Counter = iota
	RecipientsReceived
	GenBounceRecipients
	RejectedRecipients
	DroppedMessages
	SoftBouncedEvents
	CompletedRecipients
	HardBouncedRecipients
	DNSHardBounces
	FiveXXHardBounces
	ExpiredHardBounces
	FilterHardBounces
	OtherHardBounces
	DeliveredRecipients
	DeletedRecipients
	NumCounters
)

// HardKind says why a recipient hard-bounced.
type HardKind int

// Hard bounce kinds.
const (
	HardDNS HardKind = iota
	Hard5XX
	HardExpired
	HardFilter
	HardOther
)

// Host holds one destination's counters and gauges (tophosts/hoststatus).
type Host struct {
	Name         string
	SoftBounced  int64 // events
	Delivered    int64
	HardBounced  int64
	HardByKind   [5]int64
	Deleted      int64
	Unattempted  int64 // gauge
	Attempted    int64 // gauge
	ConnOut      int64 // gauge
	PendingConn  int64 // gauge
	Down         bool
	LastActivity time.Time
	Oldest       time.Time // oldest queued message, zero if none
	LastTLS      string    // last TLS result, e.g. "success TLSv1.3" or "none"
	LastDANE     string    // last DANE outcome, e.g. "success mx.example.test (DANE TLSA 3 1 1)"; "": not asked
	Route        []string  // route / MX hosts of the last lookup
	// The recipient limit (hoststatus): the limit (0: none), its window
	// in minutes, whether it counts per MX address, and the recipients
	// in the current window (the busiest address's). Delivery fills
	// them in the copy a report is made from.
	RateLimit, RateMinutes, RateUsed int
	RatePerIP                        bool
	// Total is the same counters since start, which resetcounters
	// leaves alone (metrics.go).
	Total HostTotals
}

// Active is the active recipients gauge.
func (h Host) Active() int64 { return h.Unattempted + h.Attempted }

// Completed is delivered + hard bounced + deleted.
func (h Host) Completed() int64 { return h.Delivered + h.HardBounced + h.Deleted }

// Counters is safe for concurrent use.
type Counters struct {
	mu       sync.Mutex
	now      func() time.Time
	start    time.Time
	resetAt  time.Time
	reset    [NumCounters]int64
	uptime   [NumCounters]int64
	lifetime [NumCounters]int64
	hosts    map[string]*Host
	connIn   int64
	// Metrics-only data (metrics.go): inbound connections per listener
	// and the delivery delay histogram.
	connInBy map[string]int64
	delay    Histogram
	// per-minute event buckets for rates (Rates (Events Per Hour))
	minute  int64
	buckets [16][NumCounters]int64
}

// New makes counters; lifetime holds the persisted lifetime totals (may be nil).
func New(now func() time.Time, lifetime []int64) *Counters {
	c := &Counters{now: now, start: now(), hosts: map[string]*Host{}, connInBy: map[string]int64{}}
	copy(c.lifetime[:], lifetime)
	return c
}

// Start returns when counting began (Up since).
func (c *Counters) Start() time.Time { return c.start }

// ResetAt returns the last resetcounters time (zero: never).
func (c *Counters) ResetAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resetAt
}

func (c *Counters) addLocked(k Counter, n int64) {
	c.reset[k] += n
	c.uptime[k] += n
	c.lifetime[k] += n
	m := c.now().Unix() / 60
	if m != c.minute {
		// clear the buckets skipped since the last event
		for i := c.minute + 1; i <= m && i-c.minute <= 16; i++ {
			c.buckets[i%16] = [NumCounters]int64{}
		}
		if m-c.minute > 16 {
			c.buckets = [16][NumCounters]int64{}
		}
		c.minute = m
	}
	c.buckets[m%16][k] += n
}

// Add counts n events of a system counter.
func (c *Counters) Add(k Counter, n int64) {
	c.mu.Lock()
	c.addLocked(k, n)
	c.mu.Unlock()
}

func (c *Counters) hostLocked(name string) *Host {
	h := c.hosts[name]
	if h == nil {
		h = &Host{Name: name}
		c.hosts[name] = h
	}
	return h
}

// Delivered counts n delivered recipients for host.
func (c *Counters) Delivered(host string, n int64) {
	c.mu.Lock()
	c.deliveredLocked(host, n)
	c.mu.Unlock()
}

func (c *Counters) deliveredLocked(host string, n int64) {
	h := c.hostLocked(host)
	h.Delivered += n
	h.Total.Delivered += n
	h.Down = false
	h.LastActivity = c.now()
	c.addLocked(DeliveredRecipients, n)
	c.addLocked(CompletedRecipients, n)
}

// SoftBounced counts n soft bounce events for host.
func (c *Counters) SoftBounced(host string, n int64) {
	c.mu.Lock()
	h := c.hostLocked(host)
	h.SoftBounced += n
	h.Total.SoftBounced += n
	h.LastActivity = c.now()
	c.addLocked(SoftBouncedEvents, n)
	c.mu.Unlock()
}

// HardBounced counts n hard-bounced recipients for host.
func (c *Counters) HardBounced(host string, kind HardKind, n int64) {
	c.mu.Lock()
	h := c.hostLocked(host)
	h.HardBounced += n
	h.HardByKind[kind] += n
	h.Total.HardBounced += n
	h.Total.HardByKind[kind] += n
	h.LastActivity = c.now()
	c.addLocked(HardBouncedRecipients, n)
	c.addLocked(CompletedRecipients, n)
	c.addLocked(DNSHardBounces+Counter(kind), n)
	c.mu.Unlock()
}

// Deleted counts n recipients deleted by an administrator.
func (c *Counters) Deleted(host string, n int64) {
	c.mu.Lock()
	h := c.hostLocked(host)
	h.Deleted += n
	h.Total.Deleted += n
	c.addLocked(DeletedRecipients, n)
	c.addLocked(CompletedRecipients, n)
	c.mu.Unlock()
}

// UpdateHost applies f to host's record under the lock (gauges, Down,
// LastTLS, Route, Oldest).
func (c *Counters) UpdateHost(host string, f func(h *Host)) {
	c.mu.Lock()
	f(c.hostLocked(host))
	c.mu.Unlock()
}

// ConnIn adjusts the current inbound connections gauge, in total and
// for the named listener.
func (c *Counters) ConnIn(listener string, delta int64) {
	c.mu.Lock()
	c.connIn += delta
	if n := c.connInBy[listener] + delta; n != 0 {
		c.connInBy[listener] = n
	} else {
		delete(c.connInBy, listener) // a deleted listener leaves no entry
	}
	c.mu.Unlock()
}

// Snapshot is a consistent copy of everything.
type Snapshot struct {
	Now, Start, ResetAt     time.Time
	Reset, Uptime, Lifetime [NumCounters]int64
	// Rates per hour over the last 1, 5 and 15 minutes.
	Rate1, Rate5, Rate15 [NumCounters]int64
	ConnIn, ConnOut      int64
	Hosts                []Host // sorted by name
	// ConnInBy is ConnIn by listener name (listeners with none absent).
	ConnInBy map[string]int64
	// Delay is the delivery delay histogram since start.
	Delay Histogram
}

// Host returns the named host's record from the snapshot.
func (s *Snapshot) Host(name string) (Host, bool) {
	for _, h := range s.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// Snapshot copies the counters.
func (c *Counters) Snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(0, 0) // roll the minute buckets forward
	s := Snapshot{Now: c.now(), Start: c.start, ResetAt: c.resetAt, Reset: c.reset, Uptime: c.uptime, Lifetime: c.lifetime, ConnIn: c.connIn,
		ConnInBy: make(map[string]int64, len(c.connInBy)), Delay: c.delay}
	for l, n := range c.connInBy {
		s.ConnInBy[l] = n
	}
	for k := Counter(0); k < NumCounters; k++ {
		var sum int64
		for i := int64(0); i < 15; i++ {
			sum += c.buckets[(c.minute-i+16)%16][k]
			switch i {
			case 0:
				s.Rate1[k] = sum * 60
			case 4:
				s.Rate5[k] = sum * 12
			case 14:
				s.Rate15[k] = sum * 4
			}
		}
	}
	for _, h := range c.hosts {
		hc := *h
		hc.Route = append([]string(nil), h.Route...)
		s.Hosts = append(s.Hosts, hc)
		s.ConnOut += h.ConnOut
	}
	sort.Slice(s.Hosts, func(i, j int) bool { return s.Hosts[i].Name < s.Hosts[j].Name })
	return s
}

// ResetCounters zeroes the Reset column and host counters (not gauges).
func (c *Counters) ResetCounters() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reset = [NumCounters]int64{}
	c.resetAt = c.now()
	for _, h := range c.hosts {
		h.SoftBounced, h.Delivered, h.HardBounced, h.Deleted = 0, 0, 0, 0
		h.HardByKind = [5]int64{}
	}
}

// Restore raises each lifetime total to at least the one given: the
// totals come from two durable places (counters.json, saved every 10 s,
// and the queue journal's stamp, saved with every commit), and each is a
// lower bound of the truth.
func (c *Counters) Restore(lifetime []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range min(len(lifetime), len(c.lifetime)) {
		c.lifetime[i] = max(c.lifetime[i], lifetime[i])
	}
}

// Lifetime returns the lifetime totals, for persisting.
func (c *Counters) Lifetime() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.lifetime[:]...)
}
