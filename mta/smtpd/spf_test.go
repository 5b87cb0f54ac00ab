package smtpd

import (
	"net/netip"
	"strings"
	"testing"

	"seg/mta/dns"
	"seg/store"
)

// spfZone is the DNS of the SPF tests: the client connects from
// 127.0.0.1.
func spfZone() *dns.Fake {
	return &dns.Fake{TXT: map[string][]string{
		"pass.test":        {"v=spf1 ip4:127.0.0.1 -all"},
		"fail.test":        {"v=spf1 -all"},
		"client.pass.test": {"v=spf1 ip4:127.0.0.1 -all"},
		"pra.test":         {"spf2.0/pra -all"},
	}}
}

func spfEnv(t *testing.T, params store.Params) *env {
	cfg := testConfig()
	for k, v := range params {
		cfg.Listeners[0].HAT.Defaults[k] = v
	}
	f := spfZone()
	return newEnvWith(t, cfg, func(d *Deps) {
		d.Resolver = func(*store.Config) dns.Resolver { return f }
	})
}

// A pass: the log lines, one Received-SPF per identity and the spf
// clauses of Authentication-Results, above seg's Received header.
func TestSPFPassHeaders(t *testing.T) {
	e := spfEnv(t, store.Params{"spf": "on"})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.greet("client.pass.test")
	if r := c.sendMessage("a@pass.test", []string{"u@example.com"}, "From: a@pass.test\r\n\r\nhi\r\n"); !strings.HasPrefix(r, "250 ") {
		t.Fatalf("DATA: %q", r)
	}
	e.waitLog("Info: MID 1 SPF: helo identity postmaster@client.pass.test Pass")
	e.waitLog("Info: MID 1 SPF: mailfrom identity a@pass.test Pass (v=spf1)")
	// sidf_compatible: the PRA is checked against spf2.0/pra alone.
	e.waitLog("Info: MID 1 SPF: pra identity a@pass.test None")
	body := string(e.q.messages()[0].body)
	head := body[:strings.Index(body, "Received: from")]
	want := "Authentication-Results: mx.seg.test;\r\n" +
		"\tspf=pass smtp.helo=client.pass.test;\r\n" +
		"\tspf=pass smtp.mailfrom=a@pass.test;\r\n" +
		"\tsender-id=none header.from=a@pass.test\r\n" +
		"Received-SPF: Pass (mx.seg.test: domain of postmaster@client.pass.test designates 127.0.0.1 as permitted sender)\r\n" +
		"\tidentity=helo;\r\n\tclient-ip=127.0.0.1;\r\n\treceiver=mx.seg.test;\r\n\tenvelope-from=\"a@pass.test\";\r\n" +
		"\thelo=client.pass.test;\r\n\tx-sender=\"postmaster@client.pass.test\";\r\n\tx-conformance=sidf_compatible\r\n" +
		"Received-SPF: Pass (mx.seg.test: domain of a@pass.test designates 127.0.0.1 as permitted sender)\r\n" +
		"\tidentity=mailfrom;\r\n\tclient-ip=127.0.0.1;\r\n\treceiver=mx.seg.test;\r\n\tenvelope-from=\"a@pass.test\";\r\n" +
		"\thelo=client.pass.test;\r\n\tx-sender=\"a@pass.test\";\r\n\tx-conformance=sidf_compatible\r\n" +
		"Received-SPF: None (mx.seg.test: domain of a@pass.test does not designate permitted sender hosts)\r\n" +
		"\tidentity=pra;\r\n\tclient-ip=127.0.0.1;\r\n\treceiver=mx.seg.test;\r\n\tenvelope-from=\"a@pass.test\";\r\n" +
		"\thelo=client.pass.test;\r\n\tx-sender=\"a@pass.test\";\r\n\tx-conformance=sidf_compatible\r\n"
	if head != want {
		t.Errorf("header\n got %q\nwant %q", head, want)
	}
}

