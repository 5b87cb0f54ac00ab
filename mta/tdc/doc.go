// Package tdc is seg's Threat Defense Connector (SPEC 6): incoming mail
// is split by mail policy (mta/mailpolicy), and every part whose policy
// journals (TDC enabled, policy setting default or custom) gets a journal
// copy, a new message that carries the original byte for byte to a
// message intake address through its own delivery queue, the.tdc.queue.
// The package builds messages, decisions and log lines (pure), plus the
// Copier that makes copies for the SMTP session. It plugs into mta/smtpd
// and mta/delivery through the seams they declare (smtpd.Deps.Journal,
// delivery.Deps.Retry and Special), and neither imports it: mta/mta.go
// wires it into both:
//
//	delivery.Deps{Retry: tdc.RetryFor(nil), Special: tdc.SpecialFor, Busy: meter.Busy, ...}
//	smtpd.Deps{Journal: tdc.Copier{NewMID: queue.NextMID}.Copy, ...}
//
// # Inbound (mta/smtpd, after DATA)
//
// smtpd splits the message by the incoming table (the outgoing table for
// mail received under RELAY) with mta/mailpolicy: the part of the first
// policy in table order keeps the MID and its RIDs; each other part gets
// a new MID ("MID n was split creating MID m due to a per-recipient
// policy P in the inbound table") and RIDs from 0; every part is logged
// with "matched all recipients". smtpd offers each part, with the policy
// it matched, to Deps.Journal; the Copier decides (Intake: none for
// relayed mail, when TDC is disabled, or for a policy whose setting is
// off) and builds the copy (Journal: the MIME before and after the
// original's body) and its log lines (LogMade, written before the
// write, and LogQueued, after it); every part is then queued with its
// copy in one write (queue.EnqueueWith: the original's
// body is written once, the copy's record points at it), all parts
// concurrently (one group-commit fsync), before the 250. So a copy exists
// exactly when its original was accepted: a message refused (the queue
// failed, 451) is not copied, and a crash after the 250 loses no copy.
// Building it costs the session a scan of the body; the original's
// delivery never waits for the copy's.
//
// What the copy carries: the message/rfc822 part is the original exactly
// as seg stored it and delivers it to the recipients, that is seg's own
// Received header followed by the bytes the client sent after DATA
// (dot-unstuffed, nothing else changed). "The original, byte for byte" is
// read as the message as seg received and passed it on, the same bytes
// the recipients get. The end-to-end test TestJournalByteForByte
// (mta/mailtest) asserts exactly this relation for go-smtp, python
// smtplib and swaks clients.
//
// # Outbound (mta/delivery)
//
// Copies are queue.KindTDC with Host = the.tdc.queue: one destination
// queue, counted as that host by tophosts, hoststatus and status, routed
// per copy like any mail for the intake address's domain (smtproutes,
// then MX), with destconfig's entry for "the.tdc.queue" (or DEFAULT) for
// limits and TLS. Queue (a delivery.Special) gives it:
//
//   - at least MinConnections connections: its concurrency limit is
//     max(max_host_concurrency, 3); more are opened by the normal logic,
//     one per due copy while under the limit;
//   - connections kept open: a connection with nothing to send stays open
//     while the queue has entries (beyond MinConnections, only for
//     IdleLinger after it was last used) and for IdleLinger (1 s) after it
//     empties, then QUITs; reused connections are checked with NOOP after
//     an idle wait. A connection carries only copies for the intake
//     domain it was made for;
//   - background priority: while the machine's CPU is saturated
//     (mta/cpuload: over 75% of all CPUs in use in the last 100 ms) and
//     ordinary mail is being delivered, due copies wait, up to
//     HoldWhileBusy (60 s) after they were queued; the connections
//     already open stay open. A burst of mail is delivered at the speed
//     it would have without TDC and its copies follow when it is through;
//     under load that never ends the copies still go, 60 s late;
//   - the TDC log lines in place of the ordinary delivery lines.
//
// Retry is SPEC 6's table: SMTP 5xx except 503/552 and TLS errors are
// final; 4xx, 503, 552, connection and DNS errors get one retry,
// RetryWait (30 s) later; a copy leaves the queue after its retry or
// Lifetime (120 s) queued, and an attempt still under way then is cut
// short (Retry.Deadline, a delivery.Deadliner), so that an intake that
// accepts and never answers cannot hold a copy longer. Bounces() never
// sends a DSN.
//
// # Log lines and MIDs
//
// A copy has a life of its own in mail_logs, under its own MID, as
// AsyncOS logs a message it generates from another (S:141-148 of
// reference/mail_logs.sample, a bcc filter's copy): before it is queued,
// "Start MID c ICID 0", "MID c was generated based on MID o by tdc
// filter 'Threat Defense Connector'" (LogGenerated: the line that ties
// it to its original o, in the form the parsers that follow generated
// messages read), its From and RID 0 To lines and "MID c ready N bytes"
// (LogMade); once it is, "MID c queued for delivery" and SPEC 6's
// enqueued line (LogQueued). The enqueued line names the original, MID
// and Message-ID: it is an event of the original's life, the one TDC
// line the original carries. Like the sample's copy, a copy logs no
// Message-ID or Subject line. Its delivery lines, the TDC lines below,
// carry the copy's MID c, never o's, so that a tracker never merges the
// intake's delivery into the customer's message; then "DCID n TLS
// success ...", "DCID n close" and "Message finished MID c done" as for
// any message. SPEC 6's hard bounce line names no MID: the copy's
// failure line, which names it, is logged next by the same call, and
// "TDC: Delivery start DCID n MID c" came before it (a line of another
// delivery running at the same moment may come between them: the
// logger writes line by line).
//
// `findevent --mid o` follows the generated line to o's copy and ends
// with message tracking's one line about o (Tracker: TrackQueued after
// the enqueued line, TrackDelivered or TrackFailed after the copy's
// outcome, whose MID the generated line maps back to o). The lines,
// all returned without the "{ctime} Info: " prefix:
//
//	copy made               LogMade(copy): Start MID, LogGenerated(c, o), From, To, ready
//	copy queued             LogQueued(copy, orig, intake): queued for delivery, LogEnqueued(o, msgID, intake)
//	connection opened       LogNewConn(dcid, ifaceIP, ip, port)
//	connection failed       LogConnectionError(dcid, ip, port, detail, ifaceIP, reason)
//	transaction starts      LogDeliveryStart(dcid, c)
//	accepted                LogDelivered(c)
//	retried later           LogDelayed(c, dsn, text, next)               (seg's wording)
//	5xx (final)             LogHardBounce(dsn, text), then LogHardBounced(c)
//	TLS failed (final)      LogTLSFailed(c)
//	retries or 120 s out    LogFailed(c, "Expired")                      (seg's wording)
package tdc
