package segtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Result is how a finished command ended: what it wrote on each stream
// and its exit code (-1 when a signal ended it).
type Result struct {
	Stdout, Stderr string
	Code           int
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// Exec runs cmd with stdin as its standard input (none when empty),
// kills it (by its own pid) if it has not exited after d, and returns
// its output and exit code. err is for a command that could not start or
// did not end in time, and the Result then holds what it wrote until
// then; an exit status is not an error.
func Exec(cmd *exec.Cmd, stdin string, d time.Duration) (Result, error) {
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-time.After(d):
		cmd.Process.Kill()
		<-waited
		return Result{Stdout: out.String(), Stderr: errb.String(), Code: -1},
			fmt.Errorf("%s: no exit within %v", cmd.Path, d)
	}
	r := Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		return r, err
	}
	return r, nil
}

// Seg runs the seg binary under test with args, stdin as its standard
// input and the environment Env() plus env. It fails the test if seg
// cannot run or takes over 60 s; an exit status is not a failure but in
// the Result.
func Seg(t testing.TB, stdin string, env []string, args ...string) Result {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(Env(), env...)
	r, err := Exec(cmd, stdin, 60*time.Second)
	if err != nil {
		t.Fatalf("seg %q: %v\n%s", args, err, r)
	}
	return r
}

// Cli runs `seg cli --data DIR ARGS...` (over the control socket while
// the appliance runs, offline otherwise) and returns its output and exit
// code. It fails the test if the command cannot run or takes over 60 s.
func (a *Appliance) Cli(args ...string) (stdout, stderr string, code int) {
	a.t.Helper()
	r := a.CliInput("", args...)
	return r.Stdout, r.Stderr, r.Code
}

// CliInput is Cli with stdin as the standard input of seg cli: a batch
// for `-f -`, or piped with no command arguments.
func (a *Appliance) CliInput(stdin string, args ...string) Result {
	a.t.Helper()
	return Seg(a.t, stdin, a.passwordEnv(), append([]string{"cli", "--data", a.Dir}, args...)...)
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

// passwordEnv passes Password to seg, which uses it only when it
// creates the data directory.
func (a *Appliance) passwordEnv() []string {
	if a.Password == "" {
		return nil
	}
	return []string{"SEG_ADMIN_PASSWORD=" + a.Password}
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
