package smtpd

import (
	"net"
	"time"
)

// The conn's side of the time limits (timeouts.go) and of eviction
// (slots.go).

// wait arms the read deadline before the loop waits for the client in
// reply state code (354: message data); it returns the reason the
// session is over instead when a limit has already run out or the conn
// has been evicted.
func (c *conn) wait(code int) endReason {
	d, why := c.t.arm(code, time.Now())
	if why != endNone {
		return why
	}
	// evict sets stop, then the deadline, under c.mu: checking stop after
	// setting our own deadline under c.mu, the read either sees the stop
	// or has its deadline replaced by evict's and wakes at once.
	c.mu.Lock()
	c.raw.SetReadDeadline(d)
	c.mu.Unlock()
	if why := endReason(c.t.stop.Load()); why != endNone {
		return why
	}
	c.t.idleSince.Store(c.t.waitFrom.UnixNano())
	return endNone
}

// end closes the session for why: the replies already made, the 421
// (unless the conn has already hung up), the mail_logs line, and the
// error the read returns, on which the loop stops quietly (a
// transaction in progress is aborted: "Message aborted MID n Receiving
// aborted").
func (c *conn) end(why endReason) error {
	c.t.idleSince.Store(0)
	if !c.hungUp {
		c.flush()
		c.raw.SetWriteDeadline(time.Now().Add(endWriteTimeout))
		c.raw.Write([]byte(why.reply()))
		c.hangUp()
	}
	c.log.Info("ICID %d disconnected address %s, %s", c.info.icid, c.info.ip, c.t.logText(why, c.info.lc.Name))
	return net.ErrClosed
}

// evict ends the session from another goroutine (the listener's, making
// room): its read wakes, sees why and ends it. The 421 is written by the
// conn's own goroutine, after the replies it has made.
func (c *conn) evict() {
	c.t.stop.Store(int32(endEvicted))
	c.mu.Lock()
	c.raw.SetReadDeadline(time.Unix(1, 0))
	c.mu.Unlock()
}
