package segtest

import (
	"bytes"
	"errors"
	"fmt"
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
	SMTPPort int    // the IncomingMail listener, on 127.0.0.1
	SSHPort  int
	// Env is added to the environment of `seg run` (Start and
	// StartConsole), e.g. SEG_TEST_LOCK_TIME=3s.
	Env []string

	mu      sync.Mutex
	cmd     *exec.Cmd
	out     *SyncBuffer // stdout and stderr of the current or last run
	done    chan struct{}
	waitErr error
}

// New makes a data directory and configures it offline with `seg cli`:
// the IncomingMail listener and SSH on free ports (so that appliances of
// parallel tests never collide), then the setup commands in order, then
// a commit. It does not start the appliance.
func New(t testing.TB, setup ...string) *Appliance {
	t.Helper()
	a := &Appliance{
		t:        t,
		bin:      Binary(t),
		Dir:      filepath.Join(t.TempDir(), "data"),
		SMTPPort: FreePort(t),
		SSHPort:  FreePort(t),
	}
	cmds := []string{
		fmt.Sprintf("listenerconfig edit IncomingMail setup --port %d", a.SMTPPort),
		fmt.Sprintf("sshconfig setup --port %d", a.SSHPort),
	}
	cmds = append(cmds, setup...)
	cmds = append(cmds, "commit segtest")
	if out, errOut, code := a.Cli(strings.Join(cmds, " ; ")); code != 0 {
		t.Fatalf("configuring the appliance: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Cleanup(a.cleanup)
	return a
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

// Start runs `seg run --data DIR` and returns once its control socket
// answers: the listeners are bound before the socket is (cmd/seg run.go),
// so the appliance then takes mail.
func (a *Appliance) Start() {
	a.t.Helper()
	if a.Running() {
		a.t.Fatal("segtest: Start: the appliance is already running")
	}
	cmd := exec.Command(a.bin, "run", "--data", a.Dir)
	out := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	a.run(cmd, out)
}

// run starts cmd, a `seg run` whose output goes to out, and returns once
// its control socket answers.
func (a *Appliance) run(cmd *exec.Cmd, out *SyncBuffer) {
	a.t.Helper()
	cmd.Env = append(Env(), a.Env...)
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
			a.t.Fatalf("seg run exited during start-up: %v\n%s", a.exitErr(), out)
		default:
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("seg run: no control socket after 30 s\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop sends SIGTERM and fails the test unless seg exits 0 within 30 s.
func (a *Appliance) Stop() {
	a.t.Helper()
	cmd, done := a.proc()
	if cmd == nil {
		a.t.Fatal("segtest: Stop: the appliance is not running")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		a.t.Fatalf("seg run did not stop within 30 s of SIGTERM\n%s", a.Output())
	}
	if err := a.exitErr(); err != nil {
		a.t.Fatalf("seg run after SIGTERM: %v, want exit 0\n%s", err, a.Output())
	}
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
// stderr.
func (a *Appliance) Output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.out == nil {
		return ""
	}
	return a.out.String()
}

// Cli runs `seg cli --data DIR ARGS...` (over the control socket while
// the appliance runs, offline otherwise) and returns its output and exit
// code. It fails the test if the command cannot run or takes over 60 s.
func (a *Appliance) Cli(args ...string) (stdout, stderr string, code int) {
	a.t.Helper()
	cmd := exec.Command(a.bin, append([]string{"cli", "--data", a.Dir}, args...)...)
	cmd.Env = append(Env(), "SEG_ADMIN_PASSWORD="+AdminPassword)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		a.t.Fatalf("seg cli: %v", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-waited
		a.t.Fatalf("seg cli %q: no exit within 60 s\nstdout:\n%s\nstderr:\n%s", args, &out, &errb)
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		a.t.Fatalf("seg cli %q: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// MustCli is Cli that fails the test unless the command exits 0; it
// returns stdout.
func (a *Appliance) MustCli(args ...string) string {
	a.t.Helper()
	out, errOut, code := a.Cli(args...)
	if code != 0 {
		a.t.Fatalf("seg cli %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
	}
	return out
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

// Env is the environment of the seg processes: the test's own without
// SEG_* variables, so that none leaks into the appliance.
func Env() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SEG_") {
			out = append(out, kv)
		}
	}
	// A race-enabled seg waits a second at exit for late race reports
	// (GORACE atexit_sleep_ms); tests that run seg cli hundreds of
	// times would spend minutes asleep. Races are still reported.
	if raceEnabled && os.Getenv("GORACE") == "" {
		out = append(out, "GORACE=atexit_sleep_ms=0")
	}
	return out
}

// SyncBuffer is a bytes.Buffer that a child process writes while the
// test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
