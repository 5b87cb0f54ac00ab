package mailtest

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// Message tracking end to end (SPEC 13): findevent through seg cli and
// the console reads the index that the running seg feeds from mail_logs;
// the index survives a restart and a kill -9.

// inLogOrder fails unless every line of out is a line of log, in the
// log's order.
func inLogOrder(t *testing.T, what, out, log string) {
	t.Helper()
	pos := 0
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		i := strings.Index(log[pos:], l+"\n")
		if i < 0 {
			t.Errorf("%s: line not in mail_logs after the previous one: %q\n%s", what, l, out)
			return
		}
		pos += i + len(l) + 1
	}
}

// mustLines fails unless out has a line matching each pattern.
func mustLines(t *testing.T, what, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(`(?m)` + p).MatchString(out) {
			t.Errorf("%s: no line matches %s:\n%s", what, p, out)
		}
	}
}

func TestFindEvent(t *testing.T) {
	dest := segtest.NewSink(t, segtest.SinkOptions{Reply: func(a segtest.Attempt) error {
		if a.Cmd == "RCPT" && strings.HasPrefix(a.Rcpt, "nobody@") {
			return segtest.Reply(550, "5.1.1 User unknown")
		}
		return nil
	}})
	senders := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new example.test "+dest.Addr(),
		"smtproutes new client.test "+senders.Addr())
	a.Start()
	send := func(from, to, subject, msgID string) int64 {
		t.Helper()
		mid, err := segtest.Client{}.Send(a.SMTPAddr(), from, []string{to}, plainMessage(to, subject, msgID))
		if err != nil {
			t.Fatal(err)
		}
		return mid
	}
	m1 := send("alice@client.test", "a@example.test", "Invoice 1", "inv1@client.test")
	m2 := send("alice@client.test", "nobody@example.test", "Invoice 2", "inv2@client.test")
	m3 := send("bob@client.test", "c@example.test", "Other", "other@client.test")
	log := a.WaitLog(t, fmt.Sprintf("was generated for bounce of MID %d", m2), 20*time.Second)
	dsn := int64(0)
	if m := regexp.MustCompile(fmt.Sprintf(`MID (\d+) was generated for bounce of MID %d`, m2)).FindStringSubmatch(log); m != nil {
		fmt.Sscan(m[1], &dsn)
	}
	dest.WaitCount(t, 2, 20*time.Second)
	senders.WaitCount(t, 1, 20*time.Second)
	for _, mid := range []int64{m1, m3, dsn} {
		a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 20*time.Second)
	}
	log = a.MailLog()

	// One message: its life, in log order.
	out := a.MustCli(fmt.Sprintf("findevent --mid %d", m1))
	inLogOrder(t, "findevent --mid m1", out, log)
	mustLines(t, "findevent --mid m1", out,
		`Info: New SMTP ICID \d+ interface `,
		`Info: ICID \d+ (ACCEPT|RELAY) SG `,
		fmt.Sprintf(`Info: Start MID %d ICID \d+$`, m1),
		fmt.Sprintf(`Info: MID %d ICID \d+ From: <alice@client\.test>$`, m1),
		fmt.Sprintf(`Info: MID %d ICID \d+ RID 0 To: <a@example\.test>$`, m1),
		fmt.Sprintf(`Info: MID %d Subject 'Invoice 1'$`, m1),
		`Info: New SMTP DCID \d+ interface `,
		fmt.Sprintf(`Info: Delivery start DCID \d+ MID %d to RID \[0\]$`, m1),
		fmt.Sprintf(`Info: Message done DCID \d+ MID %d to RID \[0\]`, m1),
		fmt.Sprintf(`Info: Message finished MID %d done$`, m1))
	if strings.Contains(out, fmt.Sprintf("MID %d ", m2)) || strings.Contains(out, fmt.Sprintf("MID %d ", m3)) {
		t.Errorf("findevent --mid %d shows other messages:\n%s", m1, out)
	}

	// The bounced one: its Bounced line, its DSN's lines, the DSN's
	// delivery.
	out = a.MustCli(fmt.Sprintf("findevent --mid %d", m2))
	inLogOrder(t, "findevent --mid m2", out, log)
	mustLines(t, "findevent --mid m2", out,
		fmt.Sprintf(`Info: Bounced: DCID \d+ MID %d `, m2),
		fmt.Sprintf(`Info: MID %d was generated for bounce of MID %d$`, dsn, m2),
		fmt.Sprintf(`Info: MID %d ICID 0 RID 0 To: <alice@client\.test>$`, dsn),
		fmt.Sprintf(`Info: Message done DCID \d+ MID %d to RID \[0\]`, dsn))

	// --summary: one line per message of that life.
	date := `\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}`
	out = a.MustCli(fmt.Sprintf("findevent --mid %d --summary", m2))
	if !regexp.MustCompile(fmt.Sprintf(`^Hard bounced: MID %d  %s  <alice@client\.test>  <nobody@example\.test>  Invoice 2\n`+
		`Delivered: MID %d  %s  <>  <alice@client\.test>  .+\n$`, m2, date, dsn, date)).MatchString(out) {
		t.Errorf("findevent --mid %d --summary:\n%s", m2, out)
	}

	// Several matches: a row each.
	rows := func(line string, mids ...int64) {
		t.Helper()
		out := a.MustCli(line)
		want := ""
		for _, m := range mids {
			want += fmt.Sprintf(`MID %d  %s  <[^>]*>  <[^>]*>  [^\n]+\n`, m, date)
		}
		if !regexp.MustCompile("^" + want + "$").MatchString(out) {
			t.Errorf("%s: want rows of MIDs %v:\n%s", line, mids, out)
		}
	}
	rows("findevent --from ^ALICE@", m1, m2)
	rows("findevent --subject ^invoice", m1, m2)
	rows(fmt.Sprintf("findevent --from client --since %s", time.Now().Add(-time.Hour).Format("2006-01-02T15:04:05")), m1, m2, m3)
	// One match: its life.
	out = a.MustCli("findevent --message-id <other@client.test>")
	mustLines(t, "findevent --message-id", out, fmt.Sprintf(`Info: Message finished MID %d done$`, m3))
	out = a.MustCli("findevent --to ^c@example")
	mustLines(t, "findevent --to", out, fmt.Sprintf(`Info: MID %d ICID \d+ From: <bob@client\.test>$`, m3))
	for _, line := range []string{
		"findevent --subject nothing-like-it",
		fmt.Sprintf("findevent --mid %d --since %s", m1, time.Now().Add(time.Hour).Format("2006-01-02T15:04")),
	} {
		if out, errOut, code := a.Cli(line); code == 0 || out != "" || !strings.Contains(errOut, "No matching message IDs were found") {
			t.Errorf("%s: exit %d, %q, %q", line, code, out, errOut)
		}
	}

	// Restart: the index is kept; a kill -9 right after a message loses
	// no tracking (the index catches up from the log at start).
	// (Stopping closes the delivery connections, if they were still open:
	// their close lines join the story.)
	before := a.MustCli(fmt.Sprintf("findevent --mid %d", m2))
	a.Stop()
	a.Start()
	after := a.MustCli(fmt.Sprintf("findevent --mid %d", m2))
	closes := regexp.MustCompile(`(?m)^.* Info: DCID \d+ close\n`)
	if closes.ReplaceAllString(after, "") != closes.ReplaceAllString(before, "") || !strings.Contains(after, " close\n") {
		t.Errorf("findevent after restart:\n%s\nbefore:\n%s", after, before)
	}
	// Rotated (rollovernow): the lines are found in the saved file.
	a.MustCli("rollovernow mail_logs")
	if saved, _ := filepath.Glob(filepath.Join(a.Dir, "logs", "mail_logs.@*.s")); len(saved) != 1 {
		t.Errorf("rollovernow: saved files %v, want one", saved)
	}
	if again := a.MustCli(fmt.Sprintf("findevent --mid %d", m2)); again != after {
		t.Errorf("findevent after rollovernow:\n%s\nbefore:\n%s", again, after)
	}
	m4 := send("carol@client.test", "d@example.test", "Late", "late@client.test")
	a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", m4), 20*time.Second)
	a.Kill()
	a.Start()
	out = a.MustCli(fmt.Sprintf("findevent --mid %d", m4))
	mustLines(t, "findevent after kill -9", out,
		fmt.Sprintf(`Info: MID %d ICID \d+ From: <carol@client\.test>$`, m4),
		fmt.Sprintf(`Info: Message finished MID %d done$`, m4))
	a.Stop()
}

