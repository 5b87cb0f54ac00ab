package smtpd

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dmarc"

	"seg/mta/dkimverify"
	"seg/mta/dmarcreport"
	"seg/mta/dmarcverify"
	"seg/mta/dns"
	"seg/store"
)

// fromMsg is authMsg from another author.
func fromMsg(from string) string {
	return strings.Replace(authMsg, "alice@example.test", from, 1)
}

// dmarcDNS publishes one policy per domain and the keys of keys.
func dmarcDNS(keys authKeys) *dns.Fake {
	return &dns.Fake{
		TXT: map[string][]string{
			"_dmarc.reject.test":              {"v=DMARC1; p=reject; rua=mailto:agg@reject.test"},
			"_dmarc.strict.test":              {"v=DMARC1; p=reject; adkim=s"},
			"_dmarc.quarantine.test":          {"v=DMARC1; p=quarantine"},
			"_dmarc.none.test":                {"v=DMARC1; p=none"},
			"_dmarc.sampled.test":             {"v=DMARC1; p=reject; pct=0"},
			"_dmarc.org.test":                 {"v=DMARC1; p=none; sp=reject"},
			"_dmarc.bad.test":                 {"v=DMARC1; p=never"},
			"sel._domainkey.reject.test":      {keys.record("sel")},
			"sel._domainkey.mail.reject.test": {keys.record("sel")},
			"sel._domainkey.mail.strict.test": {keys.record("sel")},
			"sel._domainkey.other.test":       {keys.record("sel")},
		},
		Errors: map[string]error{"_dmarc.down.test": dns.TempFail("_dmarc.down.test", "TXT")},
	}
}

