package mailtest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// num reads a report number ("1,204").
func num(s string) int {
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		return -1
	}
	return n
}

// statusRow returns the Reset, Uptime and Lifetime columns of a `status`
// counter line (one column for the Current IDs and gauges).
func statusRow(t *testing.T, out, label string) []int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^ +` + regexp.QuoteMeta(label) + `((?: +[\d,]+)+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("status has no %q line:\n%s", label, out)
	}
	var cols []int
	for _, f := range strings.Fields(m[1]) {
		cols = append(cols, num(f))
	}
	return cols
}

// hostCounter returns a `hoststatus` counter or gauge ("   2  Soft
// Bounced Events").
func hostCounter(t *testing.T, out, label string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^ +([\d,]+) +` + regexp.QuoteMeta(label) + `$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("hoststatus has no %q line:\n%s", label, out)
	}
	return num(m[1])
}

type topRow struct {
	rank                          int
	down                          bool
	host                          string
	active, conn, deliv, soft, hb int
}

var topLine = regexp.MustCompile(`(?m)^(\d+)(\*?) +(\S+) +([\d,]+) +([\d,]+) +([\d,]+) +([\d,]+) +([\d,]+)$`)

func topHosts(out string) []topRow {
	var rows []topRow
	for _, m := range topLine.FindAllStringSubmatch(out, -1) {
		rows = append(rows, topRow{num(m[1]), m[2] == "*", m[3], num(m[4]), num(m[5]), num(m[6]), num(m[7]), num(m[8])})
	}
	return rows
}

