package report

import (
	"fmt"
	"strings"

	"seg/mta/counters"
)

// HostStatus prints hoststatus for one destination, or ok=false when the
// host is unknown (the caller prints "No record of host: NAME").
func HostStatus(s counters.Snapshot, name string) (string, bool) {
	h, ok := s.Host(strings.ToLower(name))
	if !ok {
		h, ok = s.Host(name)
	}
	if !ok {
		return "", false
	}
	var b strings.Builder
	updown := "up"
	if h.Down {
		updown = "down"
	}
	fmt.Fprintf(&b, "Host mail status for: '%s'\n", h.Name)
	fmt.Fprintf(&b, "Status as of:          %s\n", Stamp(s.Now))
	fmt.Fprintf(&b, "Host up/down:          %s\n\n", updown)
	row := func(n int64, indent int, label string) {
		fmt.Fprintf(&b, "%15s  %s%s\n", Comma(n), strings.Repeat(" ", indent), label)
	}
	b.WriteString("Counters:\n")
	row(h.SoftBounced, 0, "Soft Bounced Events")
	row(h.Completed(), 0, "Completed Recipients")
	row(h.HardBounced, 2, "Hard Bounced Recipients")
	row(h.HardByKind[counters.HardDNS], 4, "DNS Hard Bounces")
	row(h.HardByKind[counters.Hard5XX], 4, "5XX Hard Bounces")
	row(h.HardByKind[counters.HardFilter], 4, "Filter Hard Bounces")
	row(h.HardByKind[counters.HardExpired], 4, "Expired Hard Bounces")
	row(h.HardByKind[counters.HardOther], 4, "Other Hard Bounces")
	row(h.Delivered, 2, "Delivered Recipients")
	row(h.Deleted, 2, "Deleted Recipients")
	b.WriteString("\nGauges:\n")
	row(h.Active(), 0, "Active Recipients")
	row(h.Unattempted, 2, "Unattempted Recipients")
	row(h.Attempted, 2, "Attempted Recipients")
	row(h.ConnOut, 0, "Current Outbound Connections")
	row(h.PendingConn, 0, "Pending Outbound Connections")
	if h.RateLimit > 0 {
		each := ""
		if h.RatePerIP {
			each = " for each MX IP, the busiest"
		}
		row(int64(h.RateUsed), 0, fmt.Sprintf("Recipients In Limit Window (%s per %d minutes%s)", Comma(int64(h.RateLimit)), h.RateMinutes, each))
	}
	b.WriteString("\n")
	oldest, last := "No Messages", "Never"
	if !h.Oldest.IsZero() {
		oldest = Stamp(h.Oldest)
	}
	if !h.LastActivity.IsZero() {
		last = Stamp(h.LastActivity)
	}
	fmt.Fprintf(&b, "Oldest Message         %s\n", oldest)
	fmt.Fprintf(&b, "Last Activity          %s\n", last)
	if len(h.Route) > 0 {
		b.WriteString("\nOrdered IP addresses:\n")
		for _, r := range h.Route {
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	tls := h.LastTLS
	if tls == "" {
		tls = "none"
	}
	fmt.Fprintf(&b, "\nLast TLS Status:       %s\n", tls)
	if h.LastDANE != "" {
		// Only for destinations with dane set (RFC 7672).
		fmt.Fprintf(&b, "Last DANE Status:      %s\n", h.LastDANE)
	}
	return b.String(), true
}
