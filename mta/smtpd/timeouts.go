package smtpd

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"seg/store"
)

// The time limits of a connection (docs/connection-limits.md). Every
// one is enforced by the read deadline the conn sets before it waits
// for the client (conn.wait: before each command line, and before each
// read of message data in connReader), so no goroutine watches a
// connection: a deadline that passes wakes the read, which says why it
// woke, answers 421 and hangs up (conn.end). The limits come from the listener's
// ConnLimits in the snapshot the connection took at connect.
//
//   - idle_timeout: per command line (the whole line: the deadline is
//     set once before the line is read, so dripping a line a byte at a
//     time does not stretch it) and per piece of message data.
//   - max_connection_time: from connect to the end, wherever the session
//     is; past 80% of it a new MAIL is refused instead (session.Mail),
//     as AsyncOS does so as not to cut a message in the middle.
//   - data_timeout: from the 354 to the final dot.
//   - min_data_rate: message data must bring min_data_rate bytes per
//     second averaged over each data_rate_interval of the DATA phase.
//     The check runs when an interval has passed: at the next read, or
//     when the deadline set for the interval's end wakes the read.
//
// Eviction under pressure (slots.go) uses the same way in: it marks the
// conn and sets its read deadline in the past.

// endReason is why seg ends a session.
type endReason int32

const (
	endNone    endReason = iota
	endIdle              // idle_timeout
	endSession           // max_connection_time
	endData              // data_timeout
	endSlow              // min_data_rate
	endEvicted           // pressure_idle while the listener was busy
	endRetry             // not an end: a rate interval passed with enough data
)

// endWriteTimeout bounds the write of the closing 421: the session is
// over, so a client that does not read gets no more time.
const endWriteTimeout = 5 * time.Second

// reply is the line written before hanging up. RFC 5321 section 3.8: a
// server that must close answers 421; 4.4.2 is "bad connection"
// (RFC 3463), 4.7.0 a policy reason.
func (r endReason) reply() string {
	switch r {
	case endSession:
		return "421 4.4.2 Exceeded allowable connection time, disconnecting.\r\n"
	case endData:
		return "421 4.4.2 Exceeded allowable time for message data, disconnecting.\r\n"
	case endSlow:
		return "421 4.4.2 Message data too slow, disconnecting.\r\n"
	case endEvicted:
		return "421 4.7.0 Server busy, idle connection closed, try again later\r\n"
	}
	return "421 4.4.2 Idle timeout, disconnecting.\r\n"
}

// timers is the time state of one conn. Only the conn's own goroutine
// (its command loop) changes it, apart from idleSince and stop, which the
// listener's eviction reads and sets.
type timers struct {
	lim   store.ConnLimits
	clock func() time.Time // the Server's seam: eviction's idle time only

	start     time.Time // connect; deadlines are wall-clock (net.Conn)
	inData    bool
	dataStart time.Time
	dataBytes int64
	rateAt    time.Time // start of the current rate interval
	rateBytes int64     // dataBytes at rateAt

	// Eviction: a connection is idle while seg waits for the client,
	// from the banner or the last command that moved the session on
	// (progress), or the last message data. Other commands do not reset
	// it, so a client cannot hold a slot by sending NOOP every few
	// seconds.
	counted   bool      // the last command line moved the session on
	waitFrom  time.Time // on clock
	idleSince atomic.Int64
	stop      atomic.Int32 // an endReason set by eviction
}

