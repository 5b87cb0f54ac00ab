package segtest

import (
	"sync"
	"time"
)

// Clock is a fake clock that a test moves by hand: its Now goes where
// the code under test takes a time seam (a Now func() time.Time). It is
// safe for concurrent use: the code reads it while the test advances it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock that reads t0 until it is advanced.
func NewClock(t0 time.Time) *Clock { return &Clock{t: t0} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock d forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
