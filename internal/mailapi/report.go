package mailapi

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The bodies of the status and tophosts reports, in AsyncOS's layout:
// mta/report prints one machine's from its counters, the shell a
// cluster's sums (status --cluster, tophosts --cluster) from the
// machines' PeerStats, with these same functions, so that the two cannot
// drift apart. The headers above them differ (one machine's IDs and
// uptime; the machines a sum covers) and are each side's own.

// StatusRow is one counter line of status: its indent, its label and
// where its value is.
type StatusRow struct {
	Indent int
	Label  string
	Get    func(*PeerCounters) *PeerCount
}

// StatusSection is a titled group of counter lines.
type StatusSection struct {
	Title string
	Rows  []StatusRow
}

func row(indent int, label string, get func(*PeerCounters) *PeerCount) StatusRow {
	return StatusRow{indent, label, get}
}

// StatusSections are status' Counters sections, in AsyncOS's order.
func StatusSections() []StatusSection {
	return []StatusSection{
		{"Receiving", []StatusRow{
			row(4, "Messages Received", func(p *PeerCounters) *PeerCount { return &p.MessagesReceived }),
			row(4, "Recipients Received", func(p *PeerCounters) *PeerCount { return &p.RecipientsReceived }),
			row(4, "Gen. Bounce Recipients", func(p *PeerCounters) *PeerCount { return &p.GenBounceRecipients }),
		}},
		{"Rejection", []StatusRow{
			row(4, "Rejected Recipients", func(p *PeerCounters) *PeerCount { return &p.RejectedRecipients }),
			row(4, "Dropped Messages", func(p *PeerCounters) *PeerCount { return &p.DroppedMessages }),
		}},
		{"Queue", []StatusRow{
			row(4, "Soft Bounced Events", func(p *PeerCounters) *PeerCount { return &p.SoftBouncedEvents }),
		}},
		{"Completion", []StatusRow{
			row(4, "Completed Recipients", func(p *PeerCounters) *PeerCount { return &p.CompletedRecipients }),
			row(6, "Hard Bounced Recipients", func(p *PeerCounters) *PeerCount { return &p.HardBouncedRecipients }),
			row(8, "DNS Hard Bounces", func(p *PeerCounters) *PeerCount { return &p.DNSHardBounces }),
			row(8, "5XX Hard Bounces", func(p *PeerCounters) *PeerCount { return &p.FiveXXHardBounces }),
			row(8, "Expired Hard Bounces", func(p *PeerCounters) *PeerCount { return &p.ExpiredHardBounces }),
			row(8, "Filter Hard Bounces", func(p *PeerCounters) *PeerCount { return &p.FilterHardBounces }),
			row(8, "Other Hard Bounces", func(p *PeerCounters) *PeerCount { return &p.OtherHardBounces }),
			row(6, "Delivered Recipients", func(p *PeerCounters) *PeerCount { return &p.DeliveredRecipients }),
			row(6, "Deleted Recipients", func(p *PeerCounters) *PeerCount { return &p.DeletedRecipients }),
		}},
	}
}

// rateRows are the counters status detail gives the rates of, in the
// sections' order, with the Rates section's indents.
func rateRows() []StatusRow {
	indent := map[string]int{
		"Messages Received": 2, "Recipients Received": 2, "Soft Bounced Events": 2,
		"Completed Recipients": 2, "Hard Bounced Recipients": 4, "Delivered Recipients": 4,
	}
	var out []StatusRow
	for _, sec := range StatusSections() {
		for _, r := range sec.Rows {
			if in, ok := indent[r.Label]; ok {
				r.Indent = in
				out = append(out, r)
			}
		}
	}
	return out
}

// Add adds o's counts to c's.
func (c *PeerCount) Add(o PeerCount) {
	c.Reset += o.Reset
	c.Uptime += o.Uptime
	c.Lifetime += o.Lifetime
	c.Rate1 += o.Rate1
	c.Rate5 += o.Rate5
	c.Rate15 += o.Rate15
}

// Add adds o's counters to c's.
func (c *PeerCounters) Add(o PeerCounters) {
	for _, sec := range StatusSections() {
		for _, r := range sec.Rows {
			r.Get(c).Add(*r.Get(&o))
		}
	}
}

// Add adds o's gauges to g's.
func (g *PeerGauges) Add(o PeerGauges) {
	g.CurrentInbound += o.CurrentInbound
	g.CurrentOutbound += o.CurrentOutbound
	g.Unattempted += o.Unattempted
	g.Attempted += o.Attempted
	g.WorkQueue += o.WorkQueue
	g.DeliveryQueue += o.DeliveryQueue
	g.Destinations += o.Destinations
	g.KilobytesUsed += o.KilobytesUsed
	g.KilobytesFree += o.KilobytesFree
}

