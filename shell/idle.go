package shell

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"seg/store"
)

// The CLI inactivity timeout (adminaccessconfig TIMEOUT, AsyncOS's
// default 30 minutes): an interactive session that receives nothing for
// that long is closed, its uncommitted changes discarded, so that a
// terminal left logged in does not stay an open door. Any byte from the
// client counts as input, not only whole lines: an admin typing a long
// line is not idle.

// ErrIdleTimeout is returned by the terminal's reader once the
// inactivity timeout closed the session.
var ErrIdleTimeout = errors.New("the session was closed by the inactivity timeout")

// idleState is when the session last received input (unix nanoseconds
// of the session clock) and whether the timeout fired.
type idleState struct {
	last  atomic.Int64
	fired atomic.Bool
}

// Touch records input now.
func (s *Session) Touch() { s.idle.last.Store(s.now().UnixNano()) }

// LastInput is when the session last received input (its start when
// none yet).
func (s *Session) LastInput() time.Time { return time.Unix(0, s.idle.last.Load()) }

// idleLimit is the running configuration's CLI inactivity timeout.
func (s *Session) idleLimit() (time.Duration, int) {
	minute := s.TimeoutMinute
	if minute <= 0 {
		minute = time.Minute
	}
	// Not s.running(), which panics on a broken store: this runs on the
	// watch's goroutine, where the default is the safe answer.
	m := store.DefaultCLITimeout
	if snap, err := s.Store.Current(); err == nil {
		m = snap.Config.AdminAccess.CLITimeoutMinutes()
	}
	return time.Duration(m) * minute, m
}

// watchIdle closes the session through end once it has received no
// input for the configured timeout, read again at every wake-up so that
// a committed change applies to open sessions too. The returned func
// stops the watch.
func (s *Session) watchIdle(end func()) (stop func()) {
	done := make(chan struct{})
	go func() {
		for {
			limit, _ := s.idleLimit()
			wait := s.LastInput().Add(limit).Sub(s.now())
			if wait <= 0 {
				s.idle.fired.Store(true)
				end()
				return
			}
			t := time.NewTimer(wait)
			select {
			case <-done:
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done) }
}

// timedOut reports whether the inactivity timeout closed the session.
func (s *Session) timedOut() bool { return s.idle.fired.Load() }

// closeIdle ends a session the timeout closed: what was staged is
// discarded, and the user is told why the session ended.
func (s *Session) closeIdle() {
	_, m := s.idleLimit()
	fmt.Fprintf(s.Out, "\nThis session has been idle for more than %d minutes (adminaccessconfig timeout) and has been closed.\n", m)
	if s.Dirty() {
		n := len(s.Changes())
		s.Discard()
		fmt.Fprintf(s.Out, "%d uncommitted change(s) were discarded.\n", n)
	}
}

// activityReader records every read that brings input.
type activityReader struct {
	r io.Reader
	s *Session
}

func (a *activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.s.Touch()
	}
	return n, err
}
