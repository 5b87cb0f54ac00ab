package dns

import (
	"sync"
	"time"
)

// Stat names one of dnsstatus' counters.
type Stat int

// The resolver counters, in dnsstatus' order (AsyncOS's status log names
// them DnsReq, NetReq, CchHit, CchMis, CchEct, CchExp).
const (
	// Requests are lookups asked of the resolver (one per record type).
	Requests Stat = iota
	// NetRequests are queries sent to a name server (retries and the
	// next server after a failure each count).
	NetRequests
	// CacheHits are lookups answered from the cache, negative answers
	// (NXDOMAIN, no records) included.
	CacheHits
	// CacheMisses are lookups the cache could not answer.
	CacheMisses
	// CacheExceptions are lookups that ended in a temporary failure
	// (timeout, unreachable server, SERVFAIL, REFUSED): never cached.
	CacheExceptions
	// CacheExpired are lookups whose cached answer had outlived its TTL.
	CacheExpired
	NumStats
)

// StatNames are the counters' dnsstatus labels.
var StatNames = [NumStats]string{"DNS Requests", "Network Requests", "Cache Hits", "Cache Misses", "Cache Exceptions", "Cache Expired"}

// Stats counts what the resolvers did since start and since the last
// reset (resetcounters). One Stats serves every Client a Resolvers makes,
// so a dnsconfig commit does not zero it. Safe for concurrent use; a nil
// *Stats counts nothing.
type Stats struct {
	mu      sync.Mutex
	resetAt time.Time
	reset   [NumStats]int64
	uptime  [NumStats]int64
}

func (s *Stats) add(k Stat) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.reset[k]++
	s.uptime[k]++
	s.mu.Unlock()
}

// StatsSnapshot is a copy of the counters.
type StatsSnapshot struct {
	ResetAt       time.Time // zero: never reset
	Reset, Uptime [NumStats]int64
}

// Snapshot copies the counters.
func (s *Stats) Snapshot() StatsSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return StatsSnapshot{ResetAt: s.resetAt, Reset: s.reset, Uptime: s.uptime}
}

// Reset zeroes the Reset column at now.
func (s *Stats) Reset(now time.Time) {
	s.mu.Lock()
	s.reset = [NumStats]int64{}
	s.resetAt = now
	s.mu.Unlock()
}
