package segtest

import (
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// OpenSSHTerminal logs in to the appliance's SSH server as user with
// OpenSSH's client (`ssh -tt`, the private key in keyFile, no
// configuration or known hosts of the machine's) on a pseudo-terminal,
// as an administrator at a terminal does, and returns the terminal to
// drive the interactive shell with. What the shell echoes, and what it
// does not, reaches the terminal exactly as an admin would see it.
// done is closed when ssh exits (the session was closed); the test's
// end kills a client still running.
func (a *Appliance) OpenSSHTerminal(keyFile, user string) (term *Terminal, done <-chan struct{}) {
	a.t.Helper()
	return OpenSSHTerminal(a.t, keyFile, a.SSHPort, user)
}

// OpenSSHTerminal is Appliance.OpenSSHTerminal for an SSH port.
func OpenSSHTerminal(t testing.TB, keyFile string, port int, user string) (*Terminal, <-chan struct{}) {
	t.Helper()
	master, slave, err := openPTY()
	if err != nil {
		t.Fatalf("segtest: opening a pty: %v", err)
	}
	cmd := exec.Command(Tool(t, "ssh"), "-tt",
		"-F", "/dev/null", "-i", keyFile, "-p", fmt.Sprint(port),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
		"-o", "IdentitiesOnly=yes", user+"@127.0.0.1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// ssh puts its controlling terminal (the pty) in raw mode, as it
	// does on an admin's own terminal.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		master.Close()
		slave.Close()
		t.Fatalf("segtest: starting ssh: %v", err)
	}
	slave.Close()
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		master.Close()
	})
	return NewTerminal(master, master), done
}
