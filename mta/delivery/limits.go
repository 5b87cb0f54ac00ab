package delivery

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"seg/mta/maillog"
	"seg/store"
)

// Destination Controls limits (SPEC 5 and 11; docs/destination-limits.md):
// max_host_concurrency connections and recipient_limit recipients per
// recipient_minutes, for
// the whole destination (limit_type host) or for each of its MX addresses
// (MXIP), over all source addresses (limit_apply system) or for each
// (VG, with destconfig source_ip).
//
// The counts are kept by a limiter that the scheduler and the workers
// share. A limit key names what one count covers. The scheduler bounds
// the workers of a destination by the number of its keys times the
// concurrency limit, and admits an item only while some window has room
// (recipients it admitted but no worker has placed yet count against
// it); a worker, once its route is known, places its connection: the
// first address in route order whose key has a free slot and room for
// the item's recipients, from a source address with the same. With
// limit_type host every address shares one key, so that the worker bound
// alone keeps the count. With MXIP an attempt that finds every address
// full waits for a slot or for its window to open (an address that
// refused the connection is not tried again). The connection keeps its
// slot until it closes; each message it carries reserves recipients in
// its key's window.

// destLimits are one destination's limits, from its DestControls.
type destLimits struct {
	perIP  bool // limit_type MXIP
	perSrc bool // limit_apply VG
	conns  int
	rcpts  int // 0: no recipient limit
	per    time.Duration
	srcs   []netip.Addr // destconfig source_ip; empty: the system chooses
}

func limitsOf(dc store.DestControls) destLimits {
	dl := destLimits{
		perIP:  dc.LimitType == "MXIP",
		perSrc: dc.LimitApply == "VG",
		conns:  max(dc.MaxHostConcurrency, 1),
	}
	if dc.RecipientLimit > 0 {
		dl.rcpts = dc.RecipientLimit
		dl.per = time.Duration(max(dc.RecipientMinutes, 1)) * time.Minute
	}
	for _, s := range dc.SourceIP {
		if a, err := netip.ParseAddr(s); err == nil {
			dl.srcs = append(dl.srcs, a.Unmap())
		}
	}
	return dl
}

// limitKey is what one count covers: a destination, with MXIP one of its
// addresses, with VG one source address.
type limitKey struct {
	dest string
	ip   netip.Addr // invalid unless MXIP
	src  netip.Addr // invalid unless VG with source_ip
}

func (k limitKey) String() string {
	var b strings.Builder
	if k.ip.IsValid() {
		b.WriteString("MXIP " + k.ip.String() + " (" + k.dest + ")")
	} else {
		b.WriteString(k.dest)
	}
	if k.src.IsValid() {
		b.WriteString(" interface " + k.src.String())
	}
	return b.String()
}

// lease is a connection's place: its key and the source address to bind
// (invalid: the system chooses).
type lease struct {
	key limitKey
	src netip.Addr
}

type limiter struct {
	now func() time.Time
	log maillog.Logger

	mu      sync.Mutex
	conns   map[limitKey]int
	wins    map[limitKey]*window
	ips     map[string][]netip.Addr // a destination's addresses in its last route (MXIP)
	pending map[string]int          // recipients admitted by the scheduler, not yet placed
	rr      map[string]int          // next source address to use (limit_apply system)
	logged  map[limitKey]time.Time  // when "Maximum outbound connections" was last logged
	rcptLog map[limitKey]bool       // "Maximum recipients" logged since the window was last open
	changed chan struct{}           // closed (and replaced) when a slot or window frees
}

func newLimiter(now func() time.Time, log maillog.Logger) *limiter {
	return &limiter{
		now: now, log: log,
		conns: map[limitKey]int{}, wins: map[limitKey]*window{}, ips: map[string][]netip.Addr{},
		pending: map[string]int{}, rr: map[string]int{}, logged: map[limitKey]time.Time{},
		rcptLog: map[limitKey]bool{}, changed: make(chan struct{}),
	}
}

// keys lists a destination's keys as far as they are known: with MXIP,
// before the first route, one key stands for the unknown address.
func (l *limiter) keys(dest string, dl destLimits) []limitKey {
	ips := []netip.Addr{{}}
	if dl.perIP && len(l.ips[dest]) > 0 {
		ips = l.ips[dest]
	}
	srcs := []netip.Addr{{}}
	if dl.perSrc && len(dl.srcs) > 0 {
		srcs = dl.srcs
	}
	out := make([]limitKey, 0, len(ips)*len(srcs))
	for _, ip := range ips {
		for _, src := range srcs {
			out = append(out, limitKey{dest: dest, ip: ip, src: src})
		}
	}
	return out
}

