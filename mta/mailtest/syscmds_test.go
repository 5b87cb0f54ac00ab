package mailtest

import (
	"bufio"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestDiagnosticCommands drives nslookup, dnsstatus, telnet, topin and
// hostrate through seg cli against a running appliance whose dnsconfig
// names a real DNS server (segtest.NewDNS) and whose route goes to a
// sink: each answer must be what that server, sink and traffic say.
func TestDiagnosticCommands(t *testing.T) {
	dnsAddr := segtest.NewDNS(t,
		"diag.test. 300 IN A 127.0.0.9",
		"diag.test. 300 IN AAAA ::9",
		"diag.test. 300 IN MX 10 mx.diag.test.",
		`diag.test. 300 IN TXT "v=spf1 -all"`,
		"9.0.0.127.in-addr.arpa. 300 IN PTR mx.diag.test.",
	)
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "dnsconfig setup --servers "+dnsAddr, "smtproutes new example.test "+sink.Addr())
	a.Start()

	for line, want := range map[string]string{
		"nslookup diag.test":           "A=127.0.0.9\n",
		"nslookup Diag.Test. AAAA":     "AAAA=::9\n",
		"nslookup diag.test mx":        "MX=mx.diag.test PREF=10\n",
		"nslookup diag.test TXT":       `TXT="v=spf1 -all"` + "\n",
		"nslookup 127.0.0.9":           "PTR=mx.diag.test\n",
		"nslookup nosuch.diag.test mx": "No MX records found for nosuch.diag.test (NXDomain).\n",
	} {
		if got := a.MustCli(line); got != want {
			t.Errorf("%s: %q, want %q", line, got, want)
		}
	}
	// The MX again: from the cache this time.
	a.MustCli("nslookup diag.test mx")
	st := a.MustCli("dnsstatus")
	if !strings.HasPrefix(st, "Status as of:") || !strings.Contains(st, "Counters:                                 Reset       Uptime\n") {
		t.Errorf("dnsstatus layout:\n%s", st)
	}
	if hits := statusRow(t, st, "Cache Hits"); len(hits) != 2 || hits[1] < 1 {
		t.Errorf("dnsstatus Cache Hits %v after a repeated lookup, want at least 1:\n%s", hits, st)
	}
	if req := statusRow(t, st, "DNS Requests"); len(req) != 2 || req[1] < 7 {
		t.Errorf("dnsstatus DNS Requests %v after 7 nslookups, want at least 7:\n%s", req, st)
	}
	if miss := statusRow(t, st, "Network Requests"); len(miss) != 2 || miss[1] < 5 {
		t.Errorf("dnsstatus Network Requests %v, want at least 5:\n%s", miss, st)
	}
	a.MustCli("resetcounters")
	if req := statusRow(t, a.MustCli("dnsstatus"), "DNS Requests"); len(req) != 2 || req[0] != 0 || req[1] < 7 {
		t.Errorf("dnsstatus DNS Requests %v after resetcounters, want Reset 0, Uptime unchanged", req)
	}

	// telnet: the sink's banner, then hang up; a closed port is refused.
	port := strconv.Itoa(sink.Port())
	out := a.MustCli("telnet 127.0.0.1 " + port)
	if !regexp.MustCompile(`^Trying 127\.0\.0\.1\.\.\.\nConnected to 127\.0\.0\.1\.\n220 [^\n]*\nConnection closed\.\n$`).MatchString(out) {
		t.Errorf("telnet to the sink:\n%s", out)
	}
	closed := closedPort(t)
	if out, errOut, code := a.Cli("telnet 127.0.0.1 " + closed); code != 1 || !strings.Contains(out+errOut, "Connection refused") {
		t.Errorf("telnet to a closed port: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := a.Cli("telnet nosuch.diag.test"); code != 1 || !strings.Contains(out+errOut, "No address associated with hostname") {
		t.Errorf("telnet to an unknown name: exit %d\n%s%s", code, out, errOut)
	}

	// topin: a client with a session open, and one that sent a message.
	if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "a@client.test", []string{"b@example.test"}, plainMessage("b@example.test", "topin", "topin@client.test")); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", a.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		t.Fatalf("banner: %v", err)
	}
	row := regexp.MustCompile(`(?m)^1 +unknown +127\.0\.0\.1 +IncomingMail +1 +1$`)
	segtest.Wait(t, 10*time.Second, "topin to show the open session and the message", func() bool {
		return row.MatchString(a.MustCli("topin"))
	})
	if out := a.MustCli("topin 2"); !row.MatchString(out) || !strings.Contains(out, "#   Remote hostname                Remote IP addr.  listener         Conn. In  Msgs In\n") {
		t.Errorf("topin 2:\n%s", out)
	}

	// hostrate: the destination delivered to is up; two rows, 1 s apart.
	sink.WaitCount(t, 1, 30*time.Second)
	out = a.MustCli("hostrate example.test 1 2")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	rowRE := regexp.MustCompile(`^\d\d:\d\d:\d\d +up +\d+ +\d+ +-?\d+ +-?\d+ +-?\d+ +-?\d+$`)
	if len(lines) != 4 || !strings.Contains(lines[0], "CrtCncOut") || !rowRE.MatchString(lines[2]) || !rowRE.MatchString(lines[3]) {
		t.Errorf("hostrate example.test 1 2:\n%s", out)
	}
}

