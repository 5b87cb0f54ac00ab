package smtpd

import (
	"net/netip"
	"strings"
	"testing"

	"seg/store"
)

func testHAT() *store.HAT {
	h := store.NewPublicHAT()
	h.Policies = append(h.Policies,
		store.FlowPolicy{Name: "$REFUSED", Behavior: store.BehaviorTCPRefuse},
		store.FlowPolicy{Name: "$NEXT", Behavior: store.BehaviorContinue},
		store.FlowPolicy{Name: "$RELAY6", Behavior: store.BehaviorRelay, Params: store.Params{"max_message_size": "2048"}},
	)
	h.SenderGroups = []store.SenderGroup{
		{Name: "REFUSE", Members: []string{"10.9.9.9"}, Policy: "$REFUSED"},
		{Name: "SKIP", Members: []string{"10.1.0.0/16"}, Policy: "$NEXT"},
		{Name: "NET", Members: []string{"10.1.2.0/24"}, Policy: "$TRUSTED"},
		{Name: "RANGE", Members: []string{"192.168.1.10-20"}, Policy: "$THROTTLED"},
		{Name: "PARTIAL", Members: []string{"172.16."}, Policy: "$BLOCKED"},
		{Name: "V6", Members: []string{"::1", "2001:db8::/32"}, Policy: "$RELAY6"},
		// Members that need the DNS do not match without it (hatdns_test.go
		// has them with a resolver); an unparsable one never matches.
		{Name: "DNS", Members: []string{"mx.example.com", ".example.org", "dnslist[zen.example]", "sbrs[-10.0:10.0]", "not valid!"}, Policy: "$BLOCKED"},
		{Name: "ALL", Members: []string{"ALL"}, Policy: "$ACCEPTED"},
	}
	return &h
}

func TestHATMatch(t *testing.T) {
	hat := compileHAT(testHAT())
	for _, tc := range []struct {
		ip                         string
		group, member, policy, beh string
	}{
		{"10.9.9.9", "REFUSE", "10.9.9.9", "$REFUSED", "TCPREFUSE"},
		{"::ffff:10.9.9.9", "REFUSE", "10.9.9.9", "$REFUSED", "TCPREFUSE"}, // IPv4-mapped
		{"10.1.2.3", "NET", "10.1.2.0/24", "$TRUSTED", "ACCEPT"},           // SKIP continues
		{"10.1.3.3", "ALL", "ALL", "$ACCEPTED", "ACCEPT"},                  // SKIP continues, NET misses
		{"192.168.1.10", "RANGE", "192.168.1.10-20", "$THROTTLED", "ACCEPT"},
		{"192.168.1.20", "RANGE", "192.168.1.10-20", "$THROTTLED", "ACCEPT"},
		{"192.168.1.21", "ALL", "ALL", "$ACCEPTED", "ACCEPT"},
		{"192.168.1.9", "ALL", "ALL", "$ACCEPTED", "ACCEPT"},
		{"172.16.200.1", "PARTIAL", "172.16.", "$BLOCKED", "REJECT"},
		{"::1", "V6", "::1", "$RELAY6", "RELAY"},
		{"2001:db8:ffff::5", "V6", "2001:db8::/32", "$RELAY6", "RELAY"},
		{"2001:db9::5", "ALL", "ALL", "$ACCEPTED", "ACCEPT"},
		{"203.0.113.1", "ALL", "ALL", "$ACCEPTED", "ACCEPT"},
	} {
		d := hat.match(netip.MustParseAddr(tc.ip), &hostDNS{})
		if d.Group != tc.group || d.Member != tc.member || d.Policy != tc.policy || d.Behavior != tc.beh {
			t.Errorf("%s: got %s/%s/%s/%s, want %s/%s/%s/%s", tc.ip, d.Group, d.Member, d.Policy, d.Behavior,
				tc.group, tc.member, tc.policy, tc.beh)
		}
	}
}

func TestHATEffectiveParams(t *testing.T) {
	hat := compileHAT(testHAT())
	d := hat.match(netip.MustParseAddr("192.168.1.15"), &hostDNS{})
	if d.Flow.MaxRcptsPerMsg != 25 || d.Flow.MaxMessageSize != 1048576 {
		t.Errorf("$THROTTLED settings: %+v", d.Flow)
	}
	if d.Flow.BannerCode != 220 || d.Flow.RejectText != "Access denied" {
		t.Errorf("listener defaults not under the policy: %+v", d.Flow)
	}
	d = hat.match(netip.MustParseAddr("::1"), &hostDNS{})
	if d.Flow.MaxMessageSize != 2048 || d.Flow.MaxRcptsPerMsg != 50 {
		t.Errorf("$RELAY6 settings: %+v", d.Flow)
	}
}

