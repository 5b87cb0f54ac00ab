package report

import (
	"fmt"
	"strings"
	"time"

	"seg/mta/counters"
)

// StatusInfo is what status shows beyond the counters.
type StatusInfo struct {
	SystemStatus string // "Online", "Receiving suspended", "Delivery suspended", "Listener down"
	// ListenerProblems are one line each for listeners that do not
	// listen where the running configuration says (a failed bind).
	ListenerProblems []string
	Oldest           time.Time
	MID, ICID, DCID  int64
	WorkQueue        int64 // always 0 in seg: no work queue stage
	DeliveryQueue    int64
	Destinations     int64
	KilobytesUsed    int64
	KilobytesFree    int64
	Unattempted      int64
	Attempted        int64
	CurrentOutbound  int64
	CurrentInbound   int64
	RatesUnavailable bool
}

type statusRow struct {
	indent int
	label  string
	k      counters.Counter
}

var statusRows = []struct {
	section string
	rows    []statusRow
}{
	{"Receiving", []statusRow{
		{4, "Messages Received", counters.MessagesReceived},
		{4, "Recipients Received", counters.RecipientsReceived},
		{4, "Gen. Bounce Recipients", counters.GenBounceRecipients},
	}},
	{"Rejection", []statusRow{
		{4, "Rejected Recipients", counters.RejectedRecipients},
		{4, "Dropped Messages", counters.DroppedMessages},
	}},
	{"Queue", []statusRow{
		{4, "Soft Bounced Events", counters.SoftBouncedEvents},
	}},
	{"Completion", []statusRow{
		{4, "Completed Recipients", counters.CompletedRecipients},
		{6, "Hard Bounced Recipients", counters.HardBouncedRecipients},
		{8, "DNS Hard Bounces", counters.DNSHardBounces},
		{8, "5XX Hard Bounces", counters.FiveXXHardBounces},
		{8, "Expired Hard Bounces", counters.ExpiredHardBounces},
		{8, "Filter Hard Bounces", counters.FilterHardBounces},
		{8, "Other Hard Bounces", counters.OtherHardBounces},
		{6, "Delivered Recipients", counters.DeliveredRecipients},
		{6, "Deleted Recipients", counters.DeletedRecipients},
	}},
}

var rateRows = []statusRow{
	{2, "Messages Received", counters.MessagesReceived},
	{2, "Recipients Received", counters.RecipientsReceived},
	{2, "Soft Bounced Events", counters.SoftBouncedEvents},
	{2, "Completed Recipients", counters.CompletedRecipients},
	{4, "Hard Bounced Recipients", counters.HardBouncedRecipients},
	{4, "Delivered Recipients", counters.DeliveredRecipients},
}

// Status prints status, or status detail (adds Rates (Events Per Hour)).
func Status(s counters.Snapshot, info StatusInfo, detail bool) string {
	var b strings.Builder
	reset := "Never"
	if !s.ResetAt.IsZero() {
		reset = Stamp(s.ResetAt)
	}
	oldest := "No Messages"
	if !info.Oldest.IsZero() {
		oldest = Age(s.Now.Sub(info.Oldest))
	}
	sys := info.SystemStatus
	if sys == "" {
		sys = "Online"
	}
	fmt.Fprintf(&b, "Status as of:                  %s\n", Stamp(s.Now))
	fmt.Fprintf(&b, "Up since:                      %s (%s)\n", Stamp(s.Start), Age(s.Now.Sub(s.Start)))
	fmt.Fprintf(&b, "Last counter reset:            %s\n", reset)
	fmt.Fprintf(&b, "System status:                 %s\n", sys)
	for _, p := range info.ListenerProblems {
		fmt.Fprintf(&b, "                               %s\n", p)
	}
	fmt.Fprintf(&b, "Oldest Message:                %s\n\n", oldest)

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
	for _, sec := range statusRows {
		line(2, sec.section)
		for _, r := range sec.rows {
			line(r.indent, r.label, Comma(s.Reset[r.k]), Comma(s.Uptime[r.k]), Comma(s.Lifetime[r.k]))
		}
	}
	line(2, "Current IDs")
	line(4, "Message ID (MID)", "", "", Comma(info.MID))
	line(4, "Injection Conn. ID (ICID)", "", "", Comma(info.ICID))
	line(4, "Delivery Conn. ID (DCID)", "", "", Comma(info.DCID))
	b.WriteString("\n")
	if detail {
		line(0, "Rates (Events Per Hour):", "1-Minute", "5-Minutes", "15-Minutes")
		for _, r := range rateRows {
			line(r.indent, r.label, Comma(s.Rate1[r.k]), Comma(s.Rate5[r.k]), Comma(s.Rate15[r.k]))
		}
		b.WriteString("\n")
	}
	line(0, "Gauges:", "Current")
	line(2, "Connections")
	line(4, "Current Inbound Conn.", Comma(info.CurrentInbound))
	line(4, "Current Outbound Conn.", Comma(info.CurrentOutbound))
	line(2, "Queue")
	line(4, "Active Recipients", Comma(info.Unattempted+info.Attempted))
	line(6, "Unattempted Recipients", Comma(info.Unattempted))
	line(6, "Attempted Recipients", Comma(info.Attempted))
	line(4, "Messages In Work Queue", Comma(info.WorkQueue))
	line(4, "Messages In Delivery Queue", Comma(info.DeliveryQueue))
	line(4, "Destinations In Memory", Comma(info.Destinations))
	line(4, "Kilobytes Used", Comma(info.KilobytesUsed))
	line(4, "Kilobytes Free", Comma(info.KilobytesFree))
	return b.String()
}
