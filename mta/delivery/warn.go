package delivery

import (
	"fmt"
	"strings"
	"time"

	"seg/mta/dsn"
	"seg/mta/queue"
)

// Delay warnings (bounce profile send_warnings, SPEC 11). When an attempt
// leaves recipients queued after a soft failure, the sender (or the
// profile's bounce address) gets one RFC 3464 DSN with "Action: delayed"
// for those of them that are owed one: each recipient at most
// send_warnings_count times, none before send_warnings_interval has
// passed since the message arrived and since the recipient's previous
// warning. AsyncOS counts "warnings to send per recipient"; a recipient
// warned about in one event is counted, durably, in the queue
// (queue.EnqueueWarning), so a restart repeats none.
//
// The subject is fixed, "Delivery Status Notification (Delay)":
// bounce_subject names a failure, and AsyncOS has a separate delay
// subject (delay_subject, which seg does not model).

// warnSubject is the subject of a delay warning.
const warnSubject = "Delivery Status Notification (Delay)"

// wantsWarning reports whether the job's message may cause delay
// warnings: as for bounces, never for the null sender, nor for seg's
// own DSNs and journal copies (SPEC 5, 6).
func (x *Delivery) wantsWarning(j *job) bool {
	return j.pol.Bounces().Warnings > 0 && j.m.From != "" && j.m.Kind == queue.KindNormal
}

// warnDue reports whether rc, still queued after a soft failure at now,
// is owed a delay warning under b.
func (b BounceSpec) warnDue(m *queue.Message, rc queue.Recipient, now time.Time) bool {
	if rc.State.Final() || rc.Warnings >= b.Warnings || now.Before(m.Received.Add(b.WarnInterval)) {
		return false
	}
	return rc.LastWarned.IsZero() || !now.Before(rc.LastWarned.Add(b.WarnInterval))
}

// warn sends one delay warning for the recipients of delayed (soft
// failures of one attempt, still queued) that are owed one.
func (x *Delivery) warn(j *job, delayed []failed, now time.Time) {
	spec := j.pol.Bounces()
	m := j.m
	if !x.wantsWarning(j) || now.Before(m.Received.Add(spec.WarnInterval)) {
		return
	}
	// The counts are the queue's: the job's copy of the message is the
	// scheduler's, which does not follow them. Only this attempt changes
	// its recipients' counts, so nothing races this read.
	cur, ok := x.d.Queue.Get(m.MID)
	if !ok {
		return
	}
	var due []failed
	var rids []int
	for _, d := range delayed {
		if rc := rcptOf(cur, d.rc.RID); spec.warnDue(cur, rc, now) {
			due = append(due, failed{rc, d.f})
			rids = append(rids, rc.RID)
		}
	}
	if len(due) == 0 {
		return
	}
	to, ok := x.reportTo(j, "delay warning")
	if !ok {
		return
	}
	var until time.Time
	if spec.Lifetime > 0 {
		until = m.Received.Add(spec.Lifetime)
	}
	var rcpts []dsn.Recipient
	for _, d := range due {
		rcpts = append(rcpts, dsn.Recipient{
			Final: d.rc.Addr, Action: "delayed", Status: delayStatus(d.f.Status), RemoteMTA: d.f.RemoteMTA,
			Diagnostic: d.f.diagnostic(), LastAttempt: now, WillRetryUntil: until,
		})
	}
	orig, _ := x.d.Queue.Body(m.MID) // without it the warning lacks the original header
	host := x.d.Hostname()
	mid := x.d.Queue.NextMID()
	msgID := fmt.Sprintf("%d.%d.dsn@%s", now.UnixNano(), mid, host)
	raw, err := dsn.Build(dsn.Report{
		ReportingMTA: host, To: to, Subject: warnSubject, Date: now, MessageID: msgID,
		OrigMID: m.MID, Arrival: m.Received, Recipients: rcpts, Original: orig,
		Untrusted: !m.Relayed, // as for bounces (issue 8)
		Plain:     spec.Plain,
	})
	if err != nil {
		x.d.Log.Warning("MID %d could not generate a delay warning: %v", m.MID, err)
		return
	}
	nm := &queue.Message{
		MID: mid, Kind: queue.KindBounce, From: "",
		Rcpts:    []queue.Recipient{{RID: 0, Addr: to}},
		Received: now, Size: int64(len(raw)),
		MessageID: "<" + msgID + ">", Subject: warnSubject, OrigMID: m.MID,
	}
	x.countGenerated(1)
	if err := x.d.Queue.EnqueueWarning(nm, raw, queue.Warned{MID: m.MID, RIDs: rids, At: now}); err != nil {
		x.countGenerated(-1)
		x.d.Log.Warning("MID %d could not queue a delay warning: %v", m.MID, err)
		return
	}
	x.logGenerated(nm, to)
}

// delayStatus is the status of a delayed recipient: a soft failure's own
// 4.X.X, or its subject and detail under class 4 (RFC 3464 section
// 2.3.4: a "delayed" action goes with a persistent transient status).
func delayStatus(s string) string {
	if strings.HasPrefix(s, "4.") {
		return s
	}
	if len(s) > 2 && s[1] == '.' {
		return "4" + s[1:]
	}
	return "4.0.0"
}
