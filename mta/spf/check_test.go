package spf

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"seg/mta/dns"
)

var clientIP = netip.MustParseAddr("192.0.2.1")

// zone is the fake DNS every test reads: one domain per outcome.
func zone() *dns.Fake {
	return &dns.Fake{
		TXT: map[string][]string{
			"pass.test":     {"v=spf1 ip4:192.0.2.0/24 -all"},
			"fail.test":     {"v=spf1 ip4:198.51.100.1 -all"},
			"soft.test":     {"v=spf1 ~all"},
			"neutral.test":  {"v=spf1 ?all"},
			"nospf.test":    {"google-site-verification=abc"},
			"two.test":      {"v=spf1 -all", "v=spf1 +all"},
			"syntax.test":   {"v=spf1 ip4:192.0.2.0/99 -all"},
			"mx.test":       {"v=spf1 mx -all"},
			"a.test":        {"v=spf1 a:host.a.test -all"},
			"incl.test":     {"v=spf1 include:pass.test -all"},
			"mta.pass.test": {"v=spf1 ip4:192.0.2.1 -all"},
			// Sender ID: a pra record that passes, a v=spf1 that fails.
			"sid.test": {"v=spf1 -all", "spf2.0/pra ip4:192.0.2.1 -all"},
			// Sender ID record for both scopes, and an include in scope.
			"both.test":    {"spf2.0/mfrom,pra ~all", "v=spf1 +all"},
			"sidincl.test": {"spf2.0/pra include:sid.test -all"},
		},
		MX: map[string][]dns.MX{"mx.test": {{Host: "mx1.mx.test", Pref: 10}}},
		IP: map[string][]netip.Addr{
			"mx1.mx.test": {clientIP},
			"host.a.test": {clientIP},
		},
		Errors: map[string]error{"servfail.test": dns.TempFail("servfail.test", "TXT")},
	}
}

func TestMailFromResults(t *testing.T) {
	c := &Checker{Resolver: zone()}
	cases := []struct {
		from string
		want Result
	}{
		{"a@pass.test", Pass},
		{"a@fail.test", Fail},
		{"a@soft.test", SoftFail},
		{"a@neutral.test", Neutral},
		{"a@nospf.test", None},
		{"a@nx.test", None},
		{"a@servfail.test", TempError},
		{"a@two.test", PermError},
		{"a@syntax.test", PermError},
		{"a@mx.test", Pass},
		{"a@a.test", Pass},
		{"a@incl.test", Pass},
		{"a@localhost", None}, // not multi-label: RFC 7208 section 4.3
	}
	for _, tc := range cases {
		v := c.MailFrom(context.Background(), clientIP, "mta.pass.test", tc.from, LevelSPF)
		if v.Result != tc.want || v.Identity != tc.from || !v.RFC7208 {
			t.Errorf("%s: %+v, want %s", tc.from, v, tc.want)
		}
	}
}

// A null reverse-path is checked as postmaster@HELO (RFC 7208 section
// 2.4), as is the HELO identity.
func TestNullSenderAndHELO(t *testing.T) {
	c := &Checker{Resolver: zone()}
	v := c.MailFrom(context.Background(), clientIP, "mta.pass.test", "", LevelSIDFCompatible)
	if v.Identity != "postmaster@mta.pass.test" || v.Domain != "mta.pass.test" || v.Result != Pass || v.Version != "v=spf1" {
		t.Errorf("<>: %+v", v)
	}
	v = c.HELO(context.Background(), clientIP, "fail.test")
	if v.Identity != "postmaster@fail.test" || v.Result != Fail {
		t.Errorf("HELO fail.test: %+v", v)
	}
	f := zone()
	c.Resolver = f
	for _, helo := range []string{"[192.0.2.1]", "localhost"} {
		if v := c.HELO(context.Background(), clientIP, helo); v.Result != None {
			t.Errorf("HELO %s: %+v, want none", helo, v)
		}
	}
	if q := f.Queries(); len(q) != 0 {
		t.Errorf("HELO that is no domain name looked up %q", q)
	}
}

func TestResultTitle(t *testing.T) {
	got := []string{}
	for _, r := range []Result{Pass, Fail, SoftFail, Neutral, None, TempError, PermError} {
		got = append(got, r.Title())
	}
	if s := strings.Join(got, " "); s != "Pass Fail SoftFail Neutral None TempError PermError" {
		t.Errorf("titles: %s", s)
	}
}

