package report

import (
	"fmt"
	"sort"
	"strings"

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

// TopHosts prints the 20 busiest destinations sorted by key (1-5). Column
// order is Active, Conn. Out, Delivered, Soft, Hard, as AsyncOS prints it
// (soft before hard, although the sort menu lists hard first).
func TopHosts(s counters.Snapshot, key int) string {
	hosts := append([]counters.Host(nil), s.Hosts...)
	val := func(h counters.Host) int64 {
		switch key {
		case 2:
			return h.ConnOut
		case 3:
			return h.Delivered
		case 4:
			return h.HardBounced
		case 5:
			return h.SoftBounced
		}
		return h.Active()
	}
	sort.SliceStable(hosts, func(i, j int) bool {
		vi, vj := val(hosts[i]), val(hosts[j])
		if vi != vj {
			return vi > vj
		}
		return hosts[i].Name < hosts[j].Name
	})
	if len(hosts) > 20 {
		hosts = hosts[:20]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Status as of:                   %s\n", Stamp(s.Now))
	b.WriteString("Hosts marked with '*' were down as of the last delivery attempt.\n")
	b.WriteString("                                        Active   Conn.   Deliv.     Soft     Hard\n")
	b.WriteString("#    Recipient Host                     Recip.   Out     Recip.   Bounced  Bounced\n")
	for i, h := range hosts {
		rank := fmt.Sprint(i + 1)
		if h.Down {
			rank += "*"
		}
		fmt.Fprintf(&b, "%-5s%-35s%6s%8s%9s%9s%9s\n", rank, h.Name,
			Comma(h.Active()), Comma(h.ConnOut), Comma(h.Delivered), Comma(h.SoftBounced), Comma(h.HardBounced))
	}
	return b.String()
}
