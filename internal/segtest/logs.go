package segtest

import (
	"strings"
	"testing"
	"time"
)

// Grep returns the lines that contain every one of subs.
func Grep(lines []string, subs ...string) []string {
	var out []string
next:
	for _, l := range lines {
		for _, s := range subs {
			if !strings.Contains(l, s) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// MustLog fails the test (and goes on) unless each of want is one of
// lines, exactly: a log line as the code under test wrote it ("Info:
// ..." or "Warning: ...").
func MustLog(t testing.TB, lines []string, want ...string) {
	t.Helper()
	have := make(map[string]bool, len(lines))
	for _, l := range lines {
		have[l] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("missing log line %q\nlog:\n%s", w, strings.Join(lines, "\n"))
		}
	}
}

// stampLen is the length of the time stamp that starts every line of
// seg's logs, "Mon Jan _2 15:04:05 2006 " (aslog).
const stampLen = len("Mon Jan _2 15:04:05 2006 ")

// LogLines returns the lines of mail_logs (rotated files first) without
// their time stamps: "Info: ...", as the MTA logged them.
func (a *Appliance) LogLines() []string {
	var out []string
	for _, l := range strings.Split(a.MailLog(), "\n") {
		if len(l) > stampLen {
			out = append(out, l[stampLen:])
		}
	}
	return out
}

// CountLog is how many mail_logs lines contain every one of subs.
func (a *Appliance) CountLog(subs ...string) int { return len(Grep(a.LogLines(), subs...)) }

// MustLog fails the test unless each of want is a line of mail_logs
// (after the time stamp), exactly.
func (a *Appliance) MustLog(t testing.TB, want ...string) {
	t.Helper()
	MustLog(t, a.LogLines(), want...)
}

// WaitLog polls mail_logs until it holds substr and returns the log; it
// fails the test after timeout.
func (a *Appliance) WaitLog(t testing.TB, substr string, timeout time.Duration) string {
	t.Helper()
	return a.WaitLogN(t, substr, 1, timeout)
}

// WaitLogN polls mail_logs until substr occurs at least n times.
func (a *Appliance) WaitLogN(t testing.TB, substr string, n int, timeout time.Duration) string {
	t.Helper()
	var log string
	ok := Poll(timeout, func() bool {
		log = a.MailLog()
		return strings.Count(log, substr) >= n
	})
	if !ok {
		t.Fatalf("mail_logs: %q occurs %d times after %v, want %d; log ends:\n%s",
			substr, strings.Count(log, substr), timeout, n, tail(log, 40))
	}
	return log
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
