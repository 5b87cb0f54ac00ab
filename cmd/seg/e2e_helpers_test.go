package main

// End-to-end tests drive the real binary, built once (segtest.Binary): `seg
// run` as a child process, `seg cli` against it and offline, OpenSSH's
// ssh client, and x/crypto/ssh for password logins.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"seg/internal/segtest"
)

func TestMain(m *testing.M) { segtest.Main(m) }

// testEnv is the environment of the processes the tests start:
// segtest's (the test's own without SEG_* variables, and no exit sleep
// for race-enabled seg), plus extra.
func testEnv(extra ...string) []string {
	return append(segtest.Env(), extra...)
}

// result is a finished seg cli.
type result struct {
	out, err string
	code     int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
}

// segCLI runs `seg cli --data dir ARGS...` with stdin (may be nil).
func segCLI(t *testing.T, dir string, stdin string, args ...string) result {
	t.Helper()
	return runSeg(t, stdin, nil, append([]string{"cli", "--data", dir}, args...)...)
}

func runSeg(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(segtest.Binary(t), args...)
	cmd.Env = testEnv(env...)
	r, err := capture(cmd, stdin, 60*time.Second)
	if err != nil {
		t.Fatalf("seg %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// capture runs cmd with stdin, killing it after d, and returns its
// output and exit status. err is for a command that could not run or
// did not end in time; an exit status is not an error.
func capture(cmd *exec.Cmd, stdin string, d time.Duration) (result, error) {
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := runWithTimeout(cmd, d)
	r := result{}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		return result{}, err
	}
	r.out, r.err = out.String(), errb.String()
	return r, nil
}

// opensshCmd is OpenSSH's client logging in to the appliance as user
// with a key file, in batch mode, with no configuration or known hosts
// of the machine's: ssh runs command, or with none reads a batch on
// its standard input.
func opensshCmd(keyFile string, port int, user string, command ...string) *exec.Cmd {
	args := []string{
		"-F", "/dev/null", "-i", keyFile, "-p", fmt.Sprint(port),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
		"-o", "IdentitiesOnly=yes", "-T", user + "@127.0.0.1",
	}
	return exec.Command("ssh", append(args, command...)...)
}

// runWithTimeout runs cmd, killing it (by its own pid) after d.
func runWithTimeout(cmd *exec.Cmd, d time.Duration) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("%s timed out after %v", cmd.Path, d)
	}
}

// mustCLI runs seg cli and fails the test unless it exits 0.
func mustCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := segCLI(t, dir, "", args...)
	if r.code != 0 {
		t.Fatalf("seg cli %s:\n%s", strings.Join(args, " "), r)
	}
	return r.out
}

// appliance is a running `seg run`.
type appliance struct {
	t        *testing.T
	dir      string
	cmd      *exec.Cmd
	out, err *segtest.SyncBuffer
	done     chan struct{}
	waitErr  error
}

// startAppliance starts `seg run --data dir ARGS...` and waits until its
// control socket answers.
func startAppliance(t *testing.T, dir string, args []string, env ...string) *appliance {
	t.Helper()
	a := &appliance{t: t, dir: dir, out: &segtest.SyncBuffer{}, err: &segtest.SyncBuffer{}, done: make(chan struct{})}
	a.cmd = exec.Command(segtest.Binary(t), append([]string{"run", "--data", dir}, args...)...)
	a.cmd.Env = testEnv(env...)
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.err
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		a.waitErr = a.cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(func() { a.kill() })
	sock := filepath.Join(dir, "seg.sock")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return a
		}
		select {
		case <-a.done:
			t.Fatalf("seg run exited: %v\nstdout:\n%s\nstderr:\n%s", a.waitErr, a.out, a.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("seg run: no control socket after 30 s\nstdout:\n%s\nstderr:\n%s", a.out, a.err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns the exit code.
func (a *appliance) stop() int {
	a.t.Helper()
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		a.cmd.Process.Kill()
		<-a.done
		a.t.Fatalf("seg run did not stop within 30 s of SIGTERM\nstderr:\n%s", a.err)
	}
	var ee *exec.ExitError
	if errors.As(a.waitErr, &ee) {
		return ee.ExitCode()
	}
	if a.waitErr != nil {
		a.t.Fatalf("seg run: %v", a.waitErr)
	}
	return 0
}

// kill ends the process if it still runs (test cleanup; a crash).
func (a *appliance) kill() {
	select {
	case <-a.done:
	default:
		a.cmd.Process.Kill()
		<-a.done
	}
}

// fileContains reports whether path holds substr.
func fileContains(path, substr string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), substr)
}

// configurePorts sets the SMTP listener and SSH ports of a data dir
// offline, so that tests never bind the default ports.
func configurePorts(t *testing.T, dir string, smtp, ssh int) {
	t.Helper()
	mustCLI(t, dir, fmt.Sprintf("listenerconfig edit IncomingMail setup --port %d ; sshconfig setup --port %d ; commit ports", smtp, ssh))
}
