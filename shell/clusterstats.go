package shell

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"seg/internal/mailapi"
)

// status --cluster and tophosts --cluster (SPEC 14): the sum over the
// machines that are up of what each publishes (mailapi.PeerStats, read
// through Cluster.Peers), in the single-machine reports' layout
// (mta/report), under a line naming the machines summed and those left
// out. Queues and counters stay per machine: these are reading views.
// Per-machine values that do not add up (the current IDs, up since, the
// last counter reset) are left out of the sum; the system status is
// given per machine.

// peerSum is what the machines that are up published, decoded.
type peerSum struct {
	name    string              // the cluster's name
	stats   []mailapi.PeerStats // in machine name order
	leftOut []string            // machines down, or whose statistics are unreadable, with why
	newest  time.Time           // the latest Taken
}

// readPeers gathers the statistics of the cluster's machines.
func readPeers(c *Ctx) (peerSum, error) {
	cl, st, err := clustered(c)
	if err != nil {
		return peerSum{}, err
	}
	ms, err := cl.Machines()
	if err != nil {
		return peerSum{}, clusterErr(err)
	}
	peers, err := cl.Peers()
	if err != nil {
		return peerSum{}, clusterErr(err)
	}
	sum := peerSum{name: st.Name}
	seen := map[string]bool{}
	for _, p := range peers {
		ps, err := mailapi.DecodePeerStats(p.Stats)
		if err != nil {
			sum.leftOut = append(sum.leftOut, fmt.Sprintf("%s (%v)", p.Machine, err))
			seen[p.Machine] = true
			continue
		}
		seen[p.Machine] = true
		sum.stats = append(sum.stats, ps)
		if ps.Taken.After(sum.newest) {
			sum.newest = ps.Taken
		}
	}
	for _, m := range ms {
		if !seen[m.Name] {
			why := "down"
			if m.Up {
				why = "no statistics published yet"
			}
			sum.leftOut = append(sum.leftOut, fmt.Sprintf("%s (%s)", m.Name, why))
		}
	}
	sort.Slice(sum.stats, func(i, j int) bool { return sum.stats[i].Machine < sum.stats[j].Machine })
	sort.Strings(sum.leftOut)
	if len(sum.stats) == 0 {
		// A table of zeros would read as an idle cluster.
		return sum, Errorf("No machine of cluster %s has published its statistics (left out: %s).", st.Name, strings.Join(sum.leftOut, ", "))
	}
	return sum, nil
}

// header names the machines summed and those left out.
func (p peerSum) header(w io.Writer) {
	names := make([]string, len(p.stats))
	for i, s := range p.stats {
		names[i] = s.Machine
	}
	fmt.Fprintf(w, "Cluster %s: %s up", p.name, Plural(len(names), "machine", "machines"))
	if len(names) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(names, ", "))
	}
	fmt.Fprintln(w)
	if len(p.leftOut) > 0 {
		fmt.Fprintf(w, "Left out: %s\n", strings.Join(p.leftOut, ", "))
	}
}

// stamp is the reports' time stamp, in the session's zone.
func (c *Ctx) stamp(t time.Time) string {
	loc := c.S.Loc
	if loc == nil {
		loc = time.Local
	}
	return mailapi.Stamp(t.In(loc))
}

// clusterTopHosts is tophosts --cluster: each host's rows summed over
// the machines.
func clusterTopHosts(c *Ctx, w io.Writer, order mailapi.HostOrder) error {
	p, err := readPeers(c)
	if err != nil {
		return err
	}
	hosts := make([][]mailapi.PeerHost, len(p.stats))
	for i, s := range p.stats {
		hosts[i] = s.Hosts
	}
	var b strings.Builder
	p.header(&b)
	fmt.Fprintf(&b, "Status as of:                   %s\n", c.stamp(p.newest))
	b.WriteString(mailapi.TopHostsBody(mailapi.SumHosts(hosts...), order))
	_, err = io.WriteString(w, b.String())
	return err
}

// clusterStatus is status --cluster: each machine's system status, the
// oldest message of all, the counters and gauges summed.
func clusterStatus(c *Ctx, w io.Writer, detail bool) error {
	p, err := readPeers(c)
	if err != nil {
		return err
	}
	var cnt mailapi.PeerCounters
	var g mailapi.PeerGauges
	var oldest time.Time
	var b strings.Builder
	p.header(&b)
	fmt.Fprintf(&b, "Status as of:                  %s\n", c.stamp(p.newest))
	for i, s := range p.stats {
		cnt.Add(s.Counters)
		g.Add(s.Gauges)
		if !s.Oldest.IsZero() && (oldest.IsZero() || s.Oldest.Before(oldest)) {
			oldest = s.Oldest
		}
		sys := s.SystemStatus
		if sys == "" {
			sys = "Online"
		}
		label := ""
		if i == 0 {
			label = "System status:"
		}
		fmt.Fprintf(&b, "%-31s%s: %s\n", label, s.Machine, sys)
	}
	old := "No Messages"
	if !oldest.IsZero() {
		old = mailapi.Age(p.newest.Sub(oldest))
	}
	fmt.Fprintf(&b, "Oldest Message:                %s\n\n", old)
	b.WriteString(mailapi.StatusBody(cnt, nil, g, detail))
	_, err = io.WriteString(w, b.String())
	return err
}
