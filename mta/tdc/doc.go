// Package tdc is seg's Threat Defense Connector (SPEC 6): incoming mail
// is split by mail policy, and every part whose policy journals (TDC
// enabled, policy setting default or custom) gets a journal copy, a new
// message that carries the original byte for byte to a message intake
// address through its own delivery queue, the.tdc.queue. The package is
// pure: it builds messages, decisions and log lines; smtpd and delivery
// call it.
//
// # Inbound (mta/smtpd), after DATA
//
//	plans := tdc.Plan(cfg, m, relay)            // one per policy, table order
//	table := tdc.Table(relay)
//	msgs := make([]*queue.Message, len(plans))
//	for i, pl := range plans {
//		mid := m.MID                            // the first part keeps the MID
//		if i > 0 {
//			mid = q.NextMID()
//			log.Info("%s", tdc.LogSplit(m.MID, mid, pl.Policy, table))
//		}
//		msgs[i] = pl.Message(m, mid)            // only this part's recipients
//	}
//	for _, pm := range msgs {
//		log.Info("%s", tdc.LogMatched(pm.MID, pm.Policy, table))
//	}
//	// Enqueue every part (concurrently: they share one fsync), then "250".
//
// With one plan the message is not split: msgs[0] is m with Policy set,
// and the lines are those smtpd writes today. Journal only once a part is
// durable, and never make the 250 wait for it: after Enqueue returned for
// a part with pl.Intake != "", in a goroutine (or a small worker):
//
//	jm, jb := tdc.Journal(pm, body, pl.Intake, tdc.JournalParams{
//		NewMID: q.NextMID, Hostname: cfg.System.Hostname, Now: now(),
//	})
//	if err := q.Enqueue(jm, jb); err != nil {
//		log.Warning(...)                        // the original is unaffected
//	} else {
//		log.Info("%s", tdc.LogEnqueued(pm.MID, pm.MessageID, pl.Intake))
//	}
//
// body is the stored body (with seg's Received header), the bytes the
// original is delivered with. The copy is KindTDC, Host = tdc.Host,
// OrigMID = the part's MID; its Received starts the 120 s lifetime.
// A crash between the 250 and the copy's Enqueue loses that copy, which
// SPEC 6 allows (the copy never delays the original).
//
// # Outbound (mta/delivery)
//
//	deps.Retry = tdc.RetryFor(nil)              // KindTDC: tdc.Retry; else bounce profile
//
// Retry is SPEC 6's table: SMTP 5xx except 503/552 and TLS errors are
// final; 4xx, 503, 552, connection and DNS errors get one retry; a copy
// leaves the queue after its retry or 120 s queued; Bounces() never
// sends a DSN. The scheduler should keep tdc.MinConnections connections
// open to tdc.Host while it has entries (more per destination controls)
// and close them when it empties. Copies are routed like any mail for the
// intake address's domain (smtproutes, then MX); only the queue name and
// log lines differ.
//
// Log lines for the.tdc.queue replace the ordinary delivery lines (all
// return the text after "Info: "):
//
//	connection opened       LogNewConn(dcid, ifaceIP, ip, port)
//	transaction starts      LogDeliveryStart(dcid, mid)
//	accepted                LogDelivered(mid)
//	connection failed       LogConnectionError(dcid, ip, port, detail, ifaceIP, reason)
//	TLS failed (final)      LogTLSFailed(mid)
//	5xx (final)             LogHardBounce(f.Status, f.Text), then LogHardBounced(mid)
//	expired / out of retry  LogFailed(mid, "Expired")   (seg's wording)
//
// Which MID: AsyncOS's TDC lines carry the MID of the message being
// forwarded, so pass the copy's OrigMID in every TDC line; `findevent
// --mid N` then shows a message's journaling, and message tracking can
// show TrackDelivered(N) or TrackFailed(N, reason) for it.
package tdc
