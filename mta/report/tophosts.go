package report

import (
	"fmt"

	"seg/internal/mailapi"
	"seg/mta/counters"
)

// TopHostsSorts are the tophosts sort keys, 1-based, in menu order.
var TopHostsSorts = []string{
	"Active Recipients",
	"Connections Out",
	"Delivered Recipients",
	"Hard Bounced Recipients",
	"Soft Bounced Events",
}

// PeerHosts are s's hosts as tophosts prints them (and as a cluster
// machine publishes them, mailapi.PeerStats).
func PeerHosts(s counters.Snapshot) []mailapi.PeerHost {
	out := make([]mailapi.PeerHost, len(s.Hosts))
	for i, h := range s.Hosts {
		out[i] = mailapi.PeerHost{Name: h.Name, Down: h.Down, Active: h.Active(), ConnOut: h.ConnOut,
			Delivered: h.Delivered, HardBounced: h.HardBounced, SoftBounced: h.SoftBounced}
	}
	return out
}

// TopHosts prints the 20 busiest destinations sorted by key (1-5).
func TopHosts(s counters.Snapshot, key int) string {
	return fmt.Sprintf("Status as of:                   %s\n", Stamp(s.Now)) +
		mailapi.TopHostsBody(PeerHosts(s), mailapi.HostOrder(key))
}
