package mailpolicy

import "fmt"

// The mail_logs lines of the split, each without the "{ctime} Info: "
// prefix: pass the result to maillog.Logger as Info("%s", line). The
// wording is AsyncOS's (reference/asyncos-cli.md section 7).

// Mail policy table names in the split and match lines.
const (
	TableInbound  = "inbound"
	TableOutbound = "outbound"
)

// Table is the policy table of a message: outbound for mail received
// under RELAY, inbound otherwise (SPEC 2).
func Table(relay bool) string {
	if relay {
		return TableOutbound
	}
	return TableInbound
}

// LogSplit: recipients of MID mid that matched policy in table were moved
// to the new message newMID.
func LogSplit(mid, newMID int64, policy, table string) string {
	return fmt.Sprintf("MID %d was split creating MID %d due to a per-recipient policy %s in the %s table", mid, newMID, policy, table)
}

// LogMatched: every (remaining) recipient of MID mid matched policy.
func LogMatched(mid int64, policy, table string) string {
	return fmt.Sprintf("MID %d matched all recipients for per-recipient policy %s in the %s table", mid, policy, table)
}
