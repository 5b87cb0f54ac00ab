package smtpd

import (
	"net/netip"
	"sort"
	"time"
)

// A listener's connection slots (docs/connection-limits.md). Every
// accepted connection holds one from accept to close; max_concurrency
// bounds them. So that clients holding idle connections cannot lock
// everyone else out (31 addresses x 10 idle connections fill 300
// slots):
//
//   - The last reserved_percent of the slots (at least one) are for
//     clients whose HAT policy is RELAY (RELAYLIST): the hosts an
//     appliance relays for get in when the listener is full.
//   - Above pressurePercent of the slots the listener is under
//     pressure: every arrival first drops the connections that have
//     been idle for pressure_idle, the longest idle first, until the
//     listener is back at pressurePercent (as Postfix's stress mode
//     shortens its timeouts when its process limit is reached). An
//     ordinary client that already holds a session here gets no
//     further one under pressure: the room eviction makes goes to
//     addresses that hold none ("new IPs").
//
// Refused clients are answered 421 4.3.2 (connect.go).

// pressurePercent is how full a listener is before idle connections are
// dropped for new ones (the 80%), and the share of
// max_connection_time after which no new message starts (AsyncOS).
const pressurePercent = 80

// slot is one connection's place on its listener.
type slot struct {
	ip       netip.Addr
	admitted bool // a session: counted per IP
	gone     bool // released: closed or evicted
}

// admission is what admit decided.
type admission int

const (
	admitted       admission = iota
	refuseListener           // no slot for this class of client
	refuseIP                 // the policy's per-IP max_concurrency
)

// open counts a new connection and returns its slot.
func (l *listener) open(ip netip.Addr) *slot {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	l.active++
	return &slot{ip: ip}
}

// release frees a slot; the second release of a slot (eviction then
// close) does nothing.
func (l *listener) release(sl *slot) {
	l.cmu.Lock()
	l.releaseLocked(sl)
	l.cmu.Unlock()
}

func (l *listener) releaseLocked(sl *slot) {
	if sl.gone {
		return
	}
	sl.gone = true
	l.active--
	if sl.admitted {
		if l.perIP[sl.ip] <= 1 {
			delete(l.perIP, sl.ip)
		} else {
			l.perIP[sl.ip]--
		}
	}
}

// full reports whether the listener has no slot for a client of this
// class: the whole of max for trusted clients, max less the reserve for
// the others.
func (l *listener) full(max, reserved int, trusted bool) bool {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	return l.fullLocked(max, reserved, trusted)
}

func (l *listener) fullLocked(max, reserved int, trusted bool) bool {
	if max <= 0 {
		return false
	}
	if !trusted {
		max -= reserved
	}
	return l.active > max
}

// admit makes a slot a session: it checks the listener's slots for the
// client's class, the pressure rule for addresses that already hold a
// session, and the policy's per-IP limit (perIP <= 0: none).
func (l *listener) admit(sl *slot, max, reserved int, trusted bool, perIP int64) admission {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	if l.fullLocked(max, reserved, trusted) {
		return refuseListener
	}
	held := l.perIP[sl.ip]
	if !trusted && held > 0 && max > 0 && l.active > max*pressurePercent/100 {
		return refuseListener
	}
	if perIP > 0 && int64(held) >= perIP {
		return refuseIP
	}
	l.perIP[sl.ip]++
	sl.admitted = true
	return admitted
}

// attach makes an admitted session's conn a candidate for eviction.
func (l *listener) attach(sl *slot, c *conn) {
	l.cmu.Lock()
	if !sl.gone {
		l.sessions[c] = sl
	}
	l.cmu.Unlock()
}

// detach is the end of a session: its slot goes and it is no longer a
// candidate.
func (l *listener) detach(sl *slot, c *conn) {
	l.cmu.Lock()
	delete(l.sessions, c)
	l.releaseLocked(sl)
	l.cmu.Unlock()
}

// relieve drops idle sessions while the listener is over pressurePercent
// of max: those waiting for their client for at least idle (by now, the
// Server's clock), the longest idle first, until it is back at
// pressurePercent. Their slots are free when it returns; each conn
// writes its 421 and closes from its own goroutine (conn.evict).
func (l *listener) relieve(now time.Time, max int, idle time.Duration) int {
	if max <= 0 || idle <= 0 {
		return 0
	}
	type cand struct {
		c     *conn
		since int64
	}
	var victims []cand
	l.cmu.Lock()
	excess := l.active - max*pressurePercent/100
	if excess > 0 {
		limit := now.Add(-idle).UnixNano()
		for c := range l.sessions {
			if s := c.t.idleSince.Load(); s != 0 && s <= limit {
				victims = append(victims, cand{c, s})
			}
		}
		sort.Slice(victims, func(i, j int) bool { return victims[i].since < victims[j].since })
		if len(victims) > excess {
			victims = victims[:excess]
		}
		for _, v := range victims {
			l.releaseLocked(l.sessions[v.c])
			delete(l.sessions, v.c)
		}
	}
	l.cmu.Unlock()
	for _, v := range victims {
		v.c.evict()
	}
	return len(victims)
}

func (l *listener) connections() int {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	return l.active
}
