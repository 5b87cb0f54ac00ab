package mailtest

import (
	"bufio"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

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

// newDialerFrom dials from the loopback address ip.
func newDialerFrom(ip string) *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
}