// IDRow is a line of status' Current IDs (one machine's; a cluster's
// sum has none).
type IDRow struct {
	Label string
	Value int64
}

// StatusBody is status below its header: the Counters (with the
// Current IDs when ids is not empty), the Rates when detail, and the
// Gauges.
func StatusBody(c PeerCounters, ids []IDRow, g PeerGauges, detail bool) string {
	var b strings.Builder
	line := func(indent int, label string, cols ...string) {
		if len(cols) == 0 {
			fmt.Fprintf(&b, "%s%s\n", strings.Repeat(" ", indent), label)
			return
		}
		fmt.Fprintf(&b, "%-34s", strings.Repeat(" ", indent)+label)
		for _, c := range cols {
			fmt.Fprintf(&b, "%13s", c)
		}
		b.WriteString("\n")
	}
	line(0, "Counters:", "Reset", "Uptime", "Lifetime")
	for _, sec := range StatusSections() {
		line(2, sec.Title)
		for _, r := range sec.Rows {
			v := r.Get(&c)
			line(r.Indent, r.Label, Comma(v.Reset), Comma(v.Uptime), Comma(v.Lifetime))
		}
	}
	if len(ids) > 0 {
		line(2, "Current IDs")
		for _, id := range ids {
			line(4, id.Label, "", "", Comma(id.Value))
		}
	}
	b.WriteString("\n")
	if detail {
		line(0, "Rates (Events Per Hour):", "1-Minute", "5-Minutes", "15-Minutes")
		for _, r := range rateRows() {
			v := r.Get(&c)
			line(r.Indent, r.Label, Comma(v.Rate1), Comma(v.Rate5), Comma(v.Rate15))
		}
		b.WriteString("\n")
	}
	line(0, "Gauges:", "Current")
	line(2, "Connections")
	line(4, "Current Inbound Conn.", Comma(g.CurrentInbound))
	line(4, "Current Outbound Conn.", Comma(g.CurrentOutbound))
	line(2, "Queue")
	line(4, "Active Recipients", Comma(g.Unattempted+g.Attempted))
	line(6, "Unattempted Recipients", Comma(g.Unattempted))
	line(6, "Attempted Recipients", Comma(g.Attempted))
	line(4, "Messages In Work Queue", Comma(g.WorkQueue))
	line(4, "Messages In Delivery Queue", Comma(g.DeliveryQueue))
	line(4, "Destinations In Memory", Comma(g.Destinations))
	line(4, "Kilobytes Used", Comma(g.KilobytesUsed))
	line(4, "Kilobytes Free", Comma(g.KilobytesFree))
	return b.String()
}

// TopHostsBody is tophosts below its "Status as of" line: the 20
// busiest of hosts by order (ties by name), a '*' on those down. Column
// order is Active, Conn. Out, Delivered, Soft, Hard, as AsyncOS prints
// it (soft before hard, although the sort menu lists hard first).
func TopHostsBody(hosts []PeerHost, order HostOrder) string {
	hosts = append([]PeerHost(nil), hosts...)
	val := func(h PeerHost) int64 {
		switch order {
		case ByConnectionsOut:
			return h.ConnOut
		case ByDeliveredRecipients:
			return h.Delivered
		case ByHardBounced:
			return h.HardBounced
		case BySoftBounced:
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
	b.WriteString("Hosts marked with '*' were down as of the last delivery attempt.\n")
	b.WriteString("                                        Active   Conn.   Deliv.     Soft     Hard\n")
	b.WriteString("#    Recipient Host                     Recip.   Out     Recip.   Bounced  Bounced\n")
	for i, h := range hosts {
		rank := strconv.Itoa(i + 1)
		if h.Down {
			rank += "*"
		}
		fmt.Fprintf(&b, "%-5s%-35s%6s%8s%9s%9s%9s\n", rank, h.Name,
			Comma(h.Active), Comma(h.ConnOut), Comma(h.Delivered), Comma(h.SoftBounced), Comma(h.HardBounced))
	}
	return b.String()
}

// SumHosts adds up the rows of each host over several machines: a host
// is marked down when a machine saw it down at its last attempt.
func SumHosts(machines ...[]PeerHost) []PeerHost {
	idx := map[string]int{}
	var out []PeerHost
	for _, hosts := range machines {
		for _, h := range hosts {
			i, ok := idx[h.Name]
			if !ok {
				i = len(out)
				idx[h.Name] = i
				out = append(out, PeerHost{Name: h.Name})
			}
			t := &out[i]
			t.Down = t.Down || h.Down
			t.Active += h.Active
			t.ConnOut += h.ConnOut
			t.Delivered += h.Delivered
			t.HardBounced += h.HardBounced
			t.SoftBounced += h.SoftBounced
		}
	}
	return out
}
