package dns

import (
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// Cache bounds: answers live for their TTL, but never longer than an hour
// (a changed MX shows within that) and negative answers at most five
// minutes (RFC 2308 allows more; a new domain should work soon).
const (
	maxTTL      = 3600
	maxNegTTL   = 300
	defaultNegT = 60
)

type cacheKey struct {
	name string
	typ  uint16
}

type cacheEntry struct {
	rrs     []mdns.RR // nil: negative answer with code
	ad      bool      // the answer had the AD bit
	code    Code
	expires time.Time
}

// cache is a small TTL cache of answers. Temporary failures are never
// cached: the next attempt asks again.
type cache struct {
	mu   sync.Mutex
	now  func() time.Time
	max  int
	data map[cacheKey]cacheEntry
}

func newCache(now func() time.Time, max int) *cache {
	return &cache{now: now, max: max, data: map[cacheKey]cacheEntry{}}
}

// lookup returns the cached answer for k, if any, and whether an entry
// was found expired (dnsstatus' Cache Expired), which it drops.
func (c *cache) lookup(k cacheKey) (rrs []mdns.RR, ad bool, code Code, ok, expired bool) {
	if c == nil {
		return nil, false, 0, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.data[k]
	if !found {
		return nil, false, 0, false, false
	}
	if !c.now().Before(e.expires) {
		delete(c.data, k)
		return nil, false, 0, false, true
	}
	return e.rrs, e.ad, e.code, true, false
}

func (c *cache) put(k cacheKey, rrs []mdns.RR, ad bool, ttl uint32) {
	c.store(k, cacheEntry{rrs: rrs, ad: ad}, min(ttl, maxTTL))
}

func (c *cache) putNegative(k cacheKey, code Code, ttl uint32) {
	if ttl == 0 {
		ttl = defaultNegT
	}
	c.store(k, cacheEntry{code: code}, min(ttl, maxNegTTL))
}

func (c *cache) store(k cacheKey, e cacheEntry, ttl uint32) {
	if c == nil || ttl == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.data) >= c.max {
		// Drop what has expired; if that is not enough, start over: a
		// cache this small is cheap to refill.
		for key, old := range c.data {
			if !now.Before(old.expires) {
				delete(c.data, key)
			}
		}
		if len(c.data) >= c.max {
			clear(c.data)
		}
	}
	e.expires = now.Add(time.Duration(ttl) * time.Second)
	c.data[k] = e
}
