package delivery

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"seg/internal/address"
	"seg/mta/counters"
	"seg/mta/dsn"
	"seg/mta/maillog"
	"seg/mta/queue"
)

// outcome is what happened to one recipient in an attempt.
type outcome struct {
	rid int
	f   *Failure // nil: delivered
}

type failed struct {
	rc queue.Recipient
	f  *Failure
}

// ctimeLayout is C's ctime, as mail_logs writes times.
const ctimeLayout = "Mon Jan _2 15:04:05 2006"

func expiredFailure() *Failure {
	// The text is what AsyncOS logs for expiry.
	return &Failure{Kind: FailExpired, Status: "5.4.7", Text: "timeout", Permanent: true}
}

func adminFailure() *Failure {
	return &Failure{Kind: FailAdmin, Status: "5.0.0", Text: "Message bounced by administrator", Permanent: true}
}

// settle turns outcomes into recipient states: it logs them, counts them,
// records them in the queue, sends a DSN for the hard bounces, and returns
// the updates for the scheduler to mirror. note is added to the Message
// done line ("(discarded by SMTP route /dev/null)").
func (x *Delivery) settle(j *job, dcid int64, outs []outcome, resp, note string) []queue.Update {
	now := x.d.Now()
	m, log := j.m, x.d.Log
	var ups []queue.Update
	var delivered []int
	var hard, delayed []failed
	var lines []string
	pending := map[time.Time][]int{}
	for _, o := range outs {
		rc := rcptOf(m, o.rid)
		if o.f == nil {
			delivered = append(delivered, o.rid)
			ups = append(ups, queue.Update{RID: o.rid, State: queue.Delivered})
			continue
		}
		f := o.f
		if f.Kind == FailExpired || f.Kind == FailAdmin || j.pol.Permanent(f) {
			st := queue.HardBounced
			if f.Kind == FailExpired {
				st = queue.Expired
			}
			if j.sp != nil {
				lines = append(lines, j.sp.Failed(m, f)...)
			} else {
				lines = append(lines, bouncedLine("Bounced", dcid, m, rc, f))
			}
			hard = append(hard, failed{rc, f})
			x.bounceLog("Bounced", m, rc, f)
			x.d.Counters.HardBounced(j.dest, hardKind(f), 1)
			if f.Kind == FailTLS {
				x.d.Counters.TLSHardBounced(j.dest, 1)
			}
			ups = append(ups, queue.Update{RID: o.rid, State: st, LastError: lastError(f, rc)})
			continue
		}
		x.d.Counters.SoftBounced(j.dest, 1)
		next, ok := j.pol.NextRetry(m, rc.Attempts, now)
		if ok {
			x.bounceLog("Delayed", m, rc, f)
		}
		switch {
		case j.sp == nil:
			lines = append(lines, bouncedLine("Delayed", dcid, m, rc, f))
		case ok:
			lines = append(lines, j.sp.Delayed(m, f, next)...)
		default:
			lines = append(lines, j.sp.Failed(m, f)...)
		}
		if !ok {
			ef := expiredFailure()
			if j.sp == nil {
				lines = append(lines, bouncedLine("Bounced", dcid, m, rc, ef))
			}
			rc.LastError = f.Error()
			hard = append(hard, failed{rc, ef})
			x.bounceLog("Bounced", m, rc, ef)
			x.d.Counters.HardBounced(j.dest, counters.HardExpired, 1)
			ups = append(ups, queue.Update{RID: o.rid, State: queue.Expired, LastError: f.Error()})
			continue
		}
		pending[next] = append(pending[next], o.rid)
		delayed = append(delayed, failed{rc, f})
		ups = append(ups, queue.Update{RID: o.rid, State: queue.Attempted, NextAttempt: next, LastError: f.Error()})
	}

	switch {
	case len(delivered) > 0 && j.sp != nil:
		for _, l := range j.sp.Delivered(m) {
			log.Info("%s", l)
		}
		x.d.Counters.DeliveredAfter(j.dest, int64(len(delivered)), now.Sub(m.Received))
	case len(delivered) > 0:
		if note != "" {
			note = " " + note
		}
		log.Info("Message done DCID %d MID %d to RID [%s]%s", dcid, m.MID, ridList(delivered), note)
		if resp != "" {
			log.Info("MID %d RID [%s] Response %s", m.MID, ridList(delivered), maillog.Repr(strings.ReplaceAll(resp, "\n", " ")))
		}
		x.d.Counters.DeliveredAfter(j.dest, int64(len(delivered)), now.Sub(m.Received))
	}
	for _, l := range lines {
		log.Info("%s", l)
	}
	times := make([]time.Time, 0, len(pending))
	for t := range pending {
		times = append(times, t)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	for _, t := range times {
		if j.sp != nil {
			break // the Special's Delayed lines said when
		}
		// The newer form (S:196); parsers route on "Message n to RID [..]
		// pending till" (SC4S), and the bounce profile's name, which the
		// 2004 form appended, no current line shows.
		log.Info("Message %d to RID [%s] pending till %s", m.MID, ridList(pending[t]), t.Local().Format(ctimeLayout))
	}
	// The queue forgets a message once its last recipient is final:
	// read the original for the DSN first.
	var orig []byte
	if len(hard) > 0 && x.wantsDSN(j) {
		orig, _ = x.d.Queue.Body(m.MID) // without it the DSN lacks the original header
	}
	if len(ups) > 0 {
		if err := x.d.Queue.Update(m.MID, ups); err != nil {
			log.Warning("MID %d could not record delivery results in the queue: %v", m.MID, err)
		}
	}
	if len(hard) > 0 && x.wantsDSN(j) {
		x.bounce(j, hard, orig, now)
	}
	if len(delayed) > 0 {
		x.warn(j, delayed, now)
	}
	return ups
}

// bouncedLine is a Bounced or Delayed line in the newer AsyncOS form
// (reference/mail_logs.sample S:200-202):
//
//	Bounced: DCID 8 MID 9 From: <s@x> To: <r@y> RID 0 - 5.1.1 - Bad destination mailbox address ('550', ['...'])
//
// rather than the 2003 form "Bounced: DCID 8 MID 9 to RID 0 - ... []".
// The newer one carries the envelope, which Splunk's rex example, the
// Cribl pack and Elastic's bounce pipeline take as sender and recipient;
// the older one leaves every parser to join the MID's From and To lines.
// Only TA-messagetracking's "to RID n - (status)" rex is lost, and the
// status text is still there for anything that reads the line. No
// trailing " []": the newer lines have none (it was the requested
// headers list, which seg never logs).
func bouncedLine(what string, dcid int64, m *queue.Message, rc queue.Recipient, f *Failure) string {
	return fmt.Sprintf("%s: DCID %d MID %d From: <%s> To: <%s> RID %d - %s %s",
		what, dcid, m.MID, m.From, rc.Addr, rc.RID, f.reason(), f.logTuple())
}

func hardKind(f *Failure) counters.HardKind {
	switch {
	case f.Kind == FailDNS:
		return counters.HardDNS
	case f.Kind == FailExpired:
		return counters.HardExpired
	case f.Kind == FailSMTP && f.Code >= 500:
		return counters.Hard5XX
	}
	return counters.HardOther
}

func lastError(f *Failure, rc queue.Recipient) string {
	if f.Kind == FailExpired && rc.LastError != "" {
		return rc.LastError
	}
	return f.Error()
}

func ridList(rids []int) string {
	var b strings.Builder
	for i, r := range rids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, r)
	}
	return b.String()
}

