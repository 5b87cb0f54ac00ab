// Package ratelimit holds seg's inbound rate counters (SPEC 4.2, 10):
// sliding windows of events per key (a client IP or CIDR block, an
// envelope sender), on the clock seam. One set lives in the MTA for the
// life of the process, so every listener counts into the same windows
// and a commit changes the limits applied, never the counts.
package ratelimit

import (
	"sync"
	"time"
)

// buckets is how many slices a window is cut into: a window of one hour
// slides by the minute. An event leaves the count between window and
// window+window/buckets after it happened.
const buckets = 60

// DefaultMaxKeys bounds the keys one Window tracks: 60 four-byte buckets
// each, about 20 MB at the bound.
const DefaultMaxKeys = 1 << 16

// Window counts events per key over a sliding window. It is safe for
// concurrent use.
type Window struct {
	now     func() time.Time
	width   time.Duration // of one bucket
	maxKeys int

	mu        sync.Mutex
	keys      map[string]*series
	nextSweep int64 // bucket number of the next sweep of idle keys
}

// series is one key's counts: counts[b%buckets] holds bucket b's events,
// for buckets last-buckets+1 .. last.
type series struct {
	last   int64
	counts [buckets]uint32
}

// New returns a Window of the given length (at least one second per
// bucket) tracking at most maxKeys keys (DefaultMaxKeys when <= 0).
func New(now func() time.Time, window time.Duration, maxKeys int) *Window {
	if now == nil {
		now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	width := window / buckets
	if width < time.Second {
		width = time.Second
	}
	return &Window{now: now, width: width, maxKeys: maxKeys, keys: map[string]*series{}}
}

func (w *Window) bucket() int64 { return w.now().UnixNano() / int64(w.width) }

// Count is key's events in the window.
func (w *Window) Count(key string) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.keys[key]
	if s == nil {
		return 0
	}
	return s.sum(w.bucket())
}

// Add counts n events for key now (a negative n takes back events
// counted in the current bucket) and returns key's count in the
// window, those included. A key the Window has no room for (maxKeys
// live keys, none idle) is not tracked: Add returns n, so a flood of
// new addresses costs bounded memory and each is judged on its own
// events only.
func (w *Window) Add(key string, n int64) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.add(w.bucket(), key, n)
}

// Allow adds one event for key when key's count is below limit, and
// reports whether it did; a negative limit is no limit.
func (w *Window) Allow(key string, limit int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.bucket()
	if s := w.keys[key]; limit >= 0 && s != nil && s.sum(b) >= limit {
		return false
	}
	if limit == 0 {
		return false
	}
	w.add(b, key, 1)
	return true
}

func (w *Window) add(b int64, key string, n int64) int64 {
	w.sweep(b)
	s := w.keys[key]
	if s == nil {
		if len(w.keys) >= w.maxKeys {
			return n
		}
		s = &series{last: b}
		w.keys[key] = s
	}
	s.advance(b)
	c := &s.counts[s.last%buckets]
	*c = uint32(max(0, int64(*c)+n))
	return s.sum(b)
}

// Len is how many keys the Window tracks.
func (w *Window) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.keys)
}

// sweep drops the keys with no event in the window, once per bucket.
func (w *Window) sweep(b int64) {
	if b < w.nextSweep {
		return
	}
	w.nextSweep = b + 1
	for k, s := range w.keys {
		if b-s.last >= buckets {
			delete(w.keys, k)
		}
	}
}

// advance clears the buckets between s.last and b: their events left
// the window.
func (s *series) advance(b int64) {
	if b <= s.last {
		return
	}
	if b-s.last >= buckets {
		s.counts = [buckets]uint32{}
	} else {
		for i := s.last + 1; i <= b; i++ {
			s.counts[i%buckets] = 0
		}
	}
	s.last = b
}

// sum is the events in the buckets b-buckets+1 .. b.
func (s *series) sum(b int64) int64 {
	if b < s.last {
		b = s.last // the clock went back: count what we have
	}
	if b-s.last >= buckets {
		return 0
	}
	var n int64
	for i := b - buckets + 1; i <= s.last; i++ {
		if i >= 0 {
			n += int64(s.counts[i%buckets])
		}
	}
	return n
}