func (t *timers) init(lim store.ConnLimits, clock func() time.Time) {
	t.lim, t.clock = lim, clock
	t.start = time.Now()
	t.counted = true
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

func (t *timers) sessionEnd() time.Time { return t.start.Add(seconds(t.lim.MaxConnectionTime)) }
func (t *timers) dataEnd() time.Time    { return t.dataStart.Add(seconds(t.lim.DataTimeout)) }
func (t *timers) rateEnd() time.Time    { return t.rateAt.Add(seconds(t.lim.DataRateInterval)) }

// progress reports whether a command verb moves the session on: a mail
// transaction or the security handshakes. HELO and EHLO do not (a client
// says them once and goes on to MAIL), nor do NOOP, RSET, VRFY, HELP and
// unrecognised commands.
func progress(verb string) bool {
	switch verb {
	case "MAIL", "RCPT", "DATA", "AUTH", "STARTTLS", "QUIT":
		return true
	}
	return false
}

// arm prepares a wait for the client in reply state code (354: message
// data) and returns the read deadline, or the reason the session is
// already over.
func (t *timers) arm(code int, now time.Time) (time.Time, endReason) {
	if code == 354 {
		if !t.inData {
			t.inData = true
			t.dataStart, t.rateAt = now, now
			t.dataBytes, t.rateBytes = 0, 0
		}
		t.waitFrom = t.clock()
	} else {
		t.inData = false
		if t.counted {
			t.waitFrom = t.clock()
		}
	}
	if why := t.passed(now); why != endNone && why != endRetry {
		return time.Time{}, why
	}
	d := earliest(now.Add(seconds(t.lim.IdleTimeout)), t.sessionEnd())
	if t.inData {
		d = earliest(d, t.dataEnd())
		if t.lim.MinDataRate > 0 {
			d = earliest(d, t.rateEnd())
		}
	}
	return d, endNone
}

// passed reports which limit has run out at now, checking the data rate
// when an interval has ended (and starting the next interval when the
// rate was enough: endRetry). endNone: none.
func (t *timers) passed(now time.Time) endReason {
	if !now.Before(t.sessionEnd()) {
		return endSession
	}
	if !t.inData {
		return endNone
	}
	if !now.Before(t.dataEnd()) {
		return endData
	}
	if t.lim.MinDataRate > 0 && !now.Before(t.rateEnd()) {
		if tooSlow(t.dataBytes-t.rateBytes, now.Sub(t.rateAt), t.lim.MinDataRate) {
			return endSlow
		}
		t.rateAt, t.rateBytes = now, t.dataBytes
		return endRetry
	}
	return endNone
}

// tooSlow reports whether n bytes in d are fewer than rate bytes a
// second on average.
func tooSlow(n int64, d time.Duration, rate int) bool {
	// n/d < rate, without floating point: n * 1e9 < rate * d(ns). rate is
	// at most 2^20 and d at most a few intervals of at most an hour, so
	// neither side overflows.
	return n*int64(time.Second) < int64(rate)*int64(d)
}

// done accounts for what a read of the client brought (got bytes) and
// decides what its error means: endNone (pass the error on, if any),
// endRetry (read again), or the reason to end the session.
func (t *timers) done(got int, err error) endReason {
	t.idleSince.Store(0)
	if t.inData {
		t.dataBytes += int64(got)
	}
	if why := endReason(t.stop.Load()); why != endNone {
		return why
	}
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		return endNone
	}
	if why := t.passed(time.Now()); why != endNone {
		return why
	}
	return endIdle
}

// command notes the verb of the command line just read: whether it
// moved the session on (progress) decides where eviction's idle time
// starts at the next wait.
func (t *timers) command(verb string) { t.counted = progress(verb) }

// idleFor is how long the client has been idle, as eviction sees it.
func (t *timers) idleFor() time.Duration { return t.clock().Sub(t.waitFrom) }

// pastSoftLimit reports whether the session has used 80% of
// max_connection_time, after which AsyncOS starts no new message.
func (t *timers) pastSoftLimit() bool {
	return time.Since(t.start) >= seconds(t.lim.MaxConnectionTime)*pressurePercent/100
}

// writeDeadline bounds a reply write: idle_timeout, and no later than
// the end of the session (with endWriteTimeout to say so once it has
// ended).
func (t *timers) writeDeadline(now time.Time) time.Time {
	end := t.sessionEnd()
	if min := now.Add(endWriteTimeout); end.Before(min) {
		end = min
	}
	return earliest(now.Add(seconds(t.lim.IdleTimeout)), end)
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// logText is the end of the mail_logs line "ICID n disconnected address
// IP, ..." (AsyncOS's form for max_connection_time).
func (t *timers) logText(why endReason, listener string) string {
	switch why {
	case endSession:
		return "exceeded allowable connection time"
	case endData:
		return fmt.Sprintf("exceeded allowable data time (%d s)", t.lim.DataTimeout)
	case endSlow:
		return fmt.Sprintf("message data slower than %d bytes/s over %d s", t.lim.MinDataRate, t.lim.DataRateInterval)
	case endEvicted:
		return fmt.Sprintf("idle for %d s while listener %s was over %d%% full", int(t.idleFor()/time.Second), listener, pressurePercent)
	}
	return fmt.Sprintf("idle timeout (%d s) exceeded", t.lim.IdleTimeout)
}
