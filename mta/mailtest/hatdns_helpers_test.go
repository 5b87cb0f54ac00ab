package mailtest

import (
	"bufio"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"seg/internal/segtest"
)

// hatSession connects to addr from the loopback address ip, reads the
// banner, then checks the session: a 220 banner must take EHLO, a 554
// (REJECT policy) banner must refuse MAIL with 503 (RFC 5321 section
// 3.1). It returns the banner.
func hatSession(t *testing.T, addr, ip string) string {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("%s: %v", ip, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	banner, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s: no banner: %v", ip, err)
	}
	banner = strings.TrimRight(banner, "\r\n")
	cmd, want := "EHLO client.test\r\n", "250"
	if strings.HasPrefix(banner, "554 ") {
		cmd, want = "MAIL FROM:<a@client.test>\r\n", "503 5.5.1 Bad sequence of commands"
	}
	fmt.Fprint(c, cmd)
	line, _ := r.ReadString('\n')
	if !strings.HasPrefix(line, want) {
		t.Errorf("%s: banner %q, then %q answered %q, want %q", ip, banner, strings.TrimSpace(cmd), line, want)
	}
	fmt.Fprint(c, "QUIT\r\n")
	return banner
}

var newSMTPLine = regexp.MustCompile(`^Info: New SMTP ICID (\d+) interface \S+ \(\S+\) address (\S+) reverse dns host (\S+) verified (yes|no)$`)

// connections counts the "New SMTP ICID" lines of connections from ip.
func connections(a *segtest.Appliance, ip string) int {
	n := 0
	for _, l := range a.LogLines() {
		if m := newSMTPLine.FindStringSubmatch(l); m != nil && m[2] == ip {
			n++
		}
	}
	return n
}

// hatLines returns the "New SMTP ICID" line of the connection from ip
// after the first `before` ones, and the HAT decision line of that ICID,
// polling until both are logged.
func hatLines(t *testing.T, a *segtest.Appliance, ip string, before int) (newSMTP, decision string) {
	t.Helper()
	ok := segtest.Poll(10*time.Second, func() bool {
		lines := a.LogLines()
		icid, n := "", 0
		for _, l := range lines {
			if m := newSMTPLine.FindStringSubmatch(l); m != nil && m[2] == ip {
				if n++; n == before+1 {
					newSMTP, icid = l, m[1]
				}
			}
		}
		if icid == "" {
			return false
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "Info: ICID "+icid+" ") && strings.Contains(l, " SG ") {
				decision = l
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no New SMTP and HAT lines for %s; log ends:\n%s", ip, tailLines(a.MailLog(), 30))
	}
	return newSMTP, decision
}

// hatICID is the ICID number of a New SMTP line.
func hatICID(newSMTP string) string { return newSMTPLine.FindStringSubmatch(newSMTP)[1] }

// newHangingDNS is a DNS server on 127.0.0.1 (UDP) that answers from
// records like segtest.NewDNS but never answers a question for a name
// under hang: a DNS server that does not respond.
func newHangingDNS(t *testing.T, hang string, records ...string) string {
	t.Helper()
	zone := map[string][]mdns.RR{}
	for _, r := range records {
		rr, err := mdns.NewRR(r)
		if err != nil {
			t.Fatalf("dns: bad record %q: %v", r, err)
		}
		n := strings.ToLower(rr.Header().Name)
		zone[n] = append(zone[n], rr)
	}
	h := mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) {
		if len(req.Question) != 1 {
			return
		}
		q := req.Question[0]
		name := strings.ToLower(q.Name)
		if strings.HasSuffix(name, "."+hang+".") {
			return // never answers
		}
		m := new(mdns.Msg)
		m.SetReply(req)
		rrs, ok := zone[name]
		if !ok {
			m.Rcode = mdns.RcodeNameError
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &mdns.Server{PacketConn: pc, Handler: h}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// newDialerFrom dials from the loopback address ip.
func newDialerFrom(ip string) *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
}
