package report

import (
	"fmt"
	"strings"
	"time"

	"seg/internal/mailapi"
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

// PeerCounters are s's counters as status prints them (and as a
// cluster machine publishes them, mailapi.PeerStats).
func PeerCounters(s counters.Snapshot) mailapi.PeerCounters {
	k := func(c counters.Counter) mailapi.PeerCount {
		return mailapi.PeerCount{Reset: s.Reset[c], Uptime: s.Uptime[c], Lifetime: s.Lifetime[c],
			Rate1: s.Rate1[c], Rate5: s.Rate5[c], Rate15: s.Rate15[c]}
	}
	return mailapi.PeerCounters{
		MessagesReceived:      k(counters.MessagesReceived),
		RecipientsReceived:    k(counters.RecipientsReceived),
		GenBounceRecipients:   k(counters.GenBounceRecipients),
		RejectedRecipients:    k(counters.RejectedRecipients),
		DroppedMessages:       k(counters.DroppedMessages),
		SoftBouncedEvents:     k(counters.SoftBouncedEvents),
		CompletedRecipients:   k(counters.CompletedRecipients),
		HardBouncedRecipients: k(counters.HardBouncedRecipients),
		DNSHardBounces:        k(counters.DNSHardBounces),
		FiveXXHardBounces:     k(counters.FiveXXHardBounces),
		ExpiredHardBounces:    k(counters.ExpiredHardBounces),
		FilterHardBounces:     k(counters.FilterHardBounces),
		OtherHardBounces:      k(counters.OtherHardBounces),
		DeliveredRecipients:   k(counters.DeliveredRecipients),
		DeletedRecipients:     k(counters.DeletedRecipients),
	}
}

// PeerGauges are info's gauges as status prints them.
func PeerGauges(info StatusInfo) mailapi.PeerGauges {
	return mailapi.PeerGauges{
		CurrentInbound: info.CurrentInbound, CurrentOutbound: info.CurrentOutbound,
		Unattempted: info.Unattempted, Attempted: info.Attempted,
		WorkQueue: info.WorkQueue, DeliveryQueue: info.DeliveryQueue, Destinations: info.Destinations,
		KilobytesUsed: info.KilobytesUsed, KilobytesFree: info.KilobytesFree,
	}
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

	ids := []mailapi.IDRow{
		{Label: "Message ID (MID)", Value: info.MID},
		{Label: "Injection Conn. ID (ICID)", Value: info.ICID},
		{Label: "Delivery Conn. ID (DCID)", Value: info.DCID},
	}
	b.WriteString(mailapi.StatusBody(PeerCounters(s), ids, PeerGauges(info), detail))
	return b.String()
}
