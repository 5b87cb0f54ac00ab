package tdc

import (
	"fmt"
	"strings"
)

// The mail_logs lines of SPEC 6, each without the "{ctime} Info: "
// prefix: pass the result to maillog.Logger as Info("%s", line). The
// wording is AsyncOS's and log parsers match it literally, down to the
// missing space in "Threat Defense:TLS Error.".

// LogEnqueued: a journal copy of MID mid was queued for intake address
// addr. msgID is the Message-ID of the journaled message.
func LogEnqueued(mid int64, msgID, addr string) string {
	return fmt.Sprintf("TDC: MID %d with Message-ID '%s' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address %s",
		mid, logSafe(msgID), logSafe(addr))
}

// LogNewConn: a delivery connection of the.tdc.queue was opened from
// interface ifaceIP to ip:port.
func LogNewConn(dcid int64, ifaceIP, ip string, port int) string {
	return fmt.Sprintf("TDC: New SMTP DCID %d interface %s address %s port %d", dcid, ifaceIP, ip, port)
}

// LogDeliveryStart: DCID dcid starts sending MID mid.
func LogDeliveryStart(dcid, mid int64) string {
	return fmt.Sprintf("TDC: Delivery start DCID %d MID %d", dcid, mid)
}

// LogDelivered: the intake accepted MID mid.
func LogDelivered(mid int64) string {
	return fmt.Sprintf("TDC: MID %d successfully delivered for scanning with Cisco Secure Email Threat Defense.", mid)
}

// LogConnectionError: the connection DCID dcid from interface ifaceIP to
// ip:port failed; detail is what happened ("connection refused"), reason
// the class ("connection timed out").
func LogConnectionError(dcid int64, ip string, port int, detail, ifaceIP, reason string) string {
	return fmt.Sprintf("TDC: Connection Error: DCID %d domain: %s IP: %s port: %d details: %s interface: %s reason: %s",
		dcid, Host, ip, port, logSafe(detail), ifaceIP, logSafe(reason))
}

// LogTLSFailed: MID mid was given up because TLS could not be negotiated.
func LogTLSFailed(mid int64) string {
	return fmt.Sprintf("TDC: MID %d delivery failed to Cisco Secure Email Threat Defense:TLS Error.", mid)
}

// LogHardBounce: the intake refused a copy for good. dsn is the enhanced
// status code ("5.1.1"), text the reply.
func LogHardBounce(dsn, text string) string {
	return fmt.Sprintf("TDC: Hard bounced - %s - %s", logSafe(dsn), logSafe(text))
}

// LogHardBounced follows LogHardBounce for the MID that bounced.
func LogHardBounced(mid int64) string {
	return LogFailed(mid, "Hard Bounced")
}

// LogFailed is the general form of LogHardBounced for copies given up
// for other reasons ("Expired" when retries or the 120 s ran out). SPEC 6
// names only "Hard Bounced"; other reasons are seg's wording.
func LogFailed(mid int64, reason string) string {
	return fmt.Sprintf("TDC: MID %d delivery failed to Cisco Secure Email Threat Defense: %s.", mid, logSafe(reason))
}

// TrackDelivered is the message tracking line of a journaled message
// whose copy reached the intake.
func TrackDelivered(mid int64) string {
	return fmt.Sprintf("TDC: Message %d was successfully delivered for scanning with Cisco Secure Email Threat Defense.", mid)
}

// TrackFailed is its failure form; reason as in LogFailed ("Hard
// Bounced", "TLS Error", "Expired"). The wording is seg's: SPEC 6 only
// says "or the failure".
func TrackFailed(mid int64, reason string) string {
	return fmt.Sprintf("TDC: Message %d delivery failed to Cisco Secure Email Threat Defense: %s.", mid, logSafe(reason))
}

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

// logSafe keeps text from a peer (Message-ID, reply text) on one log line:
// control characters are shown as \xNN, as Python's repr would.
func logSafe(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
