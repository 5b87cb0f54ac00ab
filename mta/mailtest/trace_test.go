package mailtest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestTraceAgreesWithSession: for each (client IP, sender, recipients)
// of a table, over a configuration with several sender groups and
// policies, RAT entries, incoming and outgoing mail policies and SMTP
// routes to sinks on different loopback addresses, `seg cli trace`
// predicts what the real session then does: the same sender group,
// member and behaviour in mail_logs, the same reply to every command
// (the same codes and texts), the same mail policy per recipient, and
// the message reaches the sink the trace's route names (SPEC 13,
// issue 14).
func TestTraceAgreesWithSession(t *testing.T) {
	local := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.2:0"})
	sales := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.3:0"})
	remote := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.4:0"})
	hat := "listenerconfig edit IncomingMail hostaccess "
	rat := "listenerconfig edit IncomingMail rcptaccess "
	a := segtest.New(t,
		hat+"new policy NOPE REJECT --reject_banner_code=554 --reject_banner_text='Not from $RemoteIP'",
		hat+"new policy LIMITED ACCEPT --max_rcpts_per_msg=2",
		hat+"new policy GONE TCPREFUSE",
		hat+"new sendergroup BLOCKED 127.0.0.6 NOPE --position 1",
		hat+"new sendergroup REFUSED 127.0.0.10 GONE --position 1",
		hat+"new sendergroup PARTNERS 127.0.0.7,127.0.0.9 LIMITED --position 1",
		hat+"new sendergroup TRUSTED 127.0.0.8 $RELAYED --position 1",
		rat+"new nobody@example.test REJECT --code 550 --text '5.1.1 No such user here'",
		rat+"new example.test,sales.example.test ACCEPT",
		"policyconfig incoming new Sales --recipients @sales.example.test",
		"smtproutes new example.test "+local.Addr(),
		"smtproutes new sales.example.test "+sales.Addr(),
		"smtproutes new remote.test "+remote.Addr(),
	)
	msg := "From: <a@client.test>\r\nTo: <someone@example.test>\r\nSubject: traced\r\nMessage-ID: <trace@client.test>\r\n\r\n.A line starting with a dot.\r\n"
	if err := os.WriteFile(filepath.Join(a.Dir, "configuration", "trace.eml"), []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	a.Start()

	cases := []struct {
		ip, from string
		to       []string
		group    string // the sender group the log names
		sinks    map[string]*segtest.Sink
	}{
		{"127.0.0.5", "a@client.test", []string{"user@example.test", "x@other.test"}, "ALL", map[string]*segtest.Sink{"user@example.test": local}},
		{"127.0.0.5", "a@client.test", []string{"bob@sales.example.test", "eve@example.test"}, "ALL",
			map[string]*segtest.Sink{"bob@sales.example.test": sales, "eve@example.test": local}},
		{"127.0.0.5", "a@client.test", []string{"nobody@example.test"}, "ALL", nil},
		{"127.0.0.6", "a@client.test", []string{"user@example.test"}, "BLOCKED", nil},
		{"127.0.0.10", "a@client.test", []string{"user@example.test"}, "REFUSED", nil},
		{"127.0.0.7", "a@client.test", []string{"p1@example.test", "p2@example.test", "p3@example.test"}, "PARTNERS",
			map[string]*segtest.Sink{"p1@example.test": local, "p2@example.test": local}},
		{"127.0.0.8", "", []string{"far@remote.test"}, "TRUSTED", map[string]*segtest.Sink{"far@remote.test": remote}},
	}
	for i, c := range cases {
		from := c.from
		if from == "" {
			from = "<>"
		}
		out := a.MustCli("trace", "source", c.ip, "helo", "client.test", "from", from,
			"to", strings.Join(c.to, ","), "message", "trace.eml")
		if !strings.Contains(out, "Using the running configuration (revision") {
			t.Errorf("case %d: the trace does not say which configuration it used:\n%s", i, out)
		}
		steps := traceSteps(out)
		if len(steps) == 0 {
			t.Fatalf("case %d: no session in the trace:\n%s", i, out)
		}
		group := regexp.MustCompile(`Sender group: +(\S+) \(member (\S+) matched\)`).FindStringSubmatch(out)
		behavior := regexp.MustCompile(`Mail flow policy: +\S+ \(behavior (\S+)\)`).FindStringSubmatch(out)
		if group == nil || behavior == nil || group[1] != c.group {
			t.Fatalf("case %d: trace's sender group %v, behaviour %v, want group %s:\n%s", i, group, behavior, c.group, out)
		}

		// The same session, over TCP from the same address.
		before := len(a.MailLog())
		sameReplies(t, fmt.Sprintf("case %d", i), c.ip, a.SMTPAddr(), steps, msg)
		// newLog waits for re in the lines written since the replay began.
		newLog := func(re string) bool {
			return segtest.Poll(10*time.Second, func() bool {
				return regexp.MustCompile(re).MatchString(a.MailLog()[before:])
			})
		}
		logged := group[1]
		if logged == "ALL" {
			logged = "None" // AsyncOS's name for the ALL row in mail_logs
		}
		hatLine := `ICID \d+ ` + regexp.QuoteMeta(behavior[1]+" SG "+logged+" match "+group[2]) + ` SBRS`
		if !newLog(hatLine) {
			t.Errorf("case %d: mail_logs has no %q:\n%s", i, hatLine, a.MailLog()[before:])
		}

		// The mail policy of each recipient, as the split logs it.
		for _, m := range regexp.MustCompile(`(?m)^    (\S+): policy (\S+); `).FindAllStringSubmatch(out, -1) {
			table := "inbound"
			if behavior[1] == "RELAY" {
				table = "outbound"
			}
			line := "matched all recipients for per-recipient policy " + m[2] + " in the " + table + " table"
			if !newLog(regexp.QuoteMeta(line)) {
				t.Errorf("case %d: %s: the trace says policy %s, mail_logs has no %q", i, m[1], m[2], line)
			}
		}
		// The route: the sink the trace names gets the recipient.
		for rcpt, sink := range c.sinks {
			domain := rcpt[strings.IndexByte(rcpt, '@')+1:]
			if !strings.Contains(out, "    "+domain+": SMTP route "+sink.Addr()+"\n") {
				t.Errorf("case %d: the trace does not route %s to %s:\n%s", i, domain, sink.Addr(), out)
			}
			if !segtest.Poll(20*time.Second, func() bool { return sinkHas(sink, rcpt) }) {
				t.Errorf("case %d: %s never reached %s", i, rcpt, sink.Addr())
			}
		}
		if len(c.sinks) == 0 && strings.Contains(out, "Message Enqueued for Delivery") {
			t.Errorf("case %d: nothing should be queued, the trace says:\n%s", i, out)
		}
	}
	// Nothing the traces ran reached a sink on its own: each sink got
	// exactly the recipients of the replayed sessions.
	if n := local.Count() + sales.Count() + remote.Count(); n != 5 {
		t.Errorf("the sinks got %d messages, want 5 (one per replayed message and route)", n)
	}

	// A change staged and not committed: the trace in the same session
	// uses it, and says so; the running configuration still refuses.
	traced := "trace source 127.0.0.5 helo client.test from a@client.test to x@other.test"
	out := a.MustCli(rat + "new other.test ACCEPT ; " + traced)
	if !strings.Contains(out, "Using the uncommitted configuration (based on revision") ||
		!strings.Contains(out, "x@other.test: RAT entry other.test ACCEPT: 250 ") {
		t.Errorf("the trace of a staged RAT entry:\n%s", out)
	}
	out = a.MustCli(strings.Fields(traced)...)
	if !strings.Contains(out, "Using the running configuration (revision") ||
		!strings.Contains(out, "x@other.test: RAT entry ALL REJECT: 550 5.7.1 Recipient address rejected") {
		t.Errorf("the trace of the running configuration after the candidate was dropped:\n%s", out)
	}
}

var traceMID = regexp.MustCompile(`queued as \d+`)

// sameReplies replays a trace's session over TCP from ip and checks
// that each command gets the reply the trace showed (the MID aside).
func sameReplies(t *testing.T, name, ip, addr string, steps []traceStep, msg string) {
	t.Helper()
	got := replay(t, ip, addr, steps, msg)
	for k := range steps {
		want := traceMID.ReplaceAllString(steps[k].reply, "queued as N")
		if k >= len(got) || traceMID.ReplaceAllString(got[k], "queued as N") != want {
			t.Errorf("%s: %q: the session replied %q, the trace said %q", name, steps[k].cmd, at(got, k), steps[k].reply)
		}
	}
}

// TestTraceSenderChecks: with sender verification, SPF (fail: reject),
// DKIM and DMARC on, the trace shows each verdict, read from a real DNS
// server, and the session it predicts is the one a client then gets.
func TestTraceSenderChecks(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	dnsAddr := segtest.NewDNS(t,
		`pass.test. 60 IN TXT "v=spf1 ip4:127.0.0.31 -all"`,
		`pass.test. 60 IN MX 10 mx.pass.test.`,
		`mx.pass.test. 60 IN A 127.0.0.31`,
		`_dmarc.pass.test. 60 IN TXT "v=DMARC1; p=none"`,
	)
	a := segtest.New(t, "dnsconfig setup --servers "+dnsAddr,
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"smtproutes new example.test "+sink.Addr(),
		"listenerconfig edit IncomingMail hostaccess default --sender_verification=on --spf=on --spf_fail_action=reject --dkim_verification=on --dmarc_verification=on")
	a.Start()
	msg := "From: <u@pass.test>\r\nTo: <r@example.test>\r\nSubject: checks\r\n\r\nHello.\r\n"
	if err := os.WriteFile(filepath.Join(a.Dir, "configuration", "checks.eml"), []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ip, from string
		want     []string // lines of the trace's sender section
		reply    string   // MAIL's reply, from the trace
	}{
		{"127.0.0.31", "u@pass.test", []string{"SPF: mailfrom identity u@pass.test Pass", "DKIM: no signature", "DMARC: Message from domain pass.test, DMARC pass (SPF aligned True", "Sender verification: passed"}, "250 "},
		{"127.0.0.32", "u@pass.test", []string{"SPF: mailfrom identity u@pass.test Fail"}, "550 5.7.1 SPF check failed"},
		{"127.0.0.31", "u@nx.test", []string{"Sender Verification: <u@nx.test> domain does not exist"}, "5"},
	} {
		out := a.MustCli("trace", "source", c.ip, "helo", "client.test", "from", c.from, "to", "r@example.test", "message", "checks.eml")
		sec := out[strings.Index(out, "Sender Verification and Authentication:"):]
		sec = sec[:strings.Index(sec, "\n\n")]
		for _, w := range c.want {
			if !strings.Contains(sec, w) {
				t.Errorf("%s from %s: the trace's sender checks lack %q:\n%s", c.ip, c.from, w, sec)
			}
		}
		steps := traceSteps(out)
		mail := ""
		for _, s := range steps {
			if strings.HasPrefix(s.cmd, "MAIL ") {
				mail = s.reply
			}
		}
		if !strings.HasPrefix(mail, c.reply) {
			t.Errorf("%s from %s: MAIL got %q in the trace, want %q...", c.ip, c.from, mail, c.reply)
		}
		sameReplies(t, c.ip+" "+c.from, c.ip, a.SMTPAddr(), steps, msg)
	}
}

type traceStep struct{ cmd, reply string }

// traceSteps reads the "C:"/"S:" lines of a trace's session.
func traceSteps(out string) []traceStep {
	var steps []traceStep
	cmd := ""
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "    C: "):
			cmd = strings.TrimPrefix(l, "    C: ")
			steps = append(steps, traceStep{cmd: cmd})
		case strings.HasPrefix(l, "    S: "):
			s := strings.TrimPrefix(l, "    S: ")
			if len(steps) == 0 || steps[len(steps)-1].cmd != cmd {
				steps = append(steps, traceStep{cmd: cmd})
			}
			last := &steps[len(steps)-1]
			if last.reply == "" {
				last.reply = s
			} else {
				last.reply += "\n" + s
			}
		}
	}
	return steps
}

