package segtest

import (
	"os/exec"
	"testing"
	"time"
)

// TestExec: stdin reaches the command, the streams come back apart with
// the exit code, a signal is exit -1, and a command that outlives its
// deadline is killed and reported with what it wrote.
func TestExec(t *testing.T) {
	sh := Tool(t, "sh")
	r, err := Exec(exec.Command(sh, "-c", "cat; echo oops >&2; exit 3"), "in\n", 10*time.Second)
	if err != nil || r != (Result{Stdout: "in\n", Stderr: "oops\n", Code: 3}) {
		t.Errorf("Exec = %+v, %v", r, err)
	}
	if r, err := Exec(exec.Command(sh, "-c", "kill -9 $$"), "", 10*time.Second); err != nil || r.Code != -1 {
		t.Errorf("a killed command: %+v, %v, want exit -1", r, err)
	}
	start := time.Now()
	r, err = Exec(exec.Command(sh, "-c", "echo started; exec sleep 30"), "", 500*time.Millisecond)
	if err == nil || r.Stdout != "started\n" {
		t.Errorf("a command past its deadline: %+v, %v", r, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Exec returned %v after a 500 ms deadline", d)
	}
	if _, err := Exec(exec.Command("/nonexistent/cmd"), "", time.Second); err == nil {
		t.Error("a command that cannot start reported no error")
	}
}
