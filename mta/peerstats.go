package mta

import (
	"seg/internal/mailapi"
	"seg/mta/report"
)

// PeerStats is what this machine publishes to its cluster for `status
// --cluster` and `tophosts --cluster` (SPEC 14): status' counters and
// gauges and every tophosts row, from one counters snapshot and
// statusInfo, turned into the published form by the functions status
// and tophosts print from (mta/report), so that the cluster's sum over
// one machine is what that machine's own status shows. machine is the
// machine's name in the cluster.
func (m *MTA) PeerStats(machine string) mailapi.PeerStats {
	info := m.statusInfo()
	s := m.counters.Snapshot()
	sys := info.SystemStatus
	if sys == "" {
		sys = "Online" // as status prints it (report.Status)
	}
	return mailapi.PeerStats{
		Machine:      machine,
		Taken:        s.Now,
		Start:        s.Start,
		ResetAt:      s.ResetAt,
		SystemStatus: sys,
		Oldest:       info.Oldest,
		Counters:     report.PeerCounters(s),
		Gauges:       report.PeerGauges(info),
		Hosts:        report.PeerHosts(s),
	}
}

// PeerStatsJSON is PeerStats encoded as the cluster node publishes it
// (mailapi.DecodePeerStats reads it back).
func (m *MTA) PeerStatsJSON(machine string) ([]byte, error) {
	return m.PeerStats(machine).Encode()
}