// replay sends the trace's commands over TCP from ip, the message after
// DATA, and returns each reply (lines joined by "\n").
func replay(t *testing.T, ip, addr string, steps []traceStep, msg string) []string {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", addr)
	if errors.Is(err, syscall.ECONNRESET) {
		// TCPREFUSE resets the connection as it is accepted.
		return []string{"(connection closed)"}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	br := bufio.NewReader(c)
	var replies []string
	for _, s := range steps {
		switch s.cmd {
		case "":
		case ".":
			data := strings.ReplaceAll(msg, "\r\n.", "\r\n..")
			if strings.HasPrefix(data, ".") {
				data = "." + data
			}
			c.Write([]byte(data + ".\r\n"))
		default:
			c.Write([]byte(s.cmd + "\r\n"))
		}
		var lines []string
		for {
			l, err := br.ReadString('\n')
			if l = strings.TrimRight(l, "\r\n"); l != "" {
				lines = append(lines, l)
			}
			if err != nil {
				if len(lines) == 0 {
					lines = append(lines, "(connection closed)")
				}
				break
			}
			if len(l) < 4 || l[3] != '-' {
				break
			}
		}
		replies = append(replies, strings.Join(lines, "\n"))
	}
	return replies
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(nothing)"
}

func sinkHas(s *segtest.Sink, rcpt string) bool {
	for _, m := range s.Messages() {
		if slices.Contains(m.Rcpts, rcpt) {
			return true
		}
	}
	return false
}
