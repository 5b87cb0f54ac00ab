package clustertest

import (
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// probeIP is the client address of the probes: in no sender group but
// ALL, so the default policy (sender_rate_limit 0) applies.
const probeIP = "127.0.0.10"

// exempt is a sender the cluster's first EXEMPT list lets through.
const exempt = "sender@exempt.test"

// setup is every machine's configuration before it joins: example.test
// accepted (RAT) and routed to the sink; no recipient for a sender
// unless the address list EXEMPT holds it.
func setup(sink *segtest.Sink) []string {
	return []string{
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"addresslistconfig new EXEMPT --addresses @exempt.test",
		"listenerconfig edit IncomingMail hostaccess default --sender_rate_limit=0 --sender_rate_exceptions=EXEMPT",
		"smtproutes new example.test " + sink.Addr(),
	}
}

// newCluster is three machines clustered over the setup, and the sink
// their mail goes to.
func newCluster(t *testing.T) (*segtest.Cluster, *segtest.Sink) {
	t.Helper()
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	return segtest.NewCluster(t, 3, setup(sink)...), sink
}

// reply is the RCPT reply machine a gives a probe from sender.
func reply(t *testing.T, a *segtest.Appliance, sender string) string {
	t.Helper()
	r, err := segtest.RcptReply(a.SMTPAddr(), probeIP, sender, "r@example.test")
	if err != nil {
		t.Fatalf("probing %s: %v", a.SMTPAddr(), err)
	}
	return r
}

// refused is the reply to a sender the EXEMPT list does not hold.
const refused = "452 4.5.3 Too many recipients received from the sender"

// exemptList is the command that makes EXEMPT hold @exempt.test and
// the senders' domains.
func exemptList(senders ...string) string {
	addrs := []string{"@exempt.test"}
	for _, s := range senders {
		addrs = append(addrs, s[strings.Index(s, "@"):])
	}
	return "addresslistconfig edit EXEMPT --addresses " + strings.Join(addrs, ",")
}

// expectReplies fails unless each machine gives sender's probe want.
func expectReplies(t *testing.T, c *segtest.Cluster, sender, want string) {
	t.Helper()
	for i, a := range c.Machines {
		if got := reply(t, a, sender); got != want {
			t.Errorf("%s: RCPT from <%s>: %q, want %q", c.Names[i], sender, got, want)
		}
	}
}

// waitAccepted polls machine a until it accepts sender's RCPT and
// returns when it first did.
func waitAccepted(t *testing.T, a *segtest.Appliance, sender string, timeout time.Duration) time.Time {
	t.Helper()
	var last string
	var at time.Time
	if !segtest.Poll(timeout, func() bool {
		last = reply(t, a, sender)
		at = time.Now()
		return last == "250"
	}) {
		t.Fatalf("%s still answers %q to <%s> after %v", a.SMTPAddr(), last, sender, timeout)
	}
	return at
}

// revisionRow is one line of rollbackconfig's list: "N  DATE  USER  COMMENT".
var revisionRow = regexp.MustCompile(`^\s*(\d+)\s+.*\s(\S+)\s*$`)

// history is machine a's revision list (rollbackconfig, newest first) as
// "N comment" lines.
func history(t *testing.T, a *segtest.Appliance) []string {
	t.Helper()
	out := a.MustCli("rollbackconfig")
	var revs []string
	for _, line := range strings.Split(out, "\n") {
		if m := revisionRow.FindStringSubmatch(line); m != nil {
			revs = append(revs, m[1]+" "+m[2])
		}
	}
	return revs
}

// hasComment reports whether one of revs has comment.
func hasComment(revs []string, comment string) bool {
	return slices.ContainsFunc(revs, func(r string) bool { return strings.HasSuffix(r, " "+comment) })
}

// cliSession is a `seg cli -f -` whose standard input the test writes a
// line at a time: a session that stays open across the test's steps
// (its candidate and base revision with it).
type cliSession struct {
	t    *testing.T
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  segtest.SyncBuffer
	done chan struct{}
	err  error
}

// openCli starts a session on the running appliance a.
func openCli(t *testing.T, a *segtest.Appliance) *cliSession {
	t.Helper()
	cmd := exec.Command(segtest.Binary(t), "cli", "--data", a.Dir, "-f", "-")
	cmd.Env = segtest.Env()
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &cliSession{t: t, cmd: cmd, in: in, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = cmd.Wait() // after the output is copied
		close(s.done)
	}()
	t.Cleanup(func() {
		in.Close()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	return s
}

// send writes one command line.
func (s *cliSession) send(line string) {
	s.t.Helper()
	if _, err := fmt.Fprintln(s.in, line); err != nil {
		s.t.Fatalf("writing %q to seg cli: %v", line, err)
	}
}

// output is what the session wrote so far (stdout and stderr).
func (s *cliSession) output() string { return s.out.String() }

// waitOutput waits until the output contains substr.
func (s *cliSession) waitOutput(substr string) {
	s.t.Helper()
	segtest.Wait(s.t, 30*time.Second, fmt.Sprintf("seg cli to print %q (so far: %q)", substr, s.output()), func() bool {
		return strings.Contains(s.output(), substr)
	})
}

// end closes standard input and returns the exit status and output.
func (s *cliSession) end() (int, string) {
	s.t.Helper()
	s.in.Close()
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		s.t.Fatalf("seg cli did not end within 60 s of its input's end:\n%s", s.output())
	}
	code := 0
	if ee, ok := s.err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if s.err != nil {
		s.t.Fatalf("seg cli: %v", s.err)
	}
	return code, s.output()
}