// TestReports runs a known workload (10 messages delivered to a.test, 3
// hard-bounced by b.test, 2 soft-bounced once by c.test then delivered
// after delivernow, and the 3 DSNs delivered to the senders'
// client.test) and reads tophosts, hoststatus and status through seg
// cli.
func TestReports(t *testing.T) {
	aSink := segtest.NewSink(t, segtest.SinkOptions{})
	bSink := segtest.NewSink(t, segtest.SinkOptions{Reply: func(a segtest.Attempt) error {
		if a.Cmd == "RCPT" {
			return segtest.Reply(550, "5.1.1 User unknown")
		}
		return nil
	}})
	cSink := segtest.NewSink(t, segtest.SinkOptions{Reply: func(a segtest.Attempt) error {
		if a.Cmd == "RCPT" && a.N == 1 {
			return segtest.Reply(451, "4.3.0 Try again later")
		}
		return nil
	}})
	senders := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new a.test "+aSink.Addr(),
		"smtproutes new b.test "+bSink.Addr(),
		"smtproutes new c.test "+cSink.Addr(),
		"smtproutes new client.test "+senders.Addr(),
	)
	a.Start()
	send := func(rcpt string) {
		t.Helper()
		if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "sender@client.test", []string{rcpt},
			plainMessage(rcpt, "report workload", rcpt+".id@client.test")); err != nil {
			t.Fatalf("sending to %s: %v", rcpt, err)
		}
	}
	for i := range 10 {
		send(fmt.Sprintf("user%d@a.test", i))
	}
	for i := range 3 {
		send(fmt.Sprintf("user%d@b.test", i))
	}
	for i := range 2 {
		send(fmt.Sprintf("user%d@c.test", i))
	}

	// c.test's two recipients wait for their retry, a minute away
	// (the Default bounce profile); delivernow brings it forward.
	// Once every connection is closed, every attempt has been settled
	// and both wait in the queue.
	a.WaitLogN(t, "Delayed: DCID", 2, 20*time.Second)
	var st string
	if !segtest.Poll(20*time.Second, func() bool {
		st = a.MustCli("status")
		return regexp.MustCompile(`(?m)^ +Current Outbound Conn\. +0$`).MatchString(st)
	}) {
		t.Fatalf("outbound connections stay open:\n%s", st)
	}
	if !regexp.MustCompile(`(?m)^ +Active Recipients +2$`).MatchString(st) {
		t.Errorf("status after the soft bounces: want 2 Active Recipients:\n%s", st)
	}
	if hs := a.MustCli("hoststatus c.test"); hostCounter(t, hs, "Attempted Recipients") != 2 || hostCounter(t, hs, "Active Recipients") != 2 {
		t.Errorf("hoststatus c.test after the soft bounces: want 2 active, attempted recipients:\n%s", hs)
	}
	if out := a.MustCli("delivernow c.test"); !strings.Contains(out, "Rescheduling c.test for immediate delivery (2 recipients).") {
		t.Errorf("delivernow c.test: %q", out)
	}

	// Settled: every recipient completed, every connection closed.
	var status string
	if !segtest.Poll(30*time.Second, func() bool {
		status = a.MustCli("status")
		completed := regexp.MustCompile(`(?m)^ +Completed Recipients +18 +18 +18$`).MatchString(status)
		conns := regexp.MustCompile(`(?m)^ +Current Outbound Conn\. +0$`).MatchString(status)
		return completed && conns
	}) {
		t.Fatalf("the workload did not complete:\n%s", status)
	}
	if aSink.Count() != 10 || bSink.Count() != 0 || cSink.Count() != 2 || senders.Count() != 3 {
		t.Errorf("sinks got a %d, b %d, c %d, DSNs %d; want 10, 0, 2, 3", aSink.Count(), bSink.Count(), cSink.Count(), senders.Count())
	}

	for label, want := range map[string][]int{
		"Messages Received":          {15, 15, 15},
		"Recipients Received":        {15, 15, 15},
		"Gen. Bounce Recipients":     {3, 3, 3},
		"Rejected Recipients":        {0, 0, 0},
		"Soft Bounced Events":        {2, 2, 2},
		"Completed Recipients":       {18, 18, 18},
		"Hard Bounced Recipients":    {3, 3, 3},
		"5XX Hard Bounces":           {3, 3, 3},
		"DNS Hard Bounces":           {0, 0, 0},
		"Expired Hard Bounces":       {0, 0, 0},
		"Delivered Recipients":       {15, 15, 15},
		"Message ID (MID)":           {18},
		"Active Recipients":          {0},
		"Messages In Work Queue":     {0},
		"Messages In Delivery Queue": {0},
	} {
		if got := statusRow(t, status, label); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("status %s: %v, want %v", label, got, want)
		}
	}
	if !strings.Contains(status, "System status:                 Online") {
		t.Errorf("status does not say Online:\n%s", status)
	}

	// Sorted by delivered recipients (3).
	top := a.MustCli("tophosts 3")
	rows := topHosts(top)
	want := []topRow{
		{1, false, "a.test", 0, 0, 10, 0, 0},
		{2, false, "client.test", 0, 0, 3, 0, 0},
		{3, false, "c.test", 0, 0, 2, 2, 0},
		{4, false, "b.test", 0, 0, 0, 0, 3},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("tophosts 3:\n%s\nrows %v\nwant %v", top, rows, want)
	}
	// Sorted by hard bounces (4): b.test first.
	if rows := topHosts(a.MustCli("tophosts 4")); len(rows) == 0 || rows[0].host != "b.test" {
		t.Errorf("tophosts 4: %v, want b.test first", rows)
	}

	for host, want := range map[string]map[string]int{
		"a.test": {"Soft Bounced Events": 0, "Completed Recipients": 10, "Hard Bounced Recipients": 0, "Delivered Recipients": 10, "Active Recipients": 0},
		"b.test": {"Soft Bounced Events": 0, "Completed Recipients": 3, "Hard Bounced Recipients": 3, "5XX Hard Bounces": 3, "Delivered Recipients": 0},
		"c.test": {"Soft Bounced Events": 2, "Completed Recipients": 2, "Hard Bounced Recipients": 0, "Delivered Recipients": 2, "Active Recipients": 0},
	} {
		out := a.MustCli("hoststatus " + host)
		if !strings.Contains(out, "Host mail status for: '"+host+"'") || !strings.Contains(out, "Host up/down:          up") {
			t.Errorf("hoststatus %s: wrong title or not up:\n%s", host, out)
		}
		for label, n := range want {
			if got := hostCounter(t, out, label); got != n {
				t.Errorf("hoststatus %s: %s %d, want %d", host, label, got, n)
			}
		}
	}
	if out, errOut, code := a.Cli("hoststatus", "nowhere.test"); code != 1 || !strings.Contains(out+errOut, "No record of host: nowhere.test") {
		t.Errorf("hoststatus of an unknown host: exit %d, stdout %q, stderr %q; want exit 1, No record of host", code, out, errOut)
	}
	a.Stop()
}
