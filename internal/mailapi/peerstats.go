package mailapi

import (
	"encoding/json"
	"fmt"
	"time"
)

// PeerStats is what one machine of a cluster publishes for the cluster
// views (SPEC 14: `status --cluster`, `tophosts --cluster`): the counters
// and gauges its own status prints and its tophosts rows, read at Taken.
// Each machine writes it, JSON encoded, under its etcd lease every few
// seconds (the MTA produces it; shell.ClusterPeer carries it); the shell
// sums those of the machines that are up. Queues and counters stay per
// machine: this is a copy for reading, never the counters themselves.
type PeerStats struct {
	Machine string    `json:"machine"` // the machine's name in the cluster (its hostname)
	Taken   time.Time `json:"taken"`   // when the counters were read
	Start   time.Time `json:"start"`   // when its MTA started (status' Up since)
	ResetAt time.Time `json:"reset_at,omitempty"`
	// SystemStatus is status' System status line ("Online", "Receiving
	// suspended", "Delivery suspended", "Listener down").
	SystemStatus string `json:"system_status"`
	// Oldest is when the oldest queued message arrived (zero: none).
	Oldest   time.Time    `json:"oldest,omitempty"`
	Counters PeerCounters `json:"counters"`
	Gauges   PeerGauges   `json:"gauges"`
	// Hosts are the recipient hosts it knows (tophosts' rows), every
	// one, not only its top 20: the cluster's top 20 may be made of
	// hosts no single machine has in its own.
	Hosts []PeerHost `json:"hosts"`
}

// PeerCount is one counter of status: its three views (since
// resetcounters, since start, since install) and its rates per hour over
// the last 1, 5 and 15 minutes (status detail).
type PeerCount struct {
	Reset    int64 `json:"reset"`
	Uptime   int64 `json:"uptime"`
	Lifetime int64 `json:"lifetime"`
	Rate1    int64 `json:"rate1,omitempty"`
	Rate5    int64 `json:"rate5,omitempty"`
	Rate15   int64 `json:"rate15,omitempty"`
}

// PeerCounters are status' counters, one field per row, in its order.
type PeerCounters struct {
	MessagesReceived      PeerCount `json:"messages_received"`
	RecipientsReceived    PeerCount `json:"recipients_received"`
	GenBounceRecipients   PeerCount `json:"gen_bounce_recipients"`
	RejectedRecipients    PeerCount `json:"rejected_recipients"`
	DroppedMessages       PeerCount `json:"dropped_messages"`
	SoftBouncedEvents     PeerCount `json:"soft_bounced_events"`
	CompletedRecipients   PeerCount `json:"completed_recipients"`
	HardBouncedRecipients PeerCount `json:"hard_bounced_recipients"`
	DNSHardBounces        PeerCount `json:"dns_hard_bounces"`
	FiveXXHardBounces     PeerCount `json:"5xx_hard_bounces"`
	ExpiredHardBounces    PeerCount `json:"expired_hard_bounces"`
	FilterHardBounces     PeerCount `json:"filter_hard_bounces"`
	OtherHardBounces      PeerCount `json:"other_hard_bounces"`
	DeliveredRecipients   PeerCount `json:"delivered_recipients"`
	DeletedRecipients     PeerCount `json:"deleted_recipients"`
}

// PeerGauges are status' gauges (Current column).
type PeerGauges struct {
	CurrentInbound  int64 `json:"current_inbound"`  // Current Inbound Conn.
	CurrentOutbound int64 `json:"current_outbound"` // Current Outbound Conn.
	Unattempted     int64 `json:"unattempted"`      // Unattempted Recipients
	Attempted       int64 `json:"attempted"`        // Attempted Recipients
	WorkQueue       int64 `json:"work_queue"`       // Messages In Work Queue (0 in seg)
	DeliveryQueue   int64 `json:"delivery_queue"`   // Messages In Delivery Queue
	Destinations    int64 `json:"destinations"`     // Destinations In Memory
	KilobytesUsed   int64 `json:"kilobytes_used"`
	KilobytesFree   int64 `json:"kilobytes_free"`
}

// PeerHost is one recipient host's tophosts row on one machine.
type PeerHost struct {
	Name        string `json:"name"`
	Down        bool   `json:"down,omitempty"` // down as of its last delivery attempt
	Active      int64  `json:"active"`         // active recipients (gauge)
	ConnOut     int64  `json:"conn_out"`       // connections out (gauge)
	Delivered   int64  `json:"delivered"`      // delivered recipients
	HardBounced int64  `json:"hard_bounced"`   // hard bounced recipients
	SoftBounced int64  `json:"soft_bounced"`   // soft bounced events
}

// Encode is the JSON a machine publishes.
func (p PeerStats) Encode() ([]byte, error) { return json.Marshal(p) }

// DecodePeerStats reads what a machine published; a machine without a
// name is refused (the cluster views name every machine they sum).
func DecodePeerStats(b []byte) (PeerStats, error) {
	var p PeerStats
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("unreadable statistics: %v", err)
	}
	if p.Machine == "" {
		return p, fmt.Errorf("statistics without a machine name")
	}
	return p, nil
}