func TestHATFailsClosed(t *testing.T) {
	h := testHAT()
	h.SenderGroups = append([]store.SenderGroup{{Name: "DANGLING", Members: []string{"10.0.0.1"}, Policy: "$GONE"}}, h.SenderGroups...)
	d := compileHAT(h).match(netip.MustParseAddr("10.0.0.1"), &hostDNS{})
	if d.Behavior != store.BehaviorReject || d.Group != "DANGLING" {
		t.Errorf("a group naming a missing policy: %+v, want REJECT", d)
	}

	// Without an ALL row AsyncOS applies the listener defaults ("SG None
	// match ALL"); the RAT still stands between the client and relaying.
	h = testHAT()
	h.SenderGroups = h.SenderGroups[:1]
	d = compileHAT(h).match(netip.MustParseAddr("10.0.0.1"), &hostDNS{})
	if d.Group != "None" || d.Member != "ALL" || d.Behavior != store.BehaviorAccept {
		t.Errorf("no match: %+v", d)
	}
	if d = compileHAT(h).match(netip.Addr{}, &hostDNS{}); d.Behavior != store.BehaviorAccept {
		t.Errorf("no client address: %+v", d)
	}
}

func TestSBRSText(t *testing.T) {
	h := &hostDNS{}
	if s := h.sbrsText(flow(store.Params{"use_sb": "on"})); s != "None" {
		t.Errorf("use_sb on: %q", s)
	}
	if s := h.sbrsText(flow(store.Params{"use_sb": "off"})); s != "not enabled" {
		t.Errorf("use_sb off: %q", s)
	}
}

// flow decodes policy parameters as compileHAT does.
func flow(p store.Params) *store.FlowSettings {
	f := store.DecodeFlowSettings(p)
	return &f
}

func TestBanners(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.7")
	for _, tc := range []struct {
		p    store.Params
		want string
	}{
		{store.Params{}, "220 mx.test ESMTP\r\n"},
		{store.Params{"smtp_banner_code": "220", "smtp_banner_text": "$Hostname for $RemoteHost ($RemoteIP)"}, "220 mx.test for host.example (192.0.2.7)\r\n"},
		{store.Params{"use_override_hostname": "on", "override_hostname": "other.test"}, "220 other.test ESMTP\r\n"},
		{store.Params{"smtp_banner_text": "bad\r\ntext"}, "220 badtext\r\n"},
	} {
		if got := greeting(flow(tc.p), "mx.test", ip, "host.example"); got != tc.want {
			t.Errorf("greeting(%v) = %q, want %q", tc.p, got, tc.want)
		}
	}
	if got := rejectGreeting(flow(store.Params{}), "mx.test", ip, ""); got != "554 Access denied\r\n" {
		t.Errorf("default reject banner %q", got)
	}
	if got := greeting(&store.FlowSettings{}, "mx.test", ip, ""); got != "220 mx.test ESMTP\r\n" {
		t.Errorf("zero settings: banner %q", got)
	}
	if got := rejectGreeting(flow(store.Params{"reject_banner_code": "421", "reject_banner_text": "$RemoteHost try later"}), "mx.test", ip, ""); got != "421 192.0.2.7 try later\r\n" {
		t.Errorf("custom reject banner %q", got)
	}
}

func TestHATOverLoopback(t *testing.T) {
	cfg := testConfig()
	hat := &cfg.Listeners[0].HAT
	hat.Policies = append(hat.Policies, store.FlowPolicy{Name: "$NEXT", Behavior: store.BehaviorContinue})
	hat.SenderGroups = []store.SenderGroup{
		{Name: "SKIP", Members: []string{"127.0.0.4"}, Policy: "$NEXT"},
		{Name: "RANGE", Members: []string{"127.0.0.4-5"}, Policy: "$THROTTLED"},
		{Name: "NET", Members: []string{"127.0.0.8/29"}, Policy: "$TRUSTED"},
		{Name: "V6", Members: []string{"::1"}, Policy: "$RELAYED"},
		{Name: "ALL", Members: []string{"ALL"}, Policy: "$ACCEPTED"},
	}
	v6 := cfg.Listeners[0]
	v6.Name, v6.Address = "V6", "::1"
	cfg.Listeners = append(cfg.Listeners, v6)
	e := newEnv(t, cfg)

	for _, tc := range []struct {
		addr, src, log, size string
	}{
		{e.addr("IncomingMail"), "127.0.0.4", "ICID 1 ACCEPT SG RANGE match 127.0.0.4-5 SBRS None", "250 SIZE 1048576"},
		{e.addr("IncomingMail"), "127.0.0.9", "ICID 2 ACCEPT SG NET match 127.0.0.8/29 SBRS not enabled", "250 SIZE 104857600"},
		{e.addr("IncomingMail"), "127.0.0.16", "ICID 3 ACCEPT SG None match ALL SBRS None", "250 SIZE 10485760"},
		{e.addr("V6"), "::1", "ICID 4 RELAY SG V6 match ::1 SBRS not enabled", "250 SIZE 104857600"},
	} {
		c := dialFrom(t, tc.addr, tc.src)
		c.line()
		c.send("EHLO x.test\r\n")
		if r := c.reply(); r[len(r)-1] != tc.size {
			t.Errorf("%s: EHLO %q, want %q", tc.src, r, tc.size)
		}
		e.waitLog("Info: " + tc.log)
	}
	e.waitLog("Info: New SMTP ICID 4 interface V6 (::1) address ::1 reverse dns host unknown verified no")

	c := dialFrom(t, e.addr("V6"), "::1")
	c.greet("v6.test")
	c.sendMessage("a@v6.test", []string{"far@away.test"}, "\r\nx\r\n")
	if got := string(e.q.messages()[0].body); !strings.HasPrefix(got, "Received: from v6.test ([IPv6:::1])\r\n") {
		t.Errorf("IPv6 Received: %q", got)
	}
}
