package tdc

import (
	"fmt"
	"regexp"
	"seg/mta/maillog"
	"strconv"
	"strings"
	"time"

	"seg/mta/queue"
)

// The mail_logs lines of SPEC 6, each without the "{ctime} Info: "
// prefix: pass the result to maillog.Logger as Info("%s", line). The
// wording is AsyncOS's and log parsers match it literally, down to the
// missing space in "Threat Defense:TLS Error.".

// LogEnqueued: a journal copy of MID mid was queued for intake address
// addr. msgID is the Message-ID of the journaled message.
func LogEnqueued(mid int64, msgID, addr string) string {
	return fmt.Sprintf("TDC: MID %d with Message-ID %s enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address %s",
		mid, maillog.Repr(msgID), logSafe(addr))
}

// Generator names what made a journal copy in its "generated based on"
// line, in AsyncOS's "by {filter_type} filter '{name}'" form
// (reference/mail_logs-formats.md section 2.4; S:142 is a bcc filter's
// copy to an analysis intake, the closest kin of a journal copy). seg
// has no message filters: the type "tdc" and the name say which feature
// made it. The form keeps the parsers that follow generated messages
// whole: findevent.py (`was generated based on MID (\d+) by`), the
// ironport-correlator grok (Related_MID, Action_Desc "tdc",
// Content_Filter), the Cribl pack (filter).
const Generator = "tdc filter 'Threat Defense Connector'"

// LogMade is the life of journal copy c up to its queueing, as AsyncOS
// logs a message it generates from another (reference/mail_logs.sample
// S:141-147, a bcc filter's copy): Start MID with ICID 0, the line
// naming the original (c.OrigMID), the envelope, the size. Like the
// generated copy in the sample it logs no Message-ID or Subject line:
// those are the original's, logged at injection. The copy is from the
// appliance (ICID 0), so trackers that search senders and recipients of
// injected mail skip it, as they skip bounces.
func LogMade(c *queue.Message) []string {
	lines := []string{
		fmt.Sprintf("Start MID %d ICID 0", c.MID),
		LogGenerated(c.MID, c.OrigMID),
		fmt.Sprintf("MID %d ICID 0 From: <%s>", c.MID, logSafe(c.From)),
	}
	for _, r := range c.Rcpts {
		lines = append(lines, fmt.Sprintf("MID %d ICID 0 RID %d To: <%s>", c.MID, r.RID, logSafe(r.Addr)))
	}
	return append(lines, fmt.Sprintf("MID %d ready %d bytes from <%s>", c.MID, c.Size, logSafe(c.From)))
}

// LogGenerated ties journal copy mid to the message orig it copies.
func LogGenerated(mid, orig int64) string {
	return fmt.Sprintf("MID %d was generated based on MID %d by %s", mid, orig, Generator)
}

// LogQueued is what follows once copy c of orig is queued: its "queued
// for delivery", then SPEC 6's enqueued line, which names the original
// (MID and Message-ID): it is an event of the original's life, the
// state message tracking reports for it until the copy's outcome.
func LogQueued(c, orig *queue.Message, intake string) []string {
	return []string{
		fmt.Sprintf("MID %d queued for delivery", c.MID),
		LogEnqueued(orig.MID, orig.MessageID, intake),
	}
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
	return LogFailed(mid, reasonHard)
}

// LogFailed is the general form of LogHardBounced for copies given up
// for other reasons ("Expired" when retries or the 120 s ran out). SPEC 6
// names only "Hard Bounced"; other reasons are seg's wording.
func LogFailed(mid int64, reason string) string {
	return fmt.Sprintf("TDC: MID %d delivery failed to Cisco Secure Email Threat Defense: %s.", mid, logSafe(reason))
}

