package shell

import (
	"fmt"
	"io"
	"sort"
	"strconv"
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
// last counter reset) are left out of the sum.

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
// the machines, a host marked down when a machine saw it down.
func clusterTopHosts(c *Ctx, w io.Writer, order mailapi.HostOrder) error {
	p, err := readPeers(c)
	if err != nil {
		return err
	}
	byName := map[string]*mailapi.PeerHost{}
	var hosts []*mailapi.PeerHost
	for _, s := range p.stats {
		for _, h := range s.Hosts {
			t := byName[h.Name]
			if t == nil {
				t = &mailapi.PeerHost{Name: h.Name}
				byName[h.Name] = t
				hosts = append(hosts, t)
			}
			t.Down = t.Down || h.Down
			t.Active += h.Active
			t.ConnOut += h.ConnOut
			t.Delivered += h.Delivered
			t.HardBounced += h.HardBounced
			t.SoftBounced += h.SoftBounced
		}
	}
	val := func(h *mailapi.PeerHost) int64 {
		switch order {
		case mailapi.ByConnectionsOut:
			return h.ConnOut
		case mailapi.ByDeliveredRecipients:
			return h.Delivered
		case mailapi.ByHardBounced:
			return h.HardBounced
		case mailapi.BySoftBounced:
			return h.SoftBounced
		}
		return h.Active
	}
	sort.SliceStable(hosts, func(i, j int) bool {
		if vi, vj := val(hosts[i]), val(hosts[j]); vi != vj {
			return vi > vj
		}
		return hosts[i].Name < hosts[j].Name
	})
	if len(hosts) > 20 {
		hosts = hosts[:20]
	}
	var b strings.Builder
	p.header(&b)
	fmt.Fprintf(&b, "Status as of:                   %s\n", c.stamp(p.newest))
	b.WriteString("Hosts marked with '*' were down as of the last delivery attempt.\n")
	b.WriteString("                                        Active   Conn.   Deliv.     Soft     Hard\n")
	b.WriteString("#    Recipient Host                     Recip.   Out     Recip.   Bounced  Bounced\n")
	for i, h := range hosts {
		rank := strconv.Itoa(i + 1)
		if h.Down {
			rank += "*"
		}
		fmt.Fprintf(&b, "%-5s%-35s%6s%8s%9s%9s%9s\n", rank, h.Name,
			mailapi.Comma(h.Active), mailapi.Comma(h.ConnOut), mailapi.Comma(h.Delivered), mailapi.Comma(h.SoftBounced), mailapi.Comma(h.HardBounced))
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// statusRow is one counter line of status, with where its value is.
type statusRow struct {
	indent int
	label  string
	get    func(*mailapi.PeerCounters) *mailapi.PeerCount
}

// clusterStatusRows are status' counter sections (mta/report.Status).
var clusterStatusRows = []struct {
	section string
	rows    []statusRow
}{
	{"Receiving", []statusRow{
		{4, "Messages Received", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.MessagesReceived }},
		{4, "Recipients Received", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.RecipientsReceived }},
		{4, "Gen. Bounce Recipients", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.GenBounceRecipients }},
	}},
	{"Rejection", []statusRow{
		{4, "Rejected Recipients", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.RejectedRecipients }},
		{4, "Dropped Messages", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.DroppedMessages }},
	}},
	{"Queue", []statusRow{
		{4, "Soft Bounced Events", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.SoftBouncedEvents }},
	}},
	{"Completion", []statusRow{
		{4, "Completed Recipients", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.CompletedRecipients }},
		{6, "Hard Bounced Recipients", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.HardBouncedRecipients }},
		{8, "DNS Hard Bounces", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.DNSHardBounces }},
		{8, "5XX Hard Bounces", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.FiveXXHardBounces }},
		{8, "Expired Hard Bounces", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.ExpiredHardBounces }},
		{8, "Filter Hard Bounces", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.FilterHardBounces }},
		{8, "Other Hard Bounces", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.OtherHardBounces }},
		{6, "Delivered Recipients", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.DeliveredRecipients }},
		{6, "Deleted Recipients", func(p *mailapi.PeerCounters) *mailapi.PeerCount { return &p.DeletedRecipients }},
	}},
}

// rateRowLabels are the counters status detail shows rates of.
var rateRowLabels = map[string]int{
	"Messages Received": 2, "Recipients Received": 2, "Soft Bounced Events": 2,
	"Completed Recipients": 2, "Hard Bounced Recipients": 4, "Delivered Recipients": 4,
}