// The Sender ID scopes: spf2.0 records of the scope win over v=spf1; a
// v=spf1 record stands in for the pra scope only at the strict level.
func TestSIDFScopes(t *testing.T) {
	c := &Checker{Resolver: zone()}
	ctx := context.Background()
	msg := func(from string) []byte { return []byte("From: " + from + "\r\nSubject: x\r\n\r\nbody\r\n") }
	cases := []struct {
		name    string
		v       Verdict
		want    Result
		version string
		rfc7208 bool
	}{
		{"mfrom spf only ignores spf2.0", c.MailFrom(ctx, clientIP, "h.test", "a@both.test", LevelSPF), Pass, "v=spf1", true},
		{"mfrom sidf reads spf2.0/mfrom", c.MailFrom(ctx, clientIP, "h.test", "a@both.test", LevelSIDFCompatible), SoftFail, "spf2.0/mfrom,pra", false},
		{"mfrom without spf2.0/mfrom reads v=spf1", c.MailFrom(ctx, clientIP, "h.test", "a@sid.test", LevelSIDFCompatible), Fail, "v=spf1", true},
		{"pra reads spf2.0/pra", c.PRA(ctx, clientIP, "h.test", msg("a@sid.test"), LevelSIDFCompatible, false), Pass, "spf2.0/pra", false},
		{"pra include in scope", c.PRA(ctx, clientIP, "h.test", msg("a@sidincl.test"), LevelSIDF, false), Pass, "spf2.0/pra", false},
		{"compatible pra ignores v=spf1", c.PRA(ctx, clientIP, "h.test", msg("a@fail.test"), LevelSIDFCompatible, false), None, "", false},
		{"strict pra falls back to v=spf1", c.PRA(ctx, clientIP, "h.test", msg("a@fail.test"), LevelSIDF, false), Fail, "v=spf1", false},
		{"compatible: no such domain is none", c.PRA(ctx, clientIP, "h.test", msg("a@nx.test"), LevelSIDFCompatible, false), None, "", false},
		{"strict: no such domain fails", c.PRA(ctx, clientIP, "h.test", msg("a@nx.test"), LevelSIDF, false), Fail, "", false},
		{"strict mfrom: no such domain fails", c.MailFrom(ctx, clientIP, "h.test", "a@nx.test", LevelSIDF), Fail, "", false},
		{"compatible: no PRA is none", c.PRA(ctx, clientIP, "h.test", []byte("Subject: x\r\n\r\n"), LevelSIDFCompatible, false), None, "", false},
		{"strict: no PRA fails", c.PRA(ctx, clientIP, "h.test", []byte("Subject: x\r\n\r\n"), LevelSIDF, false), Fail, "", false},
	}
	for _, tc := range cases {
		if tc.v.Result != tc.want || tc.v.Version != tc.version || tc.v.RFC7208 != tc.rfc7208 {
			t.Errorf("%s: %+v, want %s version %q rfc7208 %v", tc.name, tc.v, tc.want, tc.version, tc.rfc7208)
		}
	}
}

// spf_downgrade_pra: at the compatible level a Pass for a PRA taken from
// Resent-Sender or Resent-From becomes None; from From it stays Pass.
func TestDowngradePRA(t *testing.T) {
	c := &Checker{Resolver: zone()}
	ctx := context.Background()
	resent := []byte("Resent-From: r@sid.test\r\nFrom: a@fail.test\r\n\r\n")
	plain := []byte("From: a@sid.test\r\n\r\n")
	if v := c.PRA(ctx, clientIP, "h.test", resent, LevelSIDFCompatible, true); v.Result != None || !v.Downgraded || v.Field != "Resent-From" || v.Identity != "r@sid.test" {
		t.Errorf("resent, downgrade on: %+v", v)
	}
	if v := c.PRA(ctx, clientIP, "h.test", resent, LevelSIDFCompatible, false); v.Result != Pass || v.Downgraded {
		t.Errorf("resent, downgrade off: %+v", v)
	}
	if v := c.PRA(ctx, clientIP, "h.test", resent, LevelSIDF, true); v.Result != Pass || v.Downgraded {
		t.Errorf("resent, strict level: %+v", v)
	}
	if v := c.PRA(ctx, clientIP, "h.test", plain, LevelSIDFCompatible, true); v.Result != Pass || v.Downgraded || v.Field != "From" {
		t.Errorf("From, downgrade on: %+v", v)
	}
	failing := []byte("Resent-Sender: r@fail.test\r\n\r\n")
	if v := c.PRA(ctx, clientIP, "h.test", failing, LevelSIDF, true); v.Result != Fail || v.Downgraded {
		t.Errorf("a Fail is never downgraded: %+v", v)
	}
}

// blocking answers no lookup until the caller gives up: a DNS server that
// never replies.
type blocking struct{ dns.Fake }

func (b *blocking) LookupTXT(ctx context.Context, name string) ([]string, error) {
	<-ctx.Done()
	return nil, &dns.Error{Name: name, Type: "TXT", Code: dns.Timeout, Err: ctx.Err()}
}

func TestTimeoutIsTempError(t *testing.T) {
	c := &Checker{Resolver: &blocking{}, Timeout: 50 * time.Millisecond}
	start := time.Now()
	v := c.MailFrom(context.Background(), clientIP, "h.test", "a@pass.test", LevelSPF)
	if v.Result != TempError {
		t.Errorf("silent DNS: %+v, want temperror", v)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("silent DNS: the check took %v", d)
	}
	if v := (&Checker{}).MailFrom(context.Background(), clientIP, "h.test", "a@pass.test", LevelSPF); v.Result != TempError {
		t.Errorf("no resolver: %+v", v)
	}
}
