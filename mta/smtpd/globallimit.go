package smtpd

import (
	"net"
	"time"
)

// The global connection limit (listenerconfig SETUP, store.ListenerSetup):
// the inbound connections of all listeners together. Every accepted
// connection is tracked (server.go) before connect looks, this one
// included, so two arriving at once never both pass at the limit.

// overGlobalLimit reports whether the connections now open exceed max
// (0: no global limit).
func (s *Server) overGlobalLimit(max int) bool {
	if max <= 0 {
		return false
	}
	s.connMu.Lock()
	n := len(s.conns)
	s.connMu.Unlock()
	return n > max
}

// refuseGlobal answers a connection over the global limit as one over a
// listener's own: 421 (RFC 5321 section 3.1 lets a server refuse at the
// greeting with 421), logged with AsyncOS's reason.
func (s *Server) refuseGlobal(raw net.Conn, icid int64, idle time.Duration) {
	s.sayAndClose(raw, "421 4.3.2 Too many connections to this system, try again later\r\n", idle)
	s.d.Log.Info("ICID %d Receiving Failed: Connection limit exceeded", icid)
}
