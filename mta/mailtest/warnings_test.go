package mailtest

import (
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// Delay warnings (issue 12, SPEC 11) on the real binary. Retries come
// every second (initial_retry = max_retry_timeout = 1) and warnings every
// two (send_warnings_interval 2: its minimum is 1 s, as initial_retry's),
// so each test runs in seconds on the real clock.

// warnEvery2s: retries every second, two warnings two seconds apart.
const warnEvery2s = "bounceconfig edit Default --initial_retry=1 --max_retry_timeout=1 " +
	"--send_warnings=on --send_warnings_count=2 --send_warnings_interval=2"

// stuckSetup starts an appliance whose mail to soft.test meets a 451 for
// every recipient (the delay seg warns about) and whose senders' mail,
// client.test, goes to the returned sink; bounces configures Default.
func stuckSetup(t *testing.T, bounces string) (*segtest.Appliance, *segtest.Sink) {
	soft := segtest.NewSink(t, segtest.SinkOptions{Reply: func(a segtest.Attempt) error {
		if a.Cmd == "RCPT" {
			return segtest.Reply(451, "4.3.2 Try again later")
		}
		return nil
	}})
	senders := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new soft.test "+soft.Addr(),
		"smtproutes new client.test "+senders.Addr(),
		bounces,
	)
	a.Start()
	return a, senders
}

// sendStuck sends a message from `from` to user@soft.test and returns
// its MID.
func sendStuck(t *testing.T, a *segtest.Appliance, from, msgID string) int64 {
	t.Helper()
	mid, err := segtest.Client{}.Send(a.SMTPAddr(), from, []string{"user@soft.test"}, plainMessage("user@soft.test", "stuck", msgID))
	if err != nil {
		t.Fatal(err)
	}
	return mid
}

// warningsAbout returns the distinct delay warnings (by Message-ID: a
// queued message is delivered at least once) about MID origMID that
// reached s, parsed.
func warningsAbout(t *testing.T, s *segtest.Sink, origMID int64) []*mail.Message {
	t.Helper()
	seen := map[string]bool{}
	var out []*mail.Message
	for _, m := range s.Messages() {
		if !bytes.Contains(m.Data, []byte("Action: delayed")) ||
			!bytes.Contains(m.Data, []byte(fmt.Sprintf("X-Original-MID: %d\r\n", origMID))) {
			continue
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatalf("a delay warning does not parse: %v\n%s", err, m.Data)
		}
		if id := msg.Header.Get("Message-ID"); !seen[id] {
			seen[id] = true
			if m.From != "" || len(m.Rcpts) != 1 || m.Rcpts[0] != "sender@client.test" {
				t.Errorf("delay warning envelope: from <%s> to %q, want <> to sender@client.test", m.From, m.Rcpts)
			}
			out = append(out, msg)
		}
	}
	return out
}

// generatedFor counts the messages seg logged as generated for mid.
func generatedFor(a *segtest.Appliance, mid int64) int {
	n := 0
	for _, l := range a.LogLines() {
		if strings.HasPrefix(l, "Info: MID ") && strings.HasSuffix(l, fmt.Sprintf(" was generated for bounce of MID %d", mid)) {
			n++
		}
	}
	return n
}

// delayedLines counts the Delayed lines of mid in the mail log.
func delayedLines(a *segtest.Appliance, mid int64) int {
	return a.CountLog("Info: Delayed: DCID", fmt.Sprintf(" MID %d From: ", mid))
}

// waitMoreAttempts waits until mid has been tried n more times than now:
// long enough for a warning that is not owed to have been sent.
func waitMoreAttempts(t *testing.T, a *segtest.Appliance, mid int64, n int) {
	t.Helper()
	want := delayedLines(a, mid) + n
	segtest.Wait(t, 30*time.Second, fmt.Sprintf("%d Delayed lines for MID %d", want, mid), func() bool {
		return delayedLines(a, mid) >= want
	})
}

