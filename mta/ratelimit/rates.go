package ratelimit

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Rates are the MTA's inbound counters (SPEC 10): recipients and invalid
// recipients per client per hour, and recipients per envelope sender
// over each interval a policy names.
type Rates struct {
	now func() time.Time

	// HostRcpts counts accepted recipients per client key
	// (max_rcpts_per_hour).
	HostRcpts *Window
	// Invalid counts recipients the RAT refused per client key
	// (directory harvest prevention, dhap_limit).
	Invalid *Window

	mu      sync.Mutex
	senders map[time.Duration]*Window // by sender_rate_minutes
}

// NewRates returns empty counters on the clock now.
func NewRates(now func() time.Time) *Rates {
	return &Rates{
		now:       now,
		HostRcpts: New(now, time.Hour, 0),
		Invalid:   New(now, time.Hour, 0),
		senders:   map[time.Duration]*Window{},
	}
}

// Senders is the per-sender window of the given length; policies that
// name the same interval share it.
func (r *Rates) Senders(window time.Duration) *Window {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.senders[window]
	if w == nil {
		w = New(r.now, window, 0)
		r.senders[window] = w
	}
	return w
}

// HostKey is the counter key of a client: its address, or with useSB off
// the CIDR block of its sigBits most significant bits (SPEC 4.2: sig_bits
// groups hosts by the similarity of their addresses, as AsyncOS does
// when SenderBase does not). sig_bits counts IPv4 bits (0-32); an IPv6
// client is grouped by the same number of bits past the first 96, so
// that 24 makes a /120.
func HostKey(ip netip.Addr, useSB bool, sigBits int) string {
	ip = ip.Unmap()
	if useSB || !ip.IsValid() {
		return ip.String()
	}
	bits := sigBits
	if ip.Is6() {
		bits += 96
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return ip.String()
	}
	return p.String()
}

// SenderKey is the counter key of an envelope sender: the address,
// case-folded ("" for the null sender).
func SenderKey(addr string) string { return strings.ToLower(addr) }