// TestDMARC: each policy acts as the DEFAULT profile says, on DKIM
// alignment (relaxed and strict), with its log lines and its
// Authentication-Results clause.
func TestDMARC(t *testing.T) {
	keys := newAuthKeys(t, "sel")
	e := newSenderAuthEnv(t, dmarcDNS(keys), store.Params{"dmarc_verification": "on"}, nil)
	cases := []struct {
		name, from, msg string
		reply           string   // prefix
		lines           []string // after "MID n "
		clause          string   // "": not queued
		quarantined     bool
	}{
		{"aligned signature", "u@reject.test", keys.sign(t, fromMsg("u@reject.test"), "reject.test", "sel"), "250 ",
			[]string{"DMARC: Message from domain reject.test, DMARC pass (SPF aligned False, DKIM aligned True)", "DMARC: Verification passed"},
			"dmarc=pass (p=reject dis=none) header.from=reject.test", false},
		{"relaxed alignment", "u@reject.test", keys.sign(t, fromMsg("u@reject.test"), "mail.reject.test", "sel"), "250 ",
			[]string{"DMARC: Message from domain reject.test, DMARC pass (SPF aligned False, DKIM aligned True)"},
			"dmarc=pass (p=reject dis=none) header.from=reject.test", false},
		{"strict alignment", "u@strict.test", keys.sign(t, fromMsg("u@strict.test"), "mail.strict.test", "sel"),
			"550 #5.7.1 DMARC unauthenticated mail is prohibited",
			[]string{"DMARC: Message from domain strict.test, DMARC fail (SPF aligned False, DKIM aligned False)",
				"DMARC: Message from domain strict.test, policy reject, action reject", "DMARC: Verification failed"}, "", false},
		{"unaligned signature", "u@reject.test", keys.sign(t, fromMsg("u@reject.test"), "other.test", "sel"),
			"550 #5.7.1 DMARC unauthenticated mail is prohibited",
			[]string{"DMARC: Message from domain reject.test, DMARC fail (SPF aligned False, DKIM aligned False)"}, "", false},
		{"tampered", "u@reject.test", strings.Replace(keys.sign(t, fromMsg("u@reject.test"), "reject.test", "sel"), "Hello", "Pay", 1),
			"550 #5.7.1 DMARC unauthenticated mail is prohibited",
			[]string{"DMARC: Message from domain reject.test, policy reject, action reject"}, "", false},
		{"quarantine", "u@quarantine.test", fromMsg("u@quarantine.test"), "250 ",
			[]string{"DMARC: Message from domain quarantine.test, policy quarantine, action quarantine", "DMARC: Verification failed"},
			"dmarc=fail (p=quarantine dis=quarantine) header.from=quarantine.test", true},
		{"p=none", "u@none.test", fromMsg("u@none.test"), "250 ",
			[]string{"DMARC: Message from domain none.test, policy none, action none"},
			"dmarc=fail (p=none dis=none) header.from=none.test", false},
		{"pct=0", "u@sampled.test", fromMsg("u@sampled.test"), "250 ",
			[]string{"DMARC: Message from domain sampled.test, policy reject, action quarantine (pct=0: not sampled, policy quarantine applied)"},
			"dmarc=fail (p=reject dis=quarantine) header.from=sampled.test", true},
		{"sp of the organizational domain", "u@sub.org.test", fromMsg("u@sub.org.test"), "550 ",
			[]string{"DMARC: Message from domain sub.org.test, policy reject, action reject"}, "", false},
		{"no record", "u@nothing.test", fromMsg("u@nothing.test"), "250 ",
			[]string{"DMARC: Verification skipped (no DMARC record for domain nothing.test)"},
			"dmarc=none header.from=nothing.test", false},
		{"SERVFAIL", "u@down.test", fromMsg("u@down.test"), "250 ",
			[]string{"DMARC: Message from domain down.test, DMARC temperror (DNS failure: lookup _dmarc.down.test (TXT): SERVFAIL), no action taken"},
			"dmarc=temperror header.from=down.test", false},
		{"bad record", "u@bad.test", fromMsg("u@bad.test"), "250 ",
			[]string{"DMARC: Message from domain bad.test, DMARC permerror (invalid record: _dmarc.bad.test: invalid policy for parameter 'p'), no action taken"},
			"dmarc=permerror (invalid record) header.from=bad.test", false},
		{"two From fields", "u@reject.test", "From: u@reject.test\r\n" + fromMsg("u@reject.test"), "250 ",
			[]string{"DMARC: Verification skipped (2 From: headers)"}, "dmarc=permerror (2 From: headers)", false},
		{"two authors", "u@reject.test", strings.Replace(authMsg, "Alice <alice@example.test>", "u@reject.test, v@reject.test", 1), "250 ",
			[]string{"DMARC: Verification skipped (From: header has 2 addresses)"}, "dmarc=permerror (From: header has 2 addresses)", false},
	}
	for _, c := range cases {
		reply, queued := e.send(c.from, c.msg)
		if !strings.HasPrefix(reply, c.reply) {
			t.Errorf("%s: DATA %q, want %q", c.name, reply, c.reply)
			continue
		}
		mid := e.q.mid.Load()
		for _, l := range c.lines {
			e.waitLog("Info: MID " + strconv.FormatInt(mid, 10) + " " + l)
		}
		if c.clause == "" {
			if queued != "" {
				t.Errorf("%s: refused, yet queued", c.name)
			}
			continue
		}
		hdr, _, _ := strings.Cut(queued, "Received: ")
		if !strings.Contains(hdr, "Authentication-Results: mx.seg.test;\r\n\t"+c.clause+"\r\n") {
			t.Errorf("%s: header %q, want the clause %q", c.name, hdr, c.clause)
		}
		if got := strings.Contains(hdr, "X-DMARC-Quarantine: yes\r\n"); got != c.quarantined {
			t.Errorf("%s: X-DMARC-Quarantine %v, want %v", c.name, got, c.quarantined)
		}
	}
	if r := e.reports(); len(r) != 0 {
		t.Errorf("dmarc_send_reports off, yet %d records were handed over", len(r))
	}
	// DMARC verified the signatures itself: dkim_verification is off, so
	// without DKIM lines.
	if e.hasLog("DKIM:") {
		t.Errorf("DKIM lines with dkim_verification off")
	}
}

// TestDMARCProfile: the policy's dmarc_profile decides what a failure
// under p=reject does; commit validation refuses a name that names no
// profile.
func TestDMARCProfile(t *testing.T) {
	keys := newAuthKeys(t, "sel")
	lenient := store.DMARCProfile{Name: "Lenient", RejectAction: store.DMARCActionNone, QuarantineAction: store.DMARCActionNone, Code: 550, Text: "x"}
	custom := store.DMARCProfile{Name: "Custom", RejectAction: store.DMARCActionReject, QuarantineAction: store.DMARCActionQuarantine, Code: 554, Text: "Go away"}
	for _, c := range []struct{ profile, reply, action string }{
		{"Lenient", "250 ", "none"},
		{"Custom", "554 5.7.1 Go away", "reject"},
	} {
		e := newSenderAuthEnv(t, dmarcDNS(keys), store.Params{"dmarc_verification": "on", "dmarc_profile": c.profile}, func(cfg *store.Config) {
			cfg.DMARC.Profiles = []store.DMARCProfile{lenient, custom}
		})
		if reply, _ := e.send("u@reject.test", fromMsg("u@reject.test")); !strings.HasPrefix(reply, c.reply) {
			t.Errorf("profile %s: DATA %q, want %q", c.profile, reply, c.reply)
		}
		e.waitLog("Info: MID 1 DMARC: Message from domain reject.test, policy reject, action " + c.action)
	}
	cfg := testConfig()
	cfg.Listeners[0].HAT.Defaults["dmarc_profile"] = "Missing"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `dmarc_profile names DMARC profile "Missing", which does not exist`) {
		t.Errorf("validation of a missing profile: %v", err)
	}
}

