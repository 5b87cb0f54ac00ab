package tdc

import (
	"strings"
	"time"

	"seg/mta/delivery"
	"seg/mta/queue"
)

// Queue is the rules of the.tdc.queue for delivery (a delivery.Special):
// the connections it keeps open and the TDC log lines that replace the
// ordinary delivery lines.
type Queue struct{}

var _ delivery.Special = Queue{}

// SpecialFor is delivery.Deps.Special: Queue for Host, nil for every
// other destination.
func SpecialFor(dest string) delivery.Special {
	if strings.EqualFold(dest, Host) {
		return Queue{}
	}
	return nil
}

// MinConns is MinConnections.
func (Queue) MinConns() int { return MinConnections }

// Linger is IdleLinger.
func (Queue) Linger() time.Duration { return IdleLinger }

// Hold is HoldWhileBusy.
func (Queue) Hold() time.Duration { return HoldWhileBusy }

// NewConn is LogNewConn.
func (Queue) NewConn(dcid int64, ifaceIP, ip string, port int) string {
	return LogNewConn(dcid, ifaceIP, ip, port)
}

// ConnError is LogConnectionError.
func (Queue) ConnError(dcid int64, ip string, port int, detail, ifaceIP, reason string) string {
	return LogConnectionError(dcid, ip, port, detail, ifaceIP, reason)
}

// DeliveryStart is LogDeliveryStart for the copy, under its own MID: a
// copy's delivery is part of its own life, never of the original's
// (LogGenerated ties the two).
func (Queue) DeliveryStart(dcid int64, m *queue.Message) string {
	return LogDeliveryStart(dcid, m.MID)
}

// Delivered is LogDelivered for the copy.
func (Queue) Delivered(m *queue.Message) []string {
	return []string{LogDelivered(m.MID)}
}

// Delayed is LogDelayed for the copy.
func (Queue) Delayed(m *queue.Message, f *delivery.Failure, next time.Time) []string {
	return []string{LogDelayed(m.MID, f.Status, replyText(f), next)}
}

// Failed says why a copy left the queue undelivered: a 5xx reply (also
// a 503 or 552 on the retry) is a hard bounce, a TLS failure a TLS
// error, an administrator's bouncerecipients a bounce; everything else
// (4xx, connection and DNS errors after the retry, the 120 s) expiry.
// SPEC 6's hard bounce line names no MID: the line delivery logs next
// for the same copy names it.
func (Queue) Failed(m *queue.Message, f *delivery.Failure) []string {
	mid := m.MID
	switch {
	case f.Kind == delivery.FailSMTP && f.Code/100 == 5:
		return []string{LogHardBounce(f.Status, replyText(f)), LogHardBounced(mid)}
	case f.Kind == delivery.FailTLS:
		return []string{LogTLSFailed(mid)}
	case f.Kind == delivery.FailAdmin:
		return []string{LogFailed(mid, ReasonAdmin)}
	}
	return []string{LogFailed(mid, ReasonExpired)}
}

// replyText is a failure's text on one line, without the enhanced
// status code delivery puts back before each reply line (LogHardBounce
// shows the code once, before it).
func replyText(f *delivery.Failure) string {
	lines := strings.Split(f.Text, "\n")
	for i, l := range lines {
		if code, rest, ok := strings.Cut(l, " "); ok && isStatus(code) {
			lines[i] = rest
		}
	}
	return strings.Join(lines, " ")
}

// isStatus reports whether s looks like an enhanced status code (RFC
// 3463: class.subject.detail).
func isStatus(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