// spf_fail_action reject: a MAIL FROM Fail is refused at MAIL, a PRA Fail
// after DATA; accept (the default) lets both in.
func TestSPFFailAction(t *testing.T) {
	e := spfEnv(t, store.Params{"spf": "on", "spf_fail_action": "reject", "spf_helo_test": "off"})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.greet("client.pass.test")
	c.expect("MAIL FROM:<a@fail.test>", "550 5.7.1 SPF check failed")
	c.expect("MAIL FROM:<a@pass.test>", "250 ")
	c.expect("RCPT TO:<u@example.com>", "250 ")
	c.expect("DATA", "354 ")
	c.send("From: b@pra.test\r\n\r\nhi\r\n.\r\n")
	if r := c.reply(); r[len(r)-1] != "550 5.7.1 SPF check failed" {
		t.Errorf("PRA fail: %q", r)
	}
	e.waitLog("Info: MID 2 SPF: pra identity b@pra.test Fail")
	if e.hasLog("SPF: helo identity") {
		t.Error("spf_helo_test off, but the HELO identity was checked")
	}
	if n := len(e.q.messages()); n != 0 {
		t.Errorf("%d messages queued", n)
	}

	e = spfEnv(t, store.Params{"spf": "on"})
	c = dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.greet("client.pass.test")
	if r := c.sendMessage("a@fail.test", []string{"u@example.com"}, "From: b@pra.test\r\n\r\nhi\r\n"); !strings.HasPrefix(r, "250 ") {
		t.Errorf("accept: %q", r)
	}
	e.waitLog("Info: MID 1 SPF: mailfrom identity a@fail.test Fail (v=spf1)")
}

// spfForDMARC: the MAIL FROM result, or the HELO one for <>, also when
// the policy's spf is off (then quietly); a Sender ID verdict is not
// what DMARC wants, so it checks v=spf1 itself.
func TestSPFForDMARC(t *testing.T) {
	f := spfZone()
	f.TXT["sid.test"] = []string{"v=spf1 ip4:127.0.0.1 -all", "spf2.0/mfrom -all"}
	srv := New(Deps{Resolver: func(*store.Config) dns.Resolver { return f }})
	sess := func(helo, from string, flow store.FlowSettings) *session {
		s := &session{s: srv, info: &connInfo{ip: netip.MustParseAddr("127.0.0.1"), dec: decision{Flow: &flow}}, helo: helo, from: from}
		return s
	}
	off := store.DecodeFlowSettings(store.Params{})
	cases := []struct {
		helo, from                    string
		flow                          store.FlowSettings
		domain, scope, result, runMsg string
	}{
		{"client.pass.test", "a@fail.test", off, "fail.test", "mfrom", "fail", "spf off"},
		{"client.pass.test", "", off, "client.pass.test", "helo", "pass", "null sender"},
		{"client.pass.test", "a@nx.test", off, "nx.test", "mfrom", "none", "no such domain"},
	}
	for _, tc := range cases {
		d, sc, r := sess(tc.helo, tc.from, tc.flow).spfForDMARC()
		if d != tc.domain || sc != tc.scope || r != tc.result {
			t.Errorf("%s: %s %s %s, want %s %s %s", tc.runMsg, d, sc, r, tc.domain, tc.scope, tc.result)
		}
	}
	// A Sender ID verdict at MAIL (spf2.0/mfrom fails) is not reused.
	on := store.DecodeFlowSettings(store.Params{"spf": "on"})
	s := sess("client.pass.test", "a@sid.test", on)
	s.mid = 1
	v := s.spfChecker().MailFrom(t.Context(), s.info.ip, s.helo, s.from, spfLevel(on.SPFConformance))
	s.auth.spf.mailfrom = &v
	if v.Result != "fail" {
		t.Fatalf("sidf mfrom: %+v", v)
	}
	if d, sc, r := s.spfForDMARC(); d != "sid.test" || sc != "mfrom" || r != "pass" {
		t.Errorf("after a Sender ID check: %s %s %s, want sid.test mfrom pass", d, sc, r)
	}
	// The answer is kept.
	delete(f.TXT, "sid.test")
	if _, _, r := s.spfForDMARC(); r != "pass" {
		t.Errorf("second call: %s, want the cached pass", r)
	}
}
