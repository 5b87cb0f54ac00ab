package mailapi

import (
	"strings"
	"time"
)

// The requests of the system and diagnostic commands (topin, hostrate,
// nslookup, suspend): shell/syscmds.go asks, mta/syscmd.go answers.

// TopInOrder is topin's sort order.
type TopInOrder int

// topin sort orders, as its menu numbers them.
const (
	ByConnectionsIn TopInOrder = iota + 1 // current inbound connections (AsyncOS's)
	ByMessagesIn                          // messages received since start
)

// Valid reports whether o is one of the orders above.
func (o TopInOrder) Valid() bool { return o == ByConnectionsIn || o == ByMessagesIn }

// HostSample is one recipient host's counters at one moment, for
// hostrate's rows: the shell prints the differences between samples.
type HostSample struct {
	At time.Time
	// Status is "up", "down" or "unknown" (no delivery tried yet), as
	// hostrate's Host Status column shows it.
	Status                 string
	ConnOut, Active        int64 // gauges
	Delivered, HardBounced int64 // recipients, since start
	SoftBounced            int64 // events, since start
}

// LookupType is a DNS record type nslookup asks for.
type LookupType string

// The record types nslookup asks for.
var LookupTypes = []LookupType{"A", "AAAA", "MX", "TXT", "PTR"}

// ParseLookupType returns the type named s (any case), or false.
func ParseLookupType(s string) (LookupType, bool) {
	for _, t := range LookupTypes {
		if strings.EqualFold(s, string(t)) {
			return t, true
		}
	}
	return "", false
}
