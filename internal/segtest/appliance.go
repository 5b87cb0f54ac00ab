package segtest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// AdminPassword is the admin password of every appliance New makes.
const AdminPassword = "segtest-password"

// Appliance is one seg data directory and, between Start and Stop or
// Kill, the `seg run` process serving it.
type Appliance struct {
	t        testing.TB
	bin      string
	Dir      string // the data directory
	SMTPPort int    // the IncomingMail listener, on 127.0.0.1 (set by New and Configure)
	SSHPort  int
	// Password is the admin password that a seg of this appliance gives
	// admin when it creates the data directory ($SEG_ADMIN_PASSWORD; seg
	// ignores it on an existing one). Empty, seg generates a password,
	// prints it once and writes DIR/initial-admin-password. New sets
	// AdminPassword.
	Password string
	// Env is added to the environment of `seg run` (Start and
	// StartConsole), e.g. SEG_TEST_LOCK_TIME=3s.
	Env []string

	mu      sync.Mutex
	cmd     *exec.Cmd
	out     *output // of the current or last run
	done    chan struct{}
	waitErr error
}

// output is what one `seg run` wrote: each stream apart, and both in
// the order they came.
type output struct{ all, stdout, stderr SyncBuffer }

// streams are the writers for the process's stdout and stderr.
func (o *output) streams() (stdout, stderr io.Writer) {
	return io.MultiWriter(&o.stdout, &o.all), io.MultiWriter(&o.stderr, &o.all)
}

// New makes a data directory whose admin password is AdminPassword and
// configures it offline (Configure: the IncomingMail listener and SSH on
// free ports, then the setup commands, then a commit). It does not start
// the appliance.
func New(t testing.TB, setup ...string) *Appliance {
	t.Helper()
	a := Open(t, filepath.Join(t.TempDir(), "data"))
	a.Password = AdminPassword
	a.Configure(setup...)
	return a
}

// Open is the appliance of the data directory dir as the test prepared
// it, or of none yet (the first seg makes it), with nothing of segtest's
// in it: the ports are whatever its configuration says (SMTPPort and
// SSHPort stay 0 until Configure) and admin's password is Password's. It
// does not start the appliance.
func Open(t testing.TB, dir string) *Appliance {
	t.Helper()
	a := &Appliance{t: t, bin: Binary(t), Dir: dir}
	t.Cleanup(a.cleanup)
	return a
}

// Configure puts the IncomingMail listener and SSH on free ports (so
// that appliances of parallel tests never collide), runs the setup
// commands in order and commits, in one `seg cli`; it fails the test
// unless that exits 0, and returns its output (on a new data directory
// with no Password, stderr names the file of the generated password).
func (a *Appliance) Configure(setup ...string) Result {
	a.t.Helper()
	a.SMTPPort, a.SSHPort = FreePort(a.t), FreePort(a.t)
	cmds := []string{
		fmt.Sprintf("listenerconfig edit IncomingMail setup --port %d", a.SMTPPort),
		fmt.Sprintf("sshconfig setup --port %d", a.SSHPort),
	}
	cmds = append(cmds, setup...)
	cmds = append(cmds, "commit segtest")
	r := a.CliInput("", strings.Join(cmds, " ; "))
	if r.Code != 0 {
		a.t.Fatalf("configuring the appliance: %s", r)
	}
	return r
}

// SMTPAddr is the IncomingMail listener's address.
func (a *Appliance) SMTPAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(a.SMTPPort))
}

// Running reports whether the `seg run` process is alive.
func (a *Appliance) Running() bool {
	a.mu.Lock()
	done := a.done
	a.mu.Unlock()
	return alive(done)
}

