package segtest

import (
	"os/exec"
	"syscall"
	"testing"
)

// StartInPTY starts cmd (a real client: OpenSSH's `ssh -tt`) in a new
// session whose controlling terminal is a fresh pseudo-terminal, 80
// columns and tall enough that nothing is paged (consoleRows), on its
// standard input, output and error, as a person's terminal would
// be, and returns the Terminal that drives it. `ssh -tt` puts that
// terminal in raw mode, so Ctrl-C (Terminal.Interrupt) travels to the
// remote shell as a key, not as a signal to ssh. At cleanup the process
// is killed if it still runs, and waited for.
//
// The Terminal's reader ends with an error once the process has exited
// and the master side reports it (EIO), so WaitFor after the remote
// side ended returns ErrTerminalClosed.
func StartInPTY(t testing.TB, cmd *exec.Cmd) *Terminal {
	t.Helper()
	return StartInPTYSize(t, cmd, consoleRows, 80)
}

// StartInPTYSize is StartInPTY with a terminal of rows x cols (a test
// of paging wants a small one).
func StartInPTYSize(t testing.TB, cmd *exec.Cmd, rows, cols uint16) *Terminal {
	t.Helper()
	master, slave, err := OpenPTY(rows, cols)
	if err != nil {
		t.Fatalf("segtest: opening a pty: %v", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		master.Close()
		slave.Close()
		t.Fatalf("segtest: starting %s: %v", cmd.Path, err)
	}
	slave.Close() // the child has its own copy
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
		master.Close()
	})
	return NewTerminal(master, master)
}
