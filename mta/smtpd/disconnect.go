package smtpd

import "context"

// Disconnect waits until ctx is done for the sessions in flight to end,
// then closes the ones still open, mid-command if need be (suspend's
// "abruptly closing connections"); it returns how many it closed. A
// message not yet acknowledged is not queued: its client sends it again.
func (s *Server) Disconnect(ctx context.Context) int {
	if s.waitDrained(ctx) == nil {
		return 0
	}
	s.connMu.Lock()
	defer s.connMu.Unlock()
	n := len(s.conns)
	for c := range s.conns {
		c.Close()
	}
	return n
}