// TestDMARCReportRecord: with dmarc_send_reports on, each evaluated
// message is handed to the reports with every field filled; a message
// whose domain publishes no record is not.
func TestDMARCReportRecord(t *testing.T) {
	keys := newAuthKeys(t, "sel")
	e := newSenderAuthEnv(t, dmarcDNS(keys), store.Params{"dmarc_verification": "on", "dmarc_send_reports": "on"}, nil)
	msg := keys.sign(t, keys.sign(t, fromMsg("u@reject.test"), "other.test", "sel"), "reject.test", "sel")
	if reply, _ := e.send("bounce@mail.reject.test", msg); !strings.HasPrefix(reply, "250 ") {
		t.Fatalf("DATA %q", reply)
	}
	if reply, _ := e.send("u@nothing.test", fromMsg("u@nothing.test")); !strings.HasPrefix(reply, "250 ") {
		t.Fatalf("DATA %q", reply)
	}
	if reply, _ := e.send("", fromMsg("u@quarantine.test")); !strings.HasPrefix(reply, "250 ") {
		t.Fatalf("DATA %q", reply)
	}
	got := e.reports()
	if len(got) != 2 {
		t.Fatalf("%d records, want 2 (none for the domain without a record): %+v", len(got), got)
	}
	want := dmarcreport.Record{
		Time: testNow, MID: 1, PolicyDomain: "reject.test", RUA: []string{"mailto:agg@reject.test"},
		Published: dmarcreport.Published{Domain: "reject.test", ADKIM: "r", ASPF: "r", P: "reject", SP: "", Pct: 100},
		SourceIP:  "127.0.0.2", HeaderFrom: "reject.test", EnvelopeFrom: "mail.reject.test",
		Disposition: "none", DKIMAligned: true, SPFAligned: false,
		DKIM: []dmarcreport.DKIMResult{{Domain: "reject.test", Selector: "sel", Result: "pass"}, {Domain: "other.test", Selector: "sel", Result: "pass"}},
		SPF:  dmarcreport.SPFResult{Domain: "mail.reject.test", Scope: "mfrom", Result: "none"},
	}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("record\n%+v\nwant\n%+v", got[0], want)
	}
	q := got[1]
	if q.MID != 3 || q.Disposition != "quarantine" || q.EnvelopeFrom != "" || q.SPF.Scope != "helo" || q.SPF.Domain != "client.test" || q.DKIM != nil {
		t.Errorf("null sender's record: %+v", q)
	}
}

// TestDropOwnAuthResults: Authentication-Results fields that claim seg's
// authserv-id never reach the recipients (RFC 8601 section 5); others
// stay, and a message without such a field is queued as sent.
func TestDropOwnAuthResults(t *testing.T) {
	e := newSenderAuthEnv(t, &dns.Fake{}, nil, nil)
	forged := "Authentication-Results: MX.seg.test; dkim=pass header.d=bank.test\r\n" +
		"Authentication-Results: other.test; spf=fail\r\n" +
		"Authentication-Results: (comment) mx.seg.test;\r\n\tdmarc=pass\r\n" +
		authMsg
	_, queued := e.send("alice@example.test", forged)
	_, msg, ok := strings.Cut(queued, "Authentication-Results: other.test; spf=fail\r\n")
	if !ok || strings.Contains(queued, "mx.seg.test;") || strings.Contains(queued, "MX.seg.test") || !strings.HasPrefix(msg, authMsg) {
		t.Errorf("queued:\n%s", queued)
	}
	e.waitLog("Info: MID 1 removed 2 Authentication-Results header(s) claiming this host's authserv-id mx.seg.test (RFC 8601 section 5)")

	plain := "Authentication-Results: other.test; spf=fail\r\n" + authMsg
	_, queued = e.send("alice@example.test", plain)
	if !strings.HasSuffix(queued, plain) {
		t.Errorf("a message without seg's fields changed:\n%s", queued)
	}
	if e.hasLog("MID 2 removed") {
		t.Errorf("a removal was logged for a message without seg's fields")
	}
}