// TestDelayWarnings: a recipient that keeps soft-failing makes seg send
// the sender RFC 3464 "delayed" DSNs, send_warnings_count of them and no
// more, each logged as a generated message; a <> sender gets none.
func TestDelayWarnings(t *testing.T) {
	a, senders := stuckSetup(t, warnEvery2s)
	start := time.Now()
	mid := sendStuck(t, a, "sender@client.test", "stuck-1@client.test")
	null := sendStuck(t, a, "", "stuck-null@client.test")
	segtest.Wait(t, 30*time.Second, "two delay warnings", func() bool { return len(warningsAbout(t, senders, mid)) >= 2 })
	if d := time.Since(start); d < 4*time.Second {
		t.Errorf("two warnings %v after arrival: the interval is 2 s", d)
	}
	// Enough retries for a third to have gone out, were it allowed.
	waitMoreAttempts(t, a, mid, 4)
	ws := warningsAbout(t, senders, mid)
	if len(ws) != 2 {
		t.Fatalf("%d delay warnings, want send_warnings_count 2", len(ws))
	}
	if n := generatedFor(a, mid); n != 2 {
		t.Errorf("%d generated lines for MID %d, want 2", n, mid)
	}
	if n := generatedFor(a, null); n != 0 {
		t.Errorf("the <> sender's MID %d caused %d generated messages", null, n)
	}
	if delayedLines(a, null) < 4 {
		t.Errorf("the <> sender's MID %d was tried %d times: the test proves nothing", null, delayedLines(a, null))
	}
	w := ws[0]
	if subj := w.Header.Get("Subject"); subj != "Delivery Status Notification (Delay)" {
		t.Errorf("Subject %q", subj)
	}
	body, err := io.ReadAll(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Final-Recipient: rfc822; user@soft.test", "Action: delayed", "Status: 4.3.2",
		"Diagnostic-Code: smtp; 451 4.3.2 Try again later", "Will-Retry-Until: ", "Message-ID: <stuck-1@client.test>"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the warning lacks %q:\n%s", want, body)
		}
	}
	if n := a.CountLog("Info: MID ", " Subject 'Delivery Status Notification (Delay)'"); n != 2 {
		t.Errorf("%d warnings logged with their subject, want 2", n)
	}
	a.Stop()
}

// TestDelayWarningsSurviveKill: the count of warnings sent is in the
// queue. seg is killed with SIGKILL after the first of two warnings and
// restarted: the second comes, a third never does.
func TestDelayWarningsSurviveKill(t *testing.T) {
	a, senders := stuckSetup(t, warnEvery2s)
	mid := sendStuck(t, a, "sender@client.test", "kill-1@client.test")
	segtest.Wait(t, 30*time.Second, "the first delay warning", func() bool { return len(warningsAbout(t, senders, mid)) >= 1 })
	a.Kill()
	if n := len(warningsAbout(t, senders, mid)); n != 1 {
		t.Fatalf("%d warnings before the kill, want 1", n)
	}
	a.Start()
	segtest.Wait(t, 30*time.Second, "the second delay warning", func() bool { return len(warningsAbout(t, senders, mid)) >= 2 })
	waitMoreAttempts(t, a, mid, 4)
	if n := len(warningsAbout(t, senders, mid)); n != 2 {
		t.Fatalf("%d delay warnings across a kill -9, want 2", n)
	}
	a.Stop()
}

// TestCommitAppliesToQueuedMail (SPEC 11): mail already queued follows a
// commit. A message waits an hour for its retry under Default; a commit
// gives its destination a profile with one-second retries and delay
// warnings: it is retried and warned about at once; a commit that
// shortens that profile's queue lifetime expires it, with a bounce.
func TestCommitAppliesToQueuedMail(t *testing.T) {
	a, senders := stuckSetup(t, "bounceconfig edit Default --initial_retry=3600")
	mid := sendStuck(t, a, "sender@client.test", "commit-1@client.test")
	a.WaitLog(t, fmt.Sprintf("Message %d to RID [0] pending till", mid), 20*time.Second)
	a.MustCli("bounceconfig new fast --initial_retry=1 --max_retry_timeout=1 --send_warnings=on --send_warnings_interval=1 ; " +
		"destconfig new soft.test --bounce_profile=fast ; commit fast retries for soft.test")
	segtest.Wait(t, 30*time.Second, "a delay warning under the new profile", func() bool { return len(warningsAbout(t, senders, mid)) == 1 })
	// The retry that caused it, long before the hour was up (mail_logs
	// may trail the sink: wait for it).
	segtest.Wait(t, 10*time.Second, "the retry's Delayed line", func() bool { return delayedLines(a, mid) >= 2 })
	a.MustCli("bounceconfig edit fast --max_queue_lifetime=1 ; commit short lifetime")
	a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 20*time.Second)
	if a.CountLog(fmt.Sprintf("Info: Bounced: DCID 0 MID %d From: <sender@client.test> To: <user@soft.test> RID 0 - 5.4.7 - ", mid)) != 1 {
		t.Errorf("MID %d did not expire; log ends:\n%s", mid, tailLines(a.MailLog(), 20))
	}
	bounce := senders.WaitCount(t, 2, 20*time.Second)
	if !bytes.Contains(bounce[len(bounce)-1].Data, []byte("Action: failed")) {
		t.Errorf("the last DSN is not the expiry bounce:\n%s", bounce[len(bounce)-1].Data)
	}
	a.Stop()
}
