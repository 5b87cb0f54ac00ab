package smtpd

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"seg/mta/dmarcreport"
	"seg/mta/dns"
	"seg/store"
)

// authKeys are the signing keys of the sender authentication tests, by
// selector: the fake DNS publishes each under SELECTOR._domainkey of the
// domains that use it.
type authKeys map[string]ed25519.PrivateKey

func newAuthKeys(t *testing.T, selectors ...string) authKeys {
	t.Helper()
	k := authKeys{}
	for _, s := range selectors {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k[s] = priv
	}
	return k
}

// record is the DKIM key record of selector s.
func (k authKeys) record(s string) string {
	return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k[s].Public().(ed25519.PublicKey))
}

// sign prepends a signature by d= and s= (relaxed/relaxed).
func (k authKeys) sign(t *testing.T, msg, d, s string) string {
	t.Helper()
	var b bytes.Buffer
	err := dkim.Sign(&b, strings.NewReader(msg), &dkim.SignOptions{
		Domain: d, Selector: s, Signer: k[s],
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// senderAuthEnv is a server whose listener defaults are params, resolving
// through r, collecting DMARC report records.
type senderAuthEnv struct {
	*env
	mu      sync.Mutex
	records []dmarcreport.Record
}

func newSenderAuthEnv(t *testing.T, r dns.Resolver, params store.Params, edit func(*store.Config)) *senderAuthEnv {
	t.Helper()
	cfg := testConfig()
	for k, v := range params {
		cfg.Listeners[0].HAT.Defaults[k] = v
	}
	if edit != nil {
		edit(cfg)
	}
	a := &senderAuthEnv{}
	a.env = newEnvWith(t, cfg, func(d *Deps) {
		d.Resolver = func(*store.Config) dns.Resolver { return r }
		d.DMARCRecord = func(rec dmarcreport.Record) {
			a.mu.Lock()
			a.records = append(a.records, rec)
			a.mu.Unlock()
		}
	})
	return a
}

func (a *senderAuthEnv) reports() []dmarcreport.Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]dmarcreport.Record(nil), a.records...)
}

// send sends msg from 127.0.0.2 in a connection of its own and returns
// the DATA reply and, when queued, the message as queued.
func (a *senderAuthEnv) send(from, msg string) (reply, queued string) {
	a.t.Helper()
	n := len(a.q.messages())
	c := dialFrom(a.t, a.addr("IncomingMail"), "127.0.0.2")
	c.greet("client.test")
	reply = c.sendMessage(from, []string{"bob@example.com"}, msg)
	c.expect("QUIT", "221 ")
	if ms := a.q.messages(); len(ms) > n {
		queued = string(ms[len(ms)-1].body)
	}
	return reply, queued
}

const authMsg = "From: Alice <alice@example.test>\r\n" +
	"To: bob@example.com\r\n" +
	"Subject: hello\r\n" +
	"\r\n" +
	"Hello Bob.\r\n"