// LogDelayed: the attempt for MID mid's copy failed and is retried at
// next. SPEC 6 has no line for it; the wording is seg's, after
// LogFailed's.
func LogDelayed(mid int64, dsn, text string, next time.Time) string {
	return fmt.Sprintf("TDC: MID %d delivery delayed to Cisco Secure Email Threat Defense: %s - %s. Retry at %s.",
		mid, logSafe(dsn), logSafe(text), next.Local().Format(ctimeLayout))
}

// ctimeLayout is C's ctime, as mail_logs writes times.
const ctimeLayout = "Mon Jan _2 15:04:05 2006"

// Reasons of LogFailed and TrackFailed besides "Hard Bounced".
const (
	ReasonExpired = "Expired"                  // retries or the 120 s ran out
	ReasonAdmin   = "Bounced by administrator" // bouncerecipients
	reasonHard    = "Hard Bounced"
	reasonTLS     = "TLS Error"
)

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

// TrackQueued is the message tracking line of a journaled message whose
// copy is still queued (seg's wording).
func TrackQueued(mid int64) string {
	return fmt.Sprintf("TDC: Message %d is queued for forwarding to Cisco Secure Email Threat Defense.", mid)
}

var (
	reTrackEnqueued  = regexp.MustCompile(`\bTDC: MID (\d+) with Message-ID .* enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address `)
	reTrackDelivered = regexp.MustCompile(`\bTDC: MID (\d+) successfully delivered for scanning with Cisco Secure Email Threat Defense\.$`)
	reTrackFailed    = regexp.MustCompile(`\bTDC: MID (\d+) delivery failed to Cisco Secure Email Threat Defense: ?(.*)\.$`)
	reGenerated      = regexp.MustCompile(`\bMID (\d+) was generated based on MID (\d+) by ` + regexp.QuoteMeta(Generator) + `$`)
)

// ParseGenerated reads a journal copy's LogGenerated line (whole, or
// the text after "Info: "): the copy's MID and its original's.
func ParseGenerated(line string) (mid, orig int64, ok bool) {
	m := reGenerated.FindStringSubmatch(line)
	if m == nil {
		return 0, 0, false
	}
	mid, _ = strconv.ParseInt(m[1], 10, 64)
	orig, _ = strconv.ParseInt(m[2], 10, 64)
	return mid, orig, true
}

// Tracker reads mail_logs lines in order and says what message tracking
// shows about journaled messages. A copy's outcome lines carry the
// copy's own MID; its LogGenerated line, which comes first, names the
// original the tracking line is about. The zero Tracker is ready.
type Tracker struct {
	orig map[int64]int64 // copy MID -> journaled message's MID
}

// Line reads one line and, when it changes what message tracking says
// about a journaled message, returns that message's MID and the
// tracking line: TrackQueued after the enqueued line, TrackDelivered or
// TrackFailed after the copy's outcome. The last line per MID is the
// message's state. An outcome of a copy whose generated line was not
// read (a log written before copies had their own MID, or rotated away)
// is reported under the MID it carries.
func (t *Tracker) Line(line string) (mid int64, track string, ok bool) {
	if c, o, ok := ParseGenerated(line); ok {
		if t.orig == nil {
			t.orig = map[int64]int64{}
		}
		t.orig[c] = o
		return 0, "", false
	}
	if !strings.Contains(line, "TDC: MID ") {
		return 0, "", false
	}
	if m := reTrackEnqueued.FindStringSubmatch(line); m != nil {
		mid, _ = strconv.ParseInt(m[1], 10, 64)
		return mid, TrackQueued(mid), true
	}
	m := reTrackDelivered.FindStringSubmatch(line)
	failed := m == nil
	if failed {
		if m = reTrackFailed.FindStringSubmatch(line); m == nil {
			return 0, "", false
		}
	}
	mid, _ = strconv.ParseInt(m[1], 10, 64)
	if o, ok := t.orig[mid]; ok {
		mid = o
	}
	if failed {
		return mid, TrackFailed(mid, m[2]), true
	}
	return mid, TrackDelivered(mid), true
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