// closedPort returns a loopback port nothing listens on (it was bound a
// moment ago, then closed).
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

// TestSuspendResume: suspend closes the listeners, cuts a session still
// open after the wait, and holds delivery; resume undoes both, and the
// mail received in between (through a listener resumed alone) goes out.
func TestSuspendResume(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr())
	a.Start()

	c, err := net.Dial("tcp", a.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("banner: %v", err)
	}
	want := "Waiting for listeners to exit...\nClosed 1 incoming connections still open after 1s.\nReceiving suspended.\n" +
		"Waiting for outgoing deliveries to finish...\nMail delivery suspended.\n"
	if out := a.MustCli("suspend 1"); out != want {
		t.Errorf("suspend 1:\n%s\nwant:\n%s", out, want)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.ReadString('\n'); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Errorf("the session open across suspend: read %v, want the connection closed", err)
	}
	if c2, err := net.DialTimeout("tcp", a.SMTPAddr(), 5*time.Second); err == nil {
		c2.Close()
		t.Error("the listener still accepts connections after suspend")
	}
	if st := a.MustCli("status"); !strings.Contains(st, "System status:                 Delivery suspended") {
		t.Errorf("status after suspend:\n%s", st)
	}

	// Receiving alone resumed: mail is taken but not delivered.
	a.MustCli("resumelistener")
	if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "a@client.test", []string{"b@example.test"}, plainMessage("b@example.test", "held", "held@client.test")); err != nil {
		t.Fatal(err)
	}
	if wq := a.MustCli("workqueue"); !strings.Contains(wq, "Messages In Delivery Queue:    1\n") {
		t.Errorf("workqueue with delivery suspended:\n%s", wq)
	}
	if n := sink.Count(); n != 0 {
		t.Fatalf("the sink got %d messages while delivery was suspended", n)
	}
	if out := a.MustCli("resume"); out != "Receiving resumed.\nMail delivery resumed.\n" {
		t.Errorf("resume: %q", out)
	}
	sink.WaitCount(t, 1, 30*time.Second)
	if st := a.MustCli("status"); !strings.Contains(st, "System status:                 Online") {
		t.Errorf("status after resume:\n%s", st)
	}
	if log := a.MailLog(); !strings.Contains(log, "Receiving suspended by administrator") || !strings.Contains(log, "Delivery resumed for all destinations by administrator") {
		t.Errorf("mail_logs does not record suspend and resume:\n%s", log)
	}
}
