package delivery

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"seg/internal/address"
	"seg/mta/maillog"
	"seg/mta/queue"
)

// alertEvery is how often one destination may raise the TLS failure
// alert (SPEC 11: one per domain per hour).
const alertEvery = time.Hour

// alerts remembers when each destination last raised the alert. It is
// in memory: a restart may send one more.
type alerts struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether dest may alert at now, and if so notes it.
func (a *alerts) due(dest string, now time.Time) (bool, time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	prev, ok := a.last[dest]
	if ok && now.Sub(prev) < alertEvery && !now.Before(prev) {
		return false, prev
	}
	if a.last == nil {
		a.last = map[string]time.Time{}
	}
	a.last[dest] = now
	return true, prev
}

// tlsAlert sends the alert recipients (alertconfig) a message saying
// that a connection to the job's destination could not have the TLS
// it required, when destconfig setup asks for it, at most once an hour
// per destination. The alert goes through the queue as seg's own mail
// with the null sender, as a bounce does (settle.go).
func (x *Delivery) tlsAlert(j *job, f *connFail) {
	cfg := j.cfg
	if !cfg.DestSetup.AlertOnTLSFail || f.fallback {
		return
	}
	log := x.d.Log
	now := x.d.Now()
	var to []string
	for _, a := range cfg.System.AlertRecipients {
		if _, err := address.Parse(a); err == nil {
			to = append(to, a)
		}
	}
	if len(to) == 0 {
		log.Warning("TLS failure alert for %s not sent: no alert recipients (alertconfig new ADDRESS)", j.dest)
		return
	}
	if ok, prev := x.alerts.due(j.dest, now); !ok {
		log.Info("TLS failure alert for %s not sent: one was sent at %s (one per hour)", j.dest, prev.Local().Format(ctimeLayout))
		return
	}
	host := x.d.Hostname()
	mid := x.d.Queue.NextMID()
	msgID := fmt.Sprintf("%d.%d.alert@%s", now.UnixNano(), mid, host)
	subject := "Warning <Delivery>: TLS connection to " + j.dest + " failed"
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\r\n", a...) }
	w("From: seg alert <alert@%s>", host)
	w("To: %s", strings.Join(to, ", "))
	w("Subject: %s", subject)
	w("Date: %s", now.Format(time.RFC1123Z))
	w("Message-ID: <%s>", msgID)
	w("MIME-Version: 1.0")
	w("Content-Type: text/plain; charset=utf-8")
	w("Auto-Submitted: auto-generated") // RFC 3834 section 5
	w("")
	w("The appliance %s could not deliver to %s with the TLS it requires.", host, j.dest)
	w("")
	w("Host:    %s", f.RemoteMTA)
	w("Reason:  %s", f.Text)
	w("Time:    %s", now.UTC().Format(time.RFC1123))
	w("")
	w("The messages stay in the queue and are retried. This alert is sent at most")
	w("once an hour for each destination (destconfig setup --alert-on-tls-failure).")
	raw := []byte(b.String())
	nm := &queue.Message{
		MID: mid, Kind: queue.KindBounce, From: "",
		Received: now, Size: int64(len(raw)),
		MessageID: "<" + msgID + ">", Subject: subject,
	}
	for i, a := range to {
		nm.Rcpts = append(nm.Rcpts, queue.Recipient{RID: i, Addr: a})
	}
	if err := x.d.Queue.Enqueue(nm, raw); err != nil {
		log.Warning("TLS failure alert for %s could not be queued: %v", j.dest, err)
		return
	}
	log.Info("Start MID %d ICID 0", mid)
	log.Info("MID %d was generated for the TLS failure alert about %s", mid, j.dest)
	log.Info("MID %d ICID 0 From: <>", mid)
	for i, a := range to {
		log.Info("MID %d ICID 0 RID %d To: <%s>", mid, i, a)
	}
	log.Info("MID %d Message-ID %s", mid, maillog.Repr(nm.MessageID))
	log.Info("MID %d Subject %s", mid, maillog.Repr(subject))
	log.Info("MID %d ready %d bytes from <>", mid, len(raw))
	log.Info("MID %d queued for delivery", mid)
}
