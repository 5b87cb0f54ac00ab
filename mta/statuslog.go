package mta

import (
	"fmt"
	"strings"

	"seg/mta/counters"
)

// StatusLogLine is the status log's periodic line (logconfig type
// status), in the order of AsyncOS's status log (asyncos-cli.md section
// 1, "Status log"), with the fields seg measures: lifetime counters,
// then the gauges. AsyncOS's CPU, memory, disk I/O, DNS cache and
// quarantine fields are left out rather than written as zeros.
//
//	Status: QKUsd 12 QKFre 51200 CrtMID 35 CrtICID 20 CrtDCID 9 InjMsg 30 InjRcp 31 GenBncRcp 1 RejRcp 2 DrpMsg 0 SftBncEvnt 3 CmpRcp 28 HrdBncRcp 2 DnsHrdBnc 0 5XXHrdBnc 2 FltrHrdBnc 0 ExpHrdBnc 0 OtrHrdBnc 0 DlvRcp 26 DelRcp 0 ActvRcp 1 UnatmptRcp 0 AtmptRcp 1 CrtCncIn 0 CrtCncOut 0 DstInMem 1 WorkQ 1
func (m *MTA) StatusLogLine() string {
	info := m.statusInfo()
	snap := m.counters.Snapshot()
	c := snap.Lifetime
	var b strings.Builder
	b.WriteString("Status:")
	field := func(name string, v int64) { fmt.Fprintf(&b, " %s %d", name, v) }
	field("QKUsd", info.KilobytesUsed)
	field("QKFre", info.KilobytesFree)
	field("CrtMID", info.MID)
	field("CrtICID", info.ICID)
	field("CrtDCID", info.DCID)
	field("InjMsg", c[counters.MessagesReceived])
	field("InjRcp", c[counters.RecipientsReceived])
	field("GenBncRcp", c[counters.GenBounceRecipients])
	field("RejRcp", c[counters.RejectedRecipients])
	field("DrpMsg", c[counters.DroppedMessages])
	field("SftBncEvnt", c[counters.SoftBouncedEvents])
	field("CmpRcp", c[counters.CompletedRecipients])
	field("HrdBncRcp", c[counters.HardBouncedRecipients])
	field("DnsHrdBnc", c[counters.DNSHardBounces])
	field("5XXHrdBnc", c[counters.FiveXXHardBounces])
	field("FltrHrdBnc", c[counters.FilterHardBounces])
	field("ExpHrdBnc", c[counters.ExpiredHardBounces])
	field("OtrHrdBnc", c[counters.OtherHardBounces])
	field("DlvRcp", c[counters.DeliveredRecipients])
	field("DelRcp", c[counters.DeletedRecipients])
	field("ActvRcp", info.Unattempted+info.Attempted)
	field("UnatmptRcp", info.Unattempted)
	field("AtmptRcp", info.Attempted)
	field("CrtCncIn", info.CurrentInbound)
	field("CrtCncOut", info.CurrentOutbound)
	field("DstInMem", info.Destinations)
	field("WorkQ", info.WorkQueue)
	return b.String()
}