// clusterStatus is status --cluster.
func clusterStatus(c *Ctx, w io.Writer, detail bool) error {
	p, err := readPeers(c)
	if err != nil {
		return err
	}
	var cnt mailapi.PeerCounters
	var g mailapi.PeerGauges
	var oldest time.Time
	var states []string
	for _, s := range p.stats {
		for _, sec := range clusterStatusRows {
			for _, r := range sec.rows {
				to, from := r.get(&cnt), r.get(&s.Counters)
				to.Reset += from.Reset
				to.Uptime += from.Uptime
				to.Lifetime += from.Lifetime
				to.Rate1 += from.Rate1
				to.Rate5 += from.Rate5
				to.Rate15 += from.Rate15
			}
		}
		g.CurrentInbound += s.Gauges.CurrentInbound
		g.CurrentOutbound += s.Gauges.CurrentOutbound
		g.Unattempted += s.Gauges.Unattempted
		g.Attempted += s.Gauges.Attempted
		g.WorkQueue += s.Gauges.WorkQueue
		g.DeliveryQueue += s.Gauges.DeliveryQueue
		g.Destinations += s.Gauges.Destinations
		g.KilobytesUsed += s.Gauges.KilobytesUsed
		g.KilobytesFree += s.Gauges.KilobytesFree
		if !s.Oldest.IsZero() && (oldest.IsZero() || s.Oldest.Before(oldest)) {
			oldest = s.Oldest
		}
		sys := s.SystemStatus
		if sys == "" {
			sys = "Online"
		}
		states = append(states, s.Machine+": "+sys)
	}
	var b strings.Builder
	p.header(&b)
	old := "No Messages"
	if !oldest.IsZero() {
		old = mailapi.Age(p.newest.Sub(oldest))
	}
	fmt.Fprintf(&b, "Status as of:                  %s\n", c.stamp(p.newest))
	for i, s := range states {
		label := "System status:"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(&b, "%-31s%s\n", label, s)
	}
	fmt.Fprintf(&b, "Oldest Message:                %s\n\n", old)
	line := func(indent int, label string, cols ...string) {
		if len(cols) == 0 {
			fmt.Fprintf(&b, "%s%s\n", strings.Repeat(" ", indent), label)
			return
		}
		fmt.Fprintf(&b, "%-34s", strings.Repeat(" ", indent)+label)
		for _, col := range cols {
			fmt.Fprintf(&b, "%13s", col)
		}
		b.WriteString("\n")
	}
	line(0, "Counters:", "Reset", "Uptime", "Lifetime")
	for _, sec := range clusterStatusRows {
		line(2, sec.section)
		for _, r := range sec.rows {
			v := r.get(&cnt)
			line(r.indent, r.label, mailapi.Comma(v.Reset), mailapi.Comma(v.Uptime), mailapi.Comma(v.Lifetime))
		}
	}
	b.WriteString("\n")
	if detail {
		line(0, "Rates (Events Per Hour):", "1-Minute", "5-Minutes", "15-Minutes")
		for _, sec := range clusterStatusRows {
			for _, r := range sec.rows {
				if indent, ok := rateRowLabels[r.label]; ok {
					v := r.get(&cnt)
					line(indent, r.label, mailapi.Comma(v.Rate1), mailapi.Comma(v.Rate5), mailapi.Comma(v.Rate15))
				}
			}
		}
		b.WriteString("\n")
	}
	line(0, "Gauges:", "Current")
	line(2, "Connections")
	line(4, "Current Inbound Conn.", mailapi.Comma(g.CurrentInbound))
	line(4, "Current Outbound Conn.", mailapi.Comma(g.CurrentOutbound))
	line(2, "Queue")
	line(4, "Active Recipients", mailapi.Comma(g.Unattempted+g.Attempted))
	line(6, "Unattempted Recipients", mailapi.Comma(g.Unattempted))
	line(6, "Attempted Recipients", mailapi.Comma(g.Attempted))
	line(4, "Messages In Work Queue", mailapi.Comma(g.WorkQueue))
	line(4, "Messages In Delivery Queue", mailapi.Comma(g.DeliveryQueue))
	line(4, "Destinations In Memory", mailapi.Comma(g.Destinations))
	line(4, "Kilobytes Used", mailapi.Comma(g.KilobytesUsed))
	line(4, "Kilobytes Free", mailapi.Comma(g.KilobytesFree))
	_, err = io.WriteString(w, b.String())
	return err
}
