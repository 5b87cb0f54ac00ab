package store

// ListenerSetup is listenerconfig's global SETUP: settings of all the
// listeners together. AsyncOS asks more there (a global TLS connection
// limit, header line and subject length limits, SenderBase caching, the
// injection control counter reset period, timeouts for inbound
// connections, the Received: hostname, Message-ID stamping, HAT delayed
// rejection); seg keeps only what it enforces, and listenerconfig's
// SETUP says what it does about each of the others.
type ListenerSetup struct {
	// MaxConcurrency bounds the inbound connections of all listeners
	// together (AsyncOS's "global limit for concurrent connections");
	// a connection over it is refused with 421 before the HAT, as one
	// over a listener's own max_concurrency is. 0: no global limit,
	// each listener's max_concurrency alone.
	MaxConcurrency int `json:"max_concurrency,omitempty"`
}

// MaxGlobalConcurrency is the highest global connection limit: each
// listener takes at most 10000 (listenerconfig LIMITS), and AsyncOS's
// own global limit stops at 50000.
const MaxGlobalConcurrency = 50000

func (c *Config) validateListenerSetup(p *problems) {
	if n := c.ListenerSetup.MaxConcurrency; n < 0 || n > MaxGlobalConcurrency {
		p.add("listener setup: max_concurrency %d must be from 0 (no global limit) to %d", n, MaxGlobalConcurrency)
	}
}