// route records the addresses of a destination's route (MXIP): each is a
// key of its own. It reports whether they changed, so that the scheduler
// may start more workers.
func (l *limiter) route(dest string, dl destLimits, addrs []netip.Addr) bool {
	if !dl.perIP {
		return false
	}
	addrs = slices.Clone(addrs)
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	addrs = slices.Compact(addrs)
	l.mu.Lock()
	defer l.mu.Unlock()
	if slices.Equal(l.ips[dest], addrs) {
		return false
	}
	l.ips[dest] = addrs
	return true
}

// slots is how many connections the destination may have at once: the
// bound on its workers.
func (l *limiter) slots(dest string, dl destLimits) int {
	n := dl.conns
	if dl.perSrc {
		n *= max(len(dl.srcs), 1)
	}
	if dl.perIP {
		l.mu.Lock()
		n *= max(len(l.ips[dest]), 1)
		l.mu.Unlock()
	}
	return n
}

func (l *limiter) window(k limitKey, dl destLimits) *window {
	w := l.wins[k]
	if w == nil || w.per != dl.per {
		w = &window{per: dl.per}
		l.wins[k] = w
	}
	return w
}

// signal wakes the workers waiting for a slot or a window.
func (l *limiter) signal() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// admit is the scheduler's check before it starts an attempt of n
// recipients: it returns how many may go (0: none, the destination is
// throttled, and wake is when its first window opens; zero when an
// attempt in flight holds the room). They count as pending until a
// worker places them (unpend).
func (l *limiter) admit(dest string, dl destLimits, n int) (int, time.Time) {
	if dl.rcpts == 0 {
		return n, time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	best := 0
	var wake time.Time
	for _, k := range l.keys(dest, dl) {
		w := l.window(k, dl)
		r := w.room(dl.rcpts, now)
		best = max(best, r)
		if r == 0 {
			l.rcptFull(k, dl)
			if o := w.opens(); !o.IsZero() && (wake.IsZero() || o.Before(wake)) {
				wake = o
			}
		}
	}
	k := min(n, best-l.pending[dest])
	if k <= 0 {
		return 0, wake
	}
	l.pending[dest] += k
	return k, time.Time{}
}

// unpend forgets n recipients admitted for dest: their worker has placed
// them (or will not).
func (l *limiter) unpend(dest string, n int) {
	if n == 0 {
		return
	}
	l.mu.Lock()
	l.pending[dest] -= n
	if l.pending[dest] <= 0 {
		delete(l.pending, dest)
	}
	l.mu.Unlock()
}

// rcptFull logs, once until the window opens again, that a key's
// recipient window is full (with MXIP; the scheduler says it for a whole
// destination).
func (l *limiter) rcptFull(k limitKey, dl destLimits) {
	if !k.ip.IsValid() || l.rcptLog[k] {
		return
	}
	l.rcptLog[k] = true
	l.log.Info("Maximum recipients (%d per %d minutes) reached for %s", dl.rcpts, int(dl.per/time.Minute), k)
}

// place takes a slot (and room for n recipients) to connect to ip: from
// the source address whose key has them. ok is false when every key for
// ip is full.
func (l *limiter) place(dest string, dl destLimits, ip netip.Addr, n int) (lease, *winEntry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Only a source of the address's family can reach it; with none, the
	// system chooses.
	var srcs []netip.Addr
	for _, src := range dl.srcs {
		if src.Is4() == ip.Unmap().Is4() {
			srcs = append(srcs, src)
		}
	}
	if len(srcs) == 0 {
		srcs = []netip.Addr{{}}
	}
	start := 0
	if !dl.perSrc {
		// Every source shares the key: take them in turn.
		start = l.rr[dest] % len(srcs)
		l.rr[dest]++
	}
	now := l.now()
	for i := range srcs {
		src := srcs[(start+i)%len(srcs)]
		k := limitKey{dest: dest}
		if dl.perIP {
			k.ip = ip
		}
		if dl.perSrc {
			k.src = src
		}
		if l.conns[k] >= dl.conns {
			l.connFull(k, dl, now)
			continue
		}
		var e *winEntry
		if dl.rcpts > 0 {
			w := l.window(k, dl)
			if w.room(dl.rcpts, now) < n {
				l.rcptFull(k, dl)
				continue
			}
			e = w.add(n, now)
		}
		l.conns[k]++
		return lease{key: k, src: src}, e, true
	}
	return lease{}, nil, false
}

// connFull logs that a key has every connection it may have, at most
// once a minute for each key.
func (l *limiter) connFull(k limitKey, dl destLimits, now time.Time) {
	if t, ok := l.logged[k]; ok && now.Sub(t) < time.Minute && !now.Before(t) {
		return
	}
	l.logged[k] = now
	l.log.Info("Maximum outbound connections (%d) reached for %s", dl.conns, k)
}

// noteFull logs the keys of a destination whose connections are all
// taken: the scheduler calls it when a due item waits for a worker.
func (l *limiter) noteFull(dest string, dl destLimits) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range l.keys(dest, dl) {
		if l.conns[k] >= dl.conns {
			l.connFull(k, dl, now)
		}
	}
}

