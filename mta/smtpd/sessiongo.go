package smtpd

import "time"

// Sessions run on goroutines that outlive one connection: when a session
// ends, its goroutine waits up to sessionIdle for the next accepted
// connection before it exits. A new goroutine starts with a small stack
// that a session grows, copying it, three times or so (runtime.newstack
// and copystack were 2.2% of the relay's CPU with smtp-source's one
// connection per message, bench/relay.sh PROFILE=1); a reused one
// already has it. Idle goroutines are at most as many as the sessions
// that ran at once, and are gone sessionIdle after the load.
const sessionIdle = time.Second

// runSession serves one connection, on an idle session goroutine when one
// is waiting, else on a new one that the Server's wait group counts.
func (s *Server) runSession(serve func()) {
	select {
	case s.idle <- serve:
		return
	default:
	}
	s.wg.Add(1)
	go s.sessionLoop(serve)
}

// sessionLoop runs serve, then the sessions handed to it while it waits.
func (s *Server) sessionLoop(serve func()) {
	defer s.wg.Done()
	t := time.NewTimer(sessionIdle)
	defer t.Stop()
	for serve != nil {
		serve()
		serve = nil
		t.Reset(sessionIdle)
		select {
		case serve = <-s.idle:
		case <-t.C:
		case <-s.quit:
		}
	}
}
