package ctl

import "context"

// Drain stops accepting and waits for the open sessions to end by
// themselves until ctx is done; Close then ends the rest. shutdown and
// reboot stop the appliance from inside a session: draining first lets
// the `seg cli` that asked receive its exit status.
func (s *Server) Drain(ctx context.Context) {
	s.mu.Lock()
	s.closed = true
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil // Close must not close it again
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
