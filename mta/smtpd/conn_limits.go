package smtpd

import (
	"net"
	"time"
)

// The conn's side of the time limits (timeouts.go) and of eviction
// (slots.go).

// wait arms the read deadline before Read waits for the client in reply
// state code; it returns the reason the session is over instead when a
// limit has already run out or the conn has been evicted.
func (c *conn) wait(code int) endReason {
	d, why := c.t.arm(code, time.Now())
	if why != endNone {
		return why
	}
	// evict sets stop, then the deadline, under c.mu: checking stop after
	// setting our own deadline under c.mu, Read either sees the stop or
	// has its deadline replaced by evict's and wakes at once.
	c.mu.Lock()
	c.Conn.SetReadDeadline(d)
	c.mu.Unlock()
	if why := endReason(c.t.stop.Load()); why != endNone {
		return why
	}
	c.t.idleSince.Store(c.t.waitFrom.UnixNano())
	return endNone
}

// end closes the session for why: the 421 (unless the conn has already
// hung up), the mail_logs line, and the error Read returns, on which
// go-smtp stops quietly (a transaction in progress is aborted by its
// Reset: "Message aborted MID n Receiving aborted").
func (c *conn) end(why endReason) error {
	c.t.idleSince.Store(0)
	c.mu.Lock()
	if !c.hungUp {
		c.Conn.SetWriteDeadline(time.Now().Add(endWriteTimeout))
		c.Conn.Write([]byte(why.reply()))
		c.hangUpLocked()
	}
	c.mu.Unlock()
	c.log.Info("ICID %d disconnected address %s, %s", c.info.icid, c.info.ip, c.t.logText(why, c.info.lc.Name))
	return net.ErrClosed
}

// evict ends the session from another goroutine (the listener's, making
// room): its Read wakes, sees why and ends it. The 421 is written by the
// conn's own goroutine, under c.mu, so it never interleaves with a reply
// go-smtp is writing.
func (c *conn) evict() {
	c.t.stop.Store(int32(endEvicted))
	c.mu.Lock()
	c.Conn.SetReadDeadline(time.Unix(1, 0))
	c.mu.Unlock()
}