// TestFindEventInteractive: AsyncOS's dialog on the console: the search,
// the log, the set of log files, then the list of matches to pick one.
func TestFindEventInteractive(t *testing.T) {
	dest := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+dest.Addr())
	console := a.StartConsole()
	const prompt = "seg.localdomain> "
	if _, err := console.WaitStart(30*time.Second, prompt); err != nil {
		t.Fatal(err)
	}
	var mids []int64
	for i, to := range []string{"a@example.test", "b@example.test"} {
		mid, err := segtest.Client{}.Send(a.SMTPAddr(), "alice@client.test", []string{to}, plainMessage(to, fmt.Sprint("Report ", i), fmt.Sprint("r", i, "@client.test")))
		if err != nil {
			t.Fatal(err)
		}
		mids = append(mids, mid)
	}
	a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mids[1]), 20*time.Second)
	step := func(typed, want string, prompts ...string) string {
		t.Helper()
		if err := console.Type(typed); err != nil {
			t.Fatal(err)
		}
		out, _, err := console.WaitFor(20*time.Second, prompts...)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("after %q: want %s, got:\n%s", typed, want, out)
		}
		return out
	}
	step("findevent", `Please choose which type of search you want to perform:\n1\. Search by envelope FROM\n2\. Search by Message ID\n3\. Search by Subject\n4\. Search by envelope TO\n`, "[1]> ")
	step("1", `Enter the regular expression to search for\.\n`, "[]> ")
	step("^alice@", `Enter the number of the log you wish to use for message tracking\.\n1\. mail_logs\n`, "[1]> ")
	step("1", `Please choose which set of logs to search:\n1\. All available log files\n2\. Select log files by date list\n3\. Current log file\n`, "[1]> ")
	step("2", `Available mail log files, listed by log file start time\.\n1\. \w{3} \w{3} [ \d]\d [\d:]{8} \d{4}  mail_logs\n`, "[]> ")
	out := step("1", fmt.Sprintf(`The following matching message IDs were found\. Please choose one to show additional log information:\n`+
		`1\. MID %d  .*  <alice@client\.test>  <a@example\.test>  Report 0\n2\. MID %d  .*  <b@example\.test>  Report 1\n`, mids[0], mids[1]), "[1]> ")
	_ = out
	out = step("2", fmt.Sprintf(`Info: MID %d ICID \d+ RID 0 To: <b@example\.test>\n`, mids[1]), prompt)
	if strings.Contains(out, fmt.Sprintf("MID %d ", mids[0])) {
		t.Errorf("picked MID %d, shown MID %d too:\n%s", mids[1], mids[0], out)
	}
	// By MID: no list, the life at once.
	step("findevent", `Search by Message ID`, "[1]> ")
	step("2", `Enter the Message ID \(MID\) to search for\.\n`, "[]> ")
	step(fmt.Sprint(mids[0]), `mail_logs`, "[1]> ")
	step("", `Current log file`, "[1]> ")
	step("3", fmt.Sprintf(`Info: Message finished MID %d done\n`, mids[0]), prompt)
}