func rcptOf(m *queue.Message, rid int) queue.Recipient {
	if rid >= 0 && rid < len(m.Rcpts) && m.Rcpts[rid].RID == rid {
		return m.Rcpts[rid]
	}
	for _, rc := range m.Rcpts {
		if rc.RID == rid {
			return rc
		}
	}
	return queue.Recipient{RID: rid}
}

// wantsDSN reports whether hard bounces of the job's message send a DSN:
// never for the null sender, never for seg's own bounces and journal
// copies (SPEC 5, 6).
func (x *Delivery) wantsDSN(j *job) bool {
	return j.pol.Bounces().Send && j.m.From != "" && j.m.Kind == queue.KindNormal
}

// reportTo is where a DSN about the job's message goes: the profile's
// bounce address, else the envelope sender; ok is false, and the reason
// logged, when that is no address a DSN could be sent to (address.go).
func (x *Delivery) reportTo(j *job, what string) (to string, ok bool) {
	to = j.pol.Bounces().To
	if to == "" {
		to = j.m.From
	}
	if _, err := address.Parse(to); err != nil {
		x.d.Log.Warning("MID %d no %s sent: the bounce address %s is not a valid RFC 5321 address (%v)", j.m.MID, what, maillog.Repr(to), err)
		return "", false
	}
	return to, true
}