func TestAuthservID(t *testing.T) {
	for v, want := range map[string]string{
		"mx.seg.test; dkim=pass":       "mx.seg.test",
		"  mx.seg.test 1; none":        "mx.seg.test",
		"(a (nested) comment) x.test;": "x.test",
		`"quoted.test"; none`:          "quoted.test",
		"x.test(comment); none":        "x.test",
		"":                             "",
		"(never closed":                "",
	} {
		if got := authservID(v); got != want {
			t.Errorf("authservID(%q) = %q, want %q", v, got, want)
		}
	}
}

// TestDKIMAndDMARCShareVerification: with both on, each signature is
// verified once, and DMARC aligns on that result.
func TestDKIMAndDMARCShareVerification(t *testing.T) {
	keys := newAuthKeys(t, "sel")
	r := dmarcDNS(keys)
	e := newSenderAuthEnv(t, r, store.Params{"dkim_verification": "on", "dmarc_verification": "on"}, nil)
	if reply, queued := e.send("u@reject.test", keys.sign(t, fromMsg("u@reject.test"), "reject.test", "sel")); !strings.HasPrefix(reply, "250 ") ||
		!strings.HasPrefix(queued, "Authentication-Results: mx.seg.test;\r\n\tdkim=pass header.d=reject.test header.s=sel header.i=@reject.test;\r\n\tdmarc=pass (p=reject dis=none) header.from=reject.test\r\n") {
		t.Fatalf("DATA %q, queued %q", reply, firstLines(queued, 4))
	}
	e.waitLog("Info: MID 1 DKIM: pass signature verified (d=reject.test s=sel i=@reject.test)")
	e.waitLog("Info: MID 1 DMARC: Verification passed")
	if n := strings.Count(strings.Join(txtQueries(r), "\n"), "TXT sel._domainkey.reject.test"); n != 1 {
		t.Errorf("the key was looked up %d times, want once: %q", n, txtQueries(r))
	}
}

// TestDMARCAlignment: the SPF identity aligns when it passed SPF and
// matches the author domain as aspf says; a signature when it verified
// and matches as adkim says. (The SPF result itself comes from
// spfForDMARC, spf.go.)
func TestDMARCAlignment(t *testing.T) {
	relaxed := &dmarcverify.Record{Domain: "example.test", Record: &dmarc.Record{SPFAlignment: dmarc.AlignmentRelaxed, DKIMAlignment: dmarc.AlignmentRelaxed}}
	strict := &dmarcverify.Record{Domain: "example.test", Record: &dmarc.Record{SPFAlignment: dmarc.AlignmentStrict, DKIMAlignment: dmarc.AlignmentStrict}}
	spf := func(domain, result string) dmarcreport.SPFResult {
		return dmarcreport.SPFResult{Domain: domain, Scope: "mfrom", Result: result}
	}
	sig := func(domain, result string) []dkimverify.Result {
		return []dkimverify.Result{{Domain: domain, Selector: "s", Result: result}}
	}
	cases := []struct {
		name      string
		rec       *dmarcverify.Record
		spf       dmarcreport.SPFResult
		dkim      []dkimverify.Result
		spfA, dkA bool
	}{
		{"SPF pass, same domain", strict, spf("example.test", "pass"), nil, true, false},
		{"SPF pass, subdomain, relaxed", relaxed, spf("bounce.example.test", "pass"), nil, true, false},
		{"SPF pass, subdomain, strict", strict, spf("bounce.example.test", "pass"), nil, false, false},
		{"SPF softfail", relaxed, spf("example.test", "softfail"), nil, false, false},
		{"SPF pass, other domain", relaxed, spf("esp.test", "pass"), nil, false, false},
		{"DKIM pass, subdomain, relaxed", relaxed, spf("", "none"), sig("mail.example.test", "pass"), false, true},
		{"DKIM pass, subdomain, strict", strict, spf("", "none"), sig("mail.example.test", "pass"), false, false},
		{"DKIM fail, same domain", strict, spf("", "none"), sig("example.test", "fail"), false, false},
		{"both", strict, spf("example.test", "pass"), append(sig("esp.test", "pass"), sig("example.test", "pass")...), true, true},
	}
	for _, c := range cases {
		spfA, dkA := dmarcAlignment(c.rec, "example.test", c.spf, c.dkim)
		if spfA != c.spfA || dkA != c.dkA {
			t.Errorf("%s: SPF aligned %v, DKIM aligned %v; want %v, %v", c.name, spfA, dkA, c.spfA, c.dkA)
		}
	}
}
