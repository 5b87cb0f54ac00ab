package ctl

import (
	"context"
	"testing"
	"time"
)

// TestDrainLetsTheAskingSessionFinish: a session that stops the server
// (shutdown) still gets its output and exit status when the server
// drains before closing; then the socket takes no new session. Without
// Drain the exit status is lost now and then: 20 rounds.
func TestDrainLetsTheAskingSessionFinish(t *testing.T) {
	for range 20 {
		sh := &fakeShell{}
		path, s := serve(t, sh)
		stopped := make(chan struct{})
		sh.onRun = func() {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				s.Drain(ctx)
				s.Close()
				close(stopped)
			}()
		}
		code, out, _ := run(t, path, Hello{User: "admin", Mode: ModeOneShot, Command: "shutdown 0"}, nil)
		if code != ExitOK || out != "admin ran \"shutdown 0\"\n" {
			t.Fatalf("the session that stopped the server: exit %d, output %q", code, out)
		}
		<-stopped
		if c, err := Dial(path); err == nil {
			c.Close()
			t.Fatal("the socket takes sessions after Drain and Close")
		}
	}
}
