package smtpd

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"seg/mta/dns"
	"seg/store"
)

// traceEnv is a running Server whose DNS knows client.test (with an MX)
// and nothing else, its default policy verifying envelope senders, and
// a sender group that blocks mail.client.test by name.
func traceEnv(t *testing.T) (*env, *store.Config) {
	cfg := testConfig()
	l := &cfg.Listeners[0]
	l.HAT.Defaults["sender_verification"] = "on"
	l.HAT.SenderGroups = append([]store.SenderGroup{{Name: "NAMED", Members: []string{"mail.client.test"}, Policy: "$BLOCKED"}}, l.HAT.SenderGroups...)
	fake := &dns.Fake{MX: map[string][]dns.MX{"client.test": {{Host: "mx.client.test", Pref: 10}}}}
	e := newEnvWith(t, cfg, func(d *Deps) { d.Resolver = func(*store.Config) dns.Resolver { return fake } })
	return e, cfg
}

func replies(res *TraceResult) []string {
	var out []string
	for _, s := range res.Steps {
		code, _, _ := strings.Cut(s.Reply, " ")
		out = append(out, s.Command+" "+code[:min(3, len(code))])
	}
	return out
}

// TestTraceQueuesNothing: a traced session gets the replies of a real
// one (RAT, sender verification, the split) and leaves the Server's
// queue, MIDs, counters and mail_logs untouched.
func TestTraceQueuesNothing(t *testing.T) {
	e, cfg := traceEnv(t)
	ctx := context.Background()
	in := TraceInput{Config: cfg, IP: netip.MustParseAddr("192.0.2.9"), HELO: "client.test", From: "a@client.test",
		Rcpts: []string{"u@example.com", "v@example.org"}, Message: []byte("Subject: s\n\nbody\n.dot\n")}
	res, err := e.srv.Trace(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{" 220", "EHLO client.test 250", "MAIL FROM:<a@client.test> 250", "RCPT TO:<u@example.com> 250",
		"RCPT TO:<v@example.org> 550", "DATA 354", ". 250", "QUIT 221"}
	if got := replies(res); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("steps %q, want %q", got, want)
	}
	if res.Decision.Group != "ALL" || res.Decision.Behavior != store.BehaviorAccept || res.Rcpts[1].RAT == nil || res.Rcpts[1].RAT.Entry != "ALL" {
		t.Errorf("decision %+v, recipients %+v", res.Decision, res.Rcpts)
	}
	if len(res.Queued) != 1 || res.Queued[0].Policy != store.DefaultPolicyName || len(res.Queued[0].Rcpts) != 1 {
		t.Errorf("queued %+v, want one DEFAULT part for u@example.com", res.Queued)
	}
	if !strings.Contains(strings.Join(res.Log, "\n"), "MID 1 Subject 's'") {
		t.Errorf("trace log:\n%s", strings.Join(res.Log, "\n"))
	}
	if n := len(e.q.messages()); n != 0 || e.q.mid.Load() != 0 || e.q.icid.Load() != 0 {
		t.Errorf("the Server's queue got %d messages, MID %d, ICID %d", n, e.q.mid.Load(), e.q.icid.Load())
	}
	if l := e.log.Lines(); len(l) != 0 {
		t.Errorf("the Server's mail_logs got %q", l)
	}

	// An unknown sender domain: MAIL is refused as the policy says.
	in.From = "a@nosuch.test"
	res, err = e.srv.Trace(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := replies(res); len(got) != 4 || !strings.HasPrefix(got[2], "MAIL FROM:<a@nosuch.test> 5") || len(res.Queued) != 0 {
		t.Errorf("unknown sender domain: steps %q, queued %d", got, len(res.Queued))
	}
	if !strings.Contains(strings.Join(res.Log, "\n"), "Sender Verification: <a@nosuch.test> domain does not exist") {
		t.Errorf("no sender verification line in:\n%s", strings.Join(res.Log, "\n"))
	}

	// A host name given for the client is its verified reverse DNS: the
	// named sender group matches, and the session ends at the banner.
	in.From, in.FQDN = "a@client.test", "Mail.Client.Test."
	res, err = e.srv.Trace(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Decision.Group != "NAMED" || res.Decision.Member != "mail.client.test" || !res.Verified || res.RDNS != "mail.client.test" {
		t.Errorf("with FQDN: decision %+v, rdns %q verified %v", res.Decision, res.RDNS, res.Verified)
	}
	if got := replies(res); len(got) != 2 || got[0] != " 554" {
		t.Errorf("with FQDN: steps %q, want the 554 banner and QUIT", got)
	}

	// TCPREFUSE: no banner, and nothing sent after.
	l := &cfg.Listeners[0]
	l.HAT.Policies = append(l.HAT.Policies, store.FlowPolicy{Name: "$REFUSE", Behavior: store.BehaviorTCPRefuse})
	l.HAT.SenderGroups[0].Policy = "$REFUSE"
	res, err = e.srv.Trace(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) != 1 || res.Steps[0].Reply != "(connection closed)" || res.Decision.Behavior != store.BehaviorTCPRefuse {
		t.Errorf("TCPREFUSE: steps %q, decision %+v", replies(res), res.Decision)
	}

	if _, err := e.srv.Trace(ctx, TraceInput{Config: cfg, Listener: "Nope", IP: in.IP}); err == nil || err.Error() != "No listener named Nope." {
		t.Errorf("unknown listener: %v", err)
	}
}

// TestTraceData: the message goes in dot-stuffed with CRLF line ends.
func TestTraceData(t *testing.T) {
	if got, want := string(traceData([]byte(".a\nb\r\n..c\n"))), "..a\r\nb\r\n...c\r\n"; got != want {
		t.Errorf("traceData = %q, want %q", got, want)
	}
}

// TestTraceSBRS: a score given for the client decides sbrs[] members as
// a looked-up one would, and is the score the HAT line shows; without
// it (no SBRS zones) the client has none.
func TestTraceSBRS(t *testing.T) {
	cfg := testConfig()
	l := &cfg.Listeners[0]
	l.HAT.SenderGroups = append([]store.SenderGroup{{Name: "LOWREP", Members: []string{"sbrs[-10.0:-5.0]"}, Policy: "$THROTTLED"}}, l.HAT.SenderGroups...)
	e := newEnv(t, cfg)
	in := TraceInput{Config: cfg, IP: netip.MustParseAddr("192.0.2.9"), HELO: "client.test", From: "a@client.test",
		Rcpts: []string{"u@example.com"}, Message: []byte("Subject: s\n\nbody\n")}
	low := -7.0
	in.SBRS = &low
	res, err := e.srv.Trace(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Decision.Group != "LOWREP" || res.Decision.SBRS != "-7.0" || !strings.Contains(strings.Join(res.Log, "\n"), "ACCEPT SG LOWREP match sbrs[-10.0:-5.0] SBRS -7.0") {
		t.Errorf("SBRS -7: decision %+v, log:\n%s", res.Decision, strings.Join(res.Log, "\n"))
	}
	in.SBRS = nil
	if res, err = e.srv.Trace(context.Background(), in); err != nil || res.Decision.Group != "ALL" {
		t.Errorf("no SBRS: decision %+v, err %v", res.Decision, err)
	}
}
