package mailtest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestMailCommands drives the queue, delivery, listener and log commands
// through seg cli against a running appliance, and checks what each
// prints and logs: the shell's typed MailSystem requests end to end
// (shell/mailcmd.go, internal/mailapi, mta). tophosts, hoststatus and
// status are TestReports'.
func TestMailCommands(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new example.test "+sink.Addr(),
		"smtproutes new other.test "+sink.Addr(),
		"smtproutes new client.test "+sink.Addr())
	a.Start()
	var transcript strings.Builder
	cli := func(line string) string {
		t.Helper()
		out := a.MustCli(line)
		fmt.Fprintf(&transcript, "> %s\n%s", line, out)
		return out
	}
	expect := func(line, want string) {
		t.Helper()
		if out := cli(line); out != want {
			t.Errorf("%s:\n got %q\nwant %q", line, out, want)
		}
	}
	expectRE := func(line, re string) string {
		t.Helper()
		out := cli(line)
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("%s:\n%s\ndoes not match %s", line, out, re)
		}
		return out
	}
	defer func() { t.Logf("transcript:\n%s", transcript.String()) }()

	expect("suspenddel", "Delivery suspended for all destinations.\n")
	send := func(from string, to ...string) int64 {
		t.Helper()
		mid, err := segtest.Client{}.Send(a.SMTPAddr(), from, to, plainMessage(to[0], "held for "+from, from+".id@client.test"))
		if err != nil {
			t.Fatal(err)
		}
		return mid
	}
	m1 := send("alice@client.test", "a@example.test", "b@other.test")
	m2 := send("bob@client.test", "c@example.test")

	expectRE("workqueue", `^Status as of: +\w{3} \w{3} +\d+ [\d:]+ \d{4}( \w+)?\n`+
		`Messages In Work Queue: +2\nActive Recipients: +3\nDestinations In Memory: +2\n`+
		`Current Outbound Conn\.: +0\nDelivery: +suspended for all destinations\n$`)
	head := `^MID/       Bytes/     Sender/                          Subject\n\[RID\]      \[Atmps\]    Recipient\n`
	expectRE("showrecipients --all", head+
		fmt.Sprintf(`%-10d \d+ +<alice@client\.test> +held for alice@client\.test\n`, m1)+
		`\[0\]        \[0\]        a@example\.test\n\[1\]        \[0\]        b@other\.test\n`+
		fmt.Sprintf(`%-10d \d+ +<bob@client\.test> +held for bob@client\.test\n`, m2)+
		`\[0\]        \[0\]        c@example\.test\n$`)
	expectRE("showrecipients --sender bob@client.test", head+
		fmt.Sprintf(`%-10d \d+ +<bob@client\.test> +held for bob@client\.test\n`, m2)+`\[0\]        \[0\]        c@example\.test\n$`)
	expectRE("showrecipients --domain Other.Test", head+
		fmt.Sprintf(`%-10d \d+ +<alice@client\.test> +held for alice@client\.test\n`, m1)+`\[1\]        \[0\]        b@other\.test\n$`)
	expect("showrecipients --domain nothing.test", "There are no messages matching your criteria.\n")

	expect("deleterecipients --domain other.test", "1 recipients deleted.\n")
	expect("bouncerecipients --sender bob@client.test", "1 recipients bounced.\n")
	// The bounce is a DSN from the null sender to bob.
	expectRE("showrecipients --sender <>", head+`\d+ +\d+ +<> .*\n\[0\]        \[0\]        bob@client\.test\n$`)
	expect("redirectrecipients --domain example.test --to "+sink.Addr(), "1 recipients redirected to "+sink.Addr()+".\n")
	// A domain with mail queued is suspended without a note; one with
	// none is suspended and said to have nothing queued.
	expect("suspenddel client.test", "Delivery suspended for client.test.\n")
	expect("delivernow client.test", "Rescheduling client.test for immediate delivery (1 recipients).\n")
	expect("delivernow", "Rescheduling all domains for immediate delivery (2 recipients).\n")
	expect("suspenddel example.test", "Delivery suspended for example.test.\n")
	expect("suspenddel nosuch.test", "Delivery suspended for nosuch.test.\n"+
		"No messages are queued for nosuch.test; mail queued for it from now on stays in the queue until resumedel nosuch.test.\n")
	expect("resumedel Example.Test", "Delivery resumed for example.test.\n")
	expect("suspendlistener", "Listener IncomingMail suspended.\n")
	expect("resumelistener incomingmail", "Listener IncomingMail resumed.\n")
	expect("resumedel", "Delivery resumed for all destinations.\n")
	sink.WaitCount(t, 2, 20*time.Second)

	for _, l := range []string{
		"Delivery suspended for all destinations by administrator",
		"deleterecipients: 1 recipients for other.test deleted by administrator",
		"bouncerecipients: 1 recipients from bob@client.test bounced by administrator",
		"redirectrecipients: 1 recipients for example.test redirected to " + sink.Addr() + " by administrator",
		"Delivery rescheduled for client.test by administrator: 1 recipients",
		"Delivery rescheduled for ALL by administrator: 2 recipients",
		"Delivery suspended for example.test by administrator",
		"Delivery resumed for example.test by administrator",
		"Listener IncomingMail suspended by administrator",
		"Listener IncomingMail resumed by administrator",
		"Delivery resumed for all destinations by administrator",
	} {
		a.WaitLog(t, "Info: "+l+"\n", 10*time.Second)
	}

	// findevent: the message's own lines and its connection's.
	for _, line := range []string{fmt.Sprintf("findevent --mid %d", m1), "findevent --from ^ALICE@", "findevent --to b@other", `findevent --subject "for alice"`} {
		out := expectRE(line, fmt.Sprintf(`(?m)^.*Info: MID %d ICID \d+ From: <alice@client\.test>$`, m1))
		if strings.Contains(out, fmt.Sprintf("MID %d ", m2)) {
			t.Errorf("%s shows MID %d:\n%s", line, m2, out)
		}
		if !regexp.MustCompile(`(?m)Info: New SMTP ICID \d+ interface`).MatchString(out) {
			t.Errorf("%s: no connection line:\n%s", line, out)
		}
	}
	if out, _, code := a.Cli("findevent --subject nothing-like-it"); code == 0 || out != "" {
		t.Errorf("findevent without a match: exit %d, %q", code, out)
	}

	expectRE(`grep "Delivery suspended for example.test"`, `^\w{3} \w{3} +\d+ [\d:]+ \d{4} Info: Delivery suspended for example\.test by administrator\n$`)
	expect("grep nothing-like-it mail_logs", "No matching lines were found.\n")
	if _, errOut, code := a.Cli(`grep "("`); code == 0 || !strings.Contains(errOut, `Invalid regular expression "(": `) {
		t.Errorf("grep ( : exit %d, %q", code, errOut)
	}
	tail := strings.Split(strings.TrimSuffix(cli("tail"), "\n"), "\n")
	// One-shot: the last 20 lines of mail_logs, which has more.
	if log := a.MailLog(); len(tail) != 20 || strings.Count(log, "\n") <= 20 ||
		!strings.Contains(log, "\n"+strings.Join(tail, "\n")+"\n") {
		t.Errorf("tail: %d lines, want 20 consecutive lines of mail_logs:\n%s", len(tail), strings.Join(tail, "\n"))
	}
	expect("resetcounters", "Counters reset.\n")
	a.WaitLog(t, "Info: Counters reset by administrator\n", 10*time.Second)
}