// TestDKIMVerification: each outcome gets its mail_logs line and its
// Authentication-Results clause; the message is queued whatever the
// outcome, and with dkim_verification off nothing is looked up or added.
func TestDKIMVerification(t *testing.T) {
	keys := newAuthKeys(t, "sel", "other")
	r := &dns.Fake{
		TXT:    map[string][]string{"sel._domainkey.example.test": {keys.record("sel")}},
		Errors: map[string]error{"down._domainkey.example.test": dns.TempFail("down._domainkey.example.test", "TXT")},
	}
	e := newSenderAuthEnv(t, r, store.Params{"dkim_verification": "on"}, nil)
	signed := keys.sign(t, authMsg, "example.test", "sel")
	downKeys := authKeys{"down": keys["sel"], "gone": keys["sel"]}
	cases := []struct {
		name, msg, line, clause string
	}{
		{"pass", signed,
			"DKIM: pass signature verified (d=example.test s=sel i=@example.test)",
			"dkim=pass header.d=example.test header.s=sel header.i=@example.test"},
		{"body changed", strings.Replace(signed, "Hello Bob.", "Hello Eve.", 1),
			"DKIM: permfail body hash did not verify [final] (d=example.test s=sel i=@example.test)",
			"dkim=fail (body hash did not verify) header.d=example.test header.s=sel header.i=@example.test"},
		{"no key", downKeys.sign(t, authMsg, "example.test", "gone"),
			"DKIM: permfail no key for signature [final] (d=example.test s=gone i=@example.test)",
			"dkim=permerror (no key for signature) header.d=example.test header.s=gone header.i=@example.test"},
		{"wrong key", authKeys{"sel": keys["other"]}.sign(t, authMsg, "example.test", "sel"),
			"DKIM: permfail signature did not verify [final] (d=example.test s=sel i=@example.test)",
			"dkim=fail (signature did not verify) header.d=example.test header.s=sel header.i=@example.test"},
		{"signed header changed", strings.Replace(signed, "Subject: hello", "Subject: invoice", 1),
			"DKIM: permfail signature did not verify [final] (d=example.test s=sel i=@example.test)",
			"dkim=fail (signature did not verify) header.d=example.test header.s=sel header.i=@example.test"},
		{"SERVFAIL", downKeys.sign(t, authMsg, "example.test", "down"),
			"DKIM: temperror key unavailable (d=example.test s=down i=@example.test)",
			"dkim=temperror (key unavailable) header.d=example.test header.s=down header.i=@example.test"},
		{"no signature", authMsg, "DKIM: no signature", "dkim=none"},
	}
	for _, c := range cases {
		reply, queued := e.send("alice@example.test", c.msg)
		if !strings.HasPrefix(reply, "250 ") {
			t.Errorf("%s: DATA %q", c.name, reply)
			continue
		}
		mid := strings.TrimPrefix(reply, "250 2.0.0 Ok: queued as ")
		e.waitLog("Info: MID " + mid + " " + c.line)
		want := "Authentication-Results: mx.seg.test;\r\n\t" + c.clause + "\r\nReceived: "
		if !strings.HasPrefix(queued, want) {
			t.Errorf("%s: queued message starts\n%q\nwant\n%q", c.name, firstLines(queued, 3), want)
		}
	}

	// Off: no lookups, no lines, no header.
	off := &dns.Fake{}
	e = newSenderAuthEnv(t, off, store.Params{"dkim_verification": "off"}, nil)
	if _, queued := e.send("alice@example.test", signed); !strings.HasPrefix(queued, "Received: ") {
		t.Errorf("verification off: queued message starts %q", firstLines(queued, 2))
	}
	if q := txtQueries(off); len(q) != 0 || e.hasLog("DKIM:") {
		t.Errorf("verification off: lookups %q, DKIM lines %v", q, e.hasLog("DKIM:"))
	}
}

// TestDKIMSignatureCap: a message with more signatures than the cap has
// the first ones verified and a line saying how many were not.
func TestDKIMSignatureCap(t *testing.T) {
	keys := newAuthKeys(t, "sel")
	r := &dns.Fake{TXT: map[string][]string{"sel._domainkey.example.test": {keys.record("sel")}}}
	e := newSenderAuthEnv(t, r, store.Params{"dkim_verification": "on"}, nil)
	msg := authMsg
	for i := 0; i < 7; i++ {
		msg = keys.sign(t, msg, "example.test", "sel")
	}
	reply, queued := e.send("alice@example.test", msg)
	if !strings.HasPrefix(reply, "250 ") {
		t.Fatalf("DATA %q", reply)
	}
	e.waitLog("Info: MID 1 DKIM: 2 more signatures not verified (at most 5 are)")
	if n := strings.Count(queued[:strings.Index(queued, "Received: ")], "dkim=pass"); n != 5 {
		t.Errorf("%d dkim clauses, want 5", n)
	}
	if n := len(txtQueries(r)); n != 5 {
		t.Errorf("%d key lookups, want 5", n)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitAfterN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "")
}

// txtQueries are the TXT lookups f answered (the connection's PTR lookup
// left out).
func txtQueries(f *dns.Fake) []string {
	var out []string
	for _, q := range f.Queries() {
		if strings.HasPrefix(q, "TXT ") {
			out = append(out, q)
		}
	}
	return out
}
