package mta

import (
	"seg/internal/mailapi"
	"seg/mta/counters"
)

// PeerStats is what this machine publishes to its cluster for `status
// --cluster` and `tophosts --cluster` (SPEC 14): status' counters and
// gauges and every tophosts row, read once, as Status and TopHosts read
// them (one counters snapshot, statusInfo for the gauges), so that the
// cluster's sum of one machine is what that machine's own status shows.
// machine is the machine's name in the cluster.
func (m *MTA) PeerStats(machine string) mailapi.PeerStats {
	info := m.statusInfo()
	s := m.counters.Snapshot()
	p := mailapi.PeerStats{
		Machine:      machine,
		Taken:        s.Now,
		Start:        s.Start,
		ResetAt:      s.ResetAt,
		SystemStatus: info.SystemStatus,
		Oldest:       info.Oldest,
		Gauges: mailapi.PeerGauges{
			CurrentInbound:  info.CurrentInbound,
			CurrentOutbound: info.CurrentOutbound,
			Unattempted:     info.Unattempted,
			Attempted:       info.Attempted,
			WorkQueue:       info.WorkQueue,
			DeliveryQueue:   info.DeliveryQueue,
			Destinations:    info.Destinations,
			KilobytesUsed:   info.KilobytesUsed,
			KilobytesFree:   info.KilobytesFree,
		},
		Hosts: make([]mailapi.PeerHost, 0, len(s.Hosts)),
	}
	if p.SystemStatus == "" {
		p.SystemStatus = "Online" // as status prints it (report.Status)
	}
	for k, dst := range peerCounts(&p.Counters) {
		*dst = mailapi.PeerCount{
			Reset: s.Reset[k], Uptime: s.Uptime[k], Lifetime: s.Lifetime[k],
			Rate1: s.Rate1[k], Rate5: s.Rate5[k], Rate15: s.Rate15[k],
		}
	}
	for _, h := range s.Hosts {
		p.Hosts = append(p.Hosts, mailapi.PeerHost{
			Name: h.Name, Down: h.Down, Active: h.Active(), ConnOut: h.ConnOut,
			Delivered: h.Delivered, HardBounced: h.HardBounced, SoftBounced: h.SoftBounced,
		})
	}
	return p
}

// PeerStatsJSON is PeerStats encoded as the cluster node publishes it
// (mailapi.DecodePeerStats reads it back).
func (m *MTA) PeerStatsJSON(machine string) ([]byte, error) {
	return m.PeerStats(machine).Encode()
}

// peerCounts maps each of status' counters to its field of c (a test
// checks that none is left out).
func peerCounts(c *mailapi.PeerCounters) [counters.NumCounters]*mailapi.PeerCount {
	return [counters.NumCounters]*mailapi.PeerCount{
		counters.MessagesReceived:      &c.MessagesReceived,
		counters.RecipientsReceived:    &c.RecipientsReceived,
		counters.GenBounceRecipients:   &c.GenBounceRecipients,
		counters.RejectedRecipients:    &c.RejectedRecipients,
		counters.DroppedMessages:       &c.DroppedMessages,
		counters.SoftBouncedEvents:     &c.SoftBouncedEvents,
		counters.CompletedRecipients:   &c.CompletedRecipients,
		counters.HardBouncedRecipients: &c.HardBouncedRecipients,
		counters.DNSHardBounces:        &c.DNSHardBounces,
		counters.FiveXXHardBounces:     &c.FiveXXHardBounces,
		counters.ExpiredHardBounces:    &c.ExpiredHardBounces,
		counters.FilterHardBounces:     &c.FilterHardBounces,
		counters.OtherHardBounces:      &c.OtherHardBounces,
		counters.DeliveredRecipients:   &c.DeliveredRecipients,
		counters.DeletedRecipients:     &c.DeletedRecipients,
	}
}