// reserve makes room for up to n recipients on a connection's key (the
// scheduler, before it hands an open connection another message): it
// returns how many, and their entry (nil without a recipient limit).
// Recipients admitted for attempts that have not placed their connection
// yet keep their room.
func (l *limiter) reserve(k limitKey, dl destLimits, n int) (int, *winEntry) {
	if dl.rcpts == 0 {
		return n, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.window(k, dl)
	n = min(n, w.room(dl.rcpts, now)-l.pending[k.dest])
	if n < 0 {
		n = 0
	}
	if n == 0 {
		l.rcptFull(k, dl)
		return 0, nil
	}
	return n, w.add(n, now)
}

// settle records what an attempt delivered against its reservation.
func (l *limiter) settle(k limitKey, e *winEntry, delivered int) {
	if e == nil {
		return
	}
	l.mu.Lock()
	if w := l.wins[k]; w != nil {
		w.settle(e, delivered)
	}
	l.signal()
	l.mu.Unlock()
}

// release gives a connection's slot back.
func (l *limiter) release(k limitKey) {
	l.mu.Lock()
	if l.conns[k]--; l.conns[k] <= 0 {
		delete(l.conns, k)
	}
	l.signal()
	l.mu.Unlock()
}

// wait blocks until a slot or a window of dest may have freed, or ctx
// ends (false).
func (l *limiter) wait(ctx context.Context, dest string, dl destLimits) bool {
	l.mu.Lock()
	ch := l.changed
	var open time.Time
	if dl.rcpts > 0 {
		for _, k := range l.keys(dest, dl) {
			if w := l.wins[k]; w != nil {
				if o := w.opens(); !o.IsZero() && (open.IsZero() || o.Before(open)) {
					open = o
				}
			}
		}
	}
	now := l.now()
	l.mu.Unlock()
	var tc <-chan time.Time
	if !open.IsZero() {
		t := time.NewTimer(max(open.Sub(now), time.Millisecond))
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-ch:
	case <-tc:
	case <-ctx.Done():
		return false
	}
	return true
}

// resumed clears the "Maximum recipients" notes of keys whose windows
// have room again, so that the next time one fills it is said again.
func (l *limiter) resumed(dest string, dl destLimits) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.signal() // attempts waiting for a window look again
	now := l.now()
	for k := range l.rcptLog {
		if k.dest != dest {
			continue
		}
		if w := l.wins[k]; w == nil || w.room(dl.rcpts, now) > 0 {
			delete(l.rcptLog, k)
		}
	}
}

// KeyState is the live state of one limit key, for hoststatus and
// destconfig detail.
type KeyState struct {
	IP, Source  string // "" when the key is not per address or per source
	Connections int
	WindowUsed  int // recipients in the current window
}

// state lists the keys of dest that hold a connection or a window entry.
func (l *limiter) state(dest string, dl destLimits) []KeyState {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	seen := map[limitKey]bool{}
	var out []KeyState
	add := func(k limitKey) {
		if seen[k] || k.dest != dest {
			return
		}
		seen[k] = true
		ks := KeyState{Connections: l.conns[k]}
		if k.ip.IsValid() {
			ks.IP = k.ip.String()
		}
		if k.src.IsValid() {
			ks.Source = k.src.String()
		}
		if w := l.wins[k]; w != nil && dl.rcpts > 0 {
			w.expire(now)
			ks.WindowUsed = w.used
		}
		out = append(out, ks)
	}
	for k := range l.conns {
		add(k)
	}
	for k, w := range l.wins {
		if len(w.entries) > 0 {
			add(k)
		}
	}
	slices.SortFunc(out, func(a, b KeyState) int {
		if c := strings.Compare(a.IP, b.IP); c != 0 {
			return c
		}
		return strings.Compare(a.Source, b.Source)
	})
	return out
}

// forget drops what the limiter holds for a destination that has left
// the scheduler: empty windows and its route's addresses.
func (l *limiter) forget(dest string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for k, w := range l.wins {
		if k.dest == dest {
			if w.expire(now); len(w.entries) == 0 {
				delete(l.wins, k)
			}
		}
	}
	for k := range l.logged {
		if k.dest == dest {
			delete(l.logged, k)
		}
	}
	delete(l.ips, dest)
	delete(l.rr, dest)
}

// dial connects to addr, from src when it is valid (destconfig
// source_ip).
func (x *Delivery) dial(ctx context.Context, src netip.Addr, addr string) (net.Conn, error) {
	if !src.IsValid() {
		return x.d.Dial(ctx, "tcp", addr)
	}
	return x.d.DialFrom(ctx, src, "tcp", addr)
}