// alive reports whether the process whose Wait closes done (nil: never
// started) still runs.
func alive(done chan struct{}) bool {
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Start runs `seg run --data DIR ARGS...` (e.g. --hostname NAME) and
// returns once its control socket answers: the listeners are bound
// before the socket is (cmd/seg run.go), so the appliance then takes
// mail.
func (a *Appliance) Start(args ...string) {
	a.t.Helper()
	if a.Running() {
		a.t.Fatal("segtest: Start: the appliance is already running")
	}
	cmd := exec.Command(a.bin, append([]string{"run", "--data", a.Dir}, args...)...)
	out := &output{}
	cmd.Stdout, cmd.Stderr = out.streams()
	a.run(cmd, out)
}

// run starts cmd, a `seg run` whose output goes to out, and returns once
// its control socket answers.
func (a *Appliance) run(cmd *exec.Cmd, out *output) {
	a.t.Helper()
	cmd.Env = append(append(Env(), a.passwordEnv()...), a.Env...)
	if err := cmd.Start(); err != nil {
		a.t.Fatalf("starting seg run: %v", err)
	}
	done := make(chan struct{})
	a.mu.Lock()
	a.cmd, a.out, a.done, a.waitErr = cmd, out, done, nil
	a.mu.Unlock()
	go func() {
		err := cmd.Wait()
		a.mu.Lock()
		a.waitErr = err
		a.mu.Unlock()
		close(done)
	}()
	sock := filepath.Join(a.Dir, "seg.sock")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			a.t.Fatalf("seg run exited during start-up: %v\n%s", a.exitErr(), &out.all)
		default:
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("seg run: no control socket after 30 s\n%s", &out.all)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop sends SIGTERM and fails the test unless seg exits 0 within 30 s.
func (a *Appliance) Stop() {
	a.t.Helper()
	if code := a.Terminate(); code != 0 {
		a.t.Fatalf("seg run after SIGTERM: exit %d, want exit 0\n%s", code, a.Output())
	}
}

// Terminate sends SIGTERM and returns seg's exit code (-1 when a signal
// ended it); it fails the test if seg has not exited within 30 s.
func (a *Appliance) Terminate() int {
	a.t.Helper()
	cmd, done := a.proc()
	if cmd == nil {
		a.t.Fatal("segtest: Terminate: the appliance is not running")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		a.t.Fatalf("seg run did not stop within 30 s of SIGTERM\n%s", a.Output())
	}
	err := a.exitErr()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode()
	case err != nil:
		a.t.Fatalf("seg run: %v\n%s", err, a.Output())
	}
	return 0
}

// Kill ends seg with SIGKILL, as a crash or a power cut would, and waits
// for it to be gone.
func (a *Appliance) Kill() {
	a.t.Helper()
	cmd, done := a.proc()
	if cmd == nil {
		a.t.Fatal("segtest: Kill: the appliance is not running")
	}
	cmd.Process.Kill()
	<-done
}

// Signal sends sig to the running seg (e.g. SIGHUP, which reopens the
// logs).
func (a *Appliance) Signal(sig os.Signal) {
	a.t.Helper()
	if !a.Running() {
		a.t.Fatalf("segtest: Signal %v: the appliance is not running", sig)
	}
	cmd, _ := a.proc()
	if err := cmd.Process.Signal(sig); err != nil {
		a.t.Fatalf("segtest: Signal %v: %v", sig, err)
	}
}

// Pid is the process id of the running seg.
func (a *Appliance) Pid() int {
	a.t.Helper()
	if !a.Running() {
		a.t.Fatal("segtest: Pid: the appliance is not running")
	}
	cmd, _ := a.proc()
	return cmd.Process.Pid
}

func (a *Appliance) proc() (*exec.Cmd, chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cmd, a.done
}

func (a *Appliance) exitErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.waitErr
}

// WaitExit waits up to timeout for seg to exit by itself (shutdown) and
// returns its exit code (-1 when a signal ended it); it fails the test
// if seg is still running then.
func (a *Appliance) WaitExit(timeout time.Duration) int {
	a.t.Helper()
	_, done := a.proc()
	if done == nil {
		a.t.Fatal("segtest: WaitExit: the appliance was never started")
	}
	select {
	case <-done:
	case <-time.After(timeout):
		a.t.Fatalf("seg run still running %s later\n%s", timeout, a.Output())
	}
	var ee *exec.ExitError
	switch err := a.exitErr(); {
	case errors.As(err, &ee):
		return ee.ExitCode()
	case err != nil:
		a.t.Fatalf("seg run: %v\n%s", err, a.Output())
	}
	return 0
}

// cleanup kills a process a test left running.
func (a *Appliance) cleanup() {
	cmd, done := a.proc()
	if cmd == nil {
		return
	}
	select {
	case <-done:
	default:
		cmd.Process.Kill()
		<-done
	}
}

// Output is what the current or last `seg run` wrote to stdout and
// stderr, in the order it came.
func (a *Appliance) Output() string { return a.lastOutput().all.String() }

// Stdout is what the current or last `seg run` wrote to its standard
// output (nothing under StartConsole, whose stdout is the terminal).
func (a *Appliance) Stdout() string { return a.lastOutput().stdout.String() }

// Stderr is what the current or last `seg run` wrote to its standard
// error.
func (a *Appliance) Stderr() string { return a.lastOutput().stderr.String() }

// lastOutput is the output of the current or last run (empty before the
// first).
func (a *Appliance) lastOutput() *output {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.out == nil {
		return &output{}
	}
	return a.out
}

// MailLog returns logs/mail_logs, rotated files first, as far as seg has
// flushed it (within its flush interval, 500 ms).
func (a *Appliance) MailLog() string {
	dir := filepath.Join(a.Dir, "logs")
	old, _ := filepath.Glob(filepath.Join(dir, "mail_logs.@*.s"))
	sort.Strings(old) // the names carry the time each file was begun
	var b strings.Builder
	for _, p := range append(old, filepath.Join(dir, "mail_logs")) {
		data, _ := os.ReadFile(p)
		b.Write(data)
	}
	return b.String()
}
