package sshd

import "context"

// Drain stops accepting and waits for the open connections to end by
// themselves until ctx is done; Run's shutdown then closes the rest.
// shutdown and reboot stop the appliance from inside a session: draining
// first lets `ssh admin@host shutdown` receive its exit status.
func (s *Server) Drain(ctx context.Context) {
	s.init()
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
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