// bounce sends one DSN for the recipients that hard-bounced or expired in
// one event, to the envelope sender (or the profile's bounce address).
func (x *Delivery) bounce(j *job, hard []failed, orig []byte, now time.Time) {
	m := j.m
	spec := j.pol.Bounces()
	to, ok := x.reportTo(j, "bounce")
	if !ok {
		return
	}
	host := x.d.Hostname()
	var rcpts []dsn.Recipient
	for _, h := range hard {
		diag := h.f.diagnostic()
		if h.f.Kind == FailExpired && h.rc.LastError != "" {
			diag = "X-seg; delivery time expired; last error: " + h.rc.LastError
		}
		rcpts = append(rcpts, dsn.Recipient{
			Final: h.rc.Addr, Status: h.f.Status, RemoteMTA: h.f.RemoteMTA,
			Diagnostic: diag, LastAttempt: now,
		})
	}
	mid := x.d.Queue.NextMID()
	msgID := fmt.Sprintf("%d.%d.dsn@%s", now.UnixNano(), mid, host)
	raw, err := dsn.Build(dsn.Report{
		ReportingMTA: host, To: to, Subject: spec.Subject, Date: now, MessageID: msgID,
		OrigMID: m.MID, Arrival: m.Received, Recipients: rcpts, Original: orig,
		// Mail not received under RELAY may have a forged sender: its
		// bounce carries none of the original's content (issue 8).
		Untrusted: !m.Relayed,
		Plain:     spec.Plain,
	})
	if err != nil {
		x.d.Log.Warning("MID %d could not generate a bounce: %v", m.MID, err)
		return
	}
	subject := spec.Subject
	if subject == "" {
		subject = "Delivery Status Notification (Failure)"
	}
	nm := &queue.Message{
		MID: mid, Kind: queue.KindBounce, From: "",
		Rcpts:    []queue.Recipient{{RID: 0, Addr: to}},
		Received: now, Size: int64(len(raw)),
		MessageID: "<" + msgID + ">", Subject: subject, OrigMID: m.MID,
	}
	x.countGenerated(1)
	if err := x.d.Queue.Enqueue(nm, raw); err != nil {
		x.countGenerated(-1)
		x.d.Log.Warning("MID %d could not queue a bounce: %v", m.MID, err)
		return
	}
	x.logGenerated(nm, to)
}

// countGenerated counts (or, n < 0, uncounts) a DSN's recipient before
// it is queued, so that the commit which makes the DSN durable journals
// its count too (mta/lifetime.go).
func (x *Delivery) countGenerated(n int64) {
	x.d.Counters.Add(counters.GenBounceRecipients, n)
}

// logGenerated logs a DSN seg queued (a bounce or a delay warning) as
// AsyncOS logs a message it generates.
func (x *Delivery) logGenerated(nm *queue.Message, to string) {
	log, mid := x.d.Log, nm.MID
	log.Info("Start MID %d ICID 0", mid)
	log.Info("MID %d was generated for bounce of MID %d", mid, nm.OrigMID)
	log.Info("MID %d ICID 0 From: <>", mid)
	log.Info("MID %d ICID 0 RID 0 To: <%s>", mid, to)
	log.Info("MID %d Message-ID %s", mid, maillog.Repr(nm.MessageID))
	log.Info("MID %d Subject %s", mid, maillog.Repr(nm.Subject))
	log.Info("MID %d ready %d bytes from <>", mid, nm.Size)
	log.Info("MID %d queued for delivery", mid)
}
