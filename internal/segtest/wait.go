package segtest

import (
	"testing"
	"time"
)

// Poll calls cond until it is true or timeout has passed, and reports
// whether cond held. It looks again after 1 ms, then ever less often, up
// to every 10 ms: an in-process condition is seen at once, and a long
// wait (one that runs `seg cli` each time, say) does not spin.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 10*time.Millisecond)
	}
}

// Wait polls cond (see Poll) and fails the test, naming what it waited
// for, unless cond holds within timeout.
func Wait(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}
