package smtpd

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"seg/store"
)

// dkimConfig has an RSA key signing example.com, an Ed25519 key signing
// the listed users of example.org, and dkim_signing on in $RELAYED
// (127.0.0.1) and $ACCEPTED (everyone else) alike.
func dkimConfig(t *testing.T) *store.Config {
	t.Helper()
	cfg := testConfig()
	r, err := store.GenerateDKIMKey("rsa1", store.DKIMRSA, 1024, testNow)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := store.NewDKIMKey("ed1", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)), testNow)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DomainKeys = store.DomainKeys{
		Keys: []store.DKIMKey{r, ed},
		Profiles: []store.DKIMProfile{
			{Name: "com", Domain: "example.com", Selector: "s1", Key: "rsa1"},
			{Name: "org", Domain: "example.org", Selector: "ed", Key: "ED1", Users: []string{"ceo@example.org", "@.example.org"}},
		},
	}
	for _, name := range []string{"$RELAYED", "$ACCEPTED"} {
		p := policy(cfg, name)
		if p.Params == nil {
			p.Params = store.Params{}
		}
		p.Params["dkim_signing"] = "on"
	}
	if err := cfg.Validate(); err != nil && strings.Contains(err.Error(), "domainkeys") {
		t.Fatal(err) // (the test listener's port 0 is refused too)
	}
	return cfg
}

// dkimLookup answers the verifier's TXT questions from cfg's profiles.
func dkimLookup(cfg *store.Config) func(string) ([]string, error) {
	return func(name string) ([]string, error) {
		for _, p := range cfg.DomainKeys.Profiles {
			if strings.EqualFold(name, p.Selector+"._domainkey."+p.Domain) {
				rec, err := store.DKIMRecord(cfg.DomainKeys.Key(p.Key))
				return []string{rec}, err
			}
		}
		return nil, fmt.Errorf("no TXT record at %s", name)
	}
}

func verifyDKIM(t *testing.T, cfg *store.Config, msg []byte) []*dkim.Verification {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: dkimLookup(cfg)})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return vs
}

func TestDKIMSignRelayed(t *testing.T) {
	cfg := dkimConfig(t)
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.1") // RELAYLIST: $RELAYED
	c.greet("client.test")
	msgs := map[string]string{
		"a@example.com":         "s1 example.com",
		"ceo@example.org":       "ed example.org",
		"x@eu.example.org":      "ed example.org", // a subdomain, through the user list
		"bob@example.org":       "",               // the org profile lists users: not bob
		"\"Q\" <b@Example.COM>": "s1 example.com",
	}
	order := []string{"a@example.com", "ceo@example.org", "x@eu.example.org", "bob@example.org", "\"Q\" <b@Example.COM>"}
	for _, from := range order {
		body := "From: " + from + "\r\nTo: r@remote.test\r\nSubject: hi\r\n\r\nbody line\r\n"
		if r := c.sendMessage("sender@example.com", []string{"r@remote.test"}, body); !strings.HasPrefix(r, "250 ") {
			t.Fatalf("DATA: %q", r)
		}
	}
	got := e.q.messages()
	if len(got) != len(order) {
		t.Fatalf("%d messages queued", len(got))
	}
	for i, from := range order {
		m := got[i]
		want := msgs[from]
		if want == "" {
			if bytes.Contains(m.body, []byte("DKIM-Signature")) {
				t.Errorf("%s: signed, want no profile", from)
			}
			e.waitLog(fmt.Sprintf("Info: MID %d DKIM: cannot sign - no profile matches bob@example.org", m.m.MID))
			continue
		}
		if !bytes.HasPrefix(m.body, []byte("DKIM-Signature: ")) {
			t.Fatalf("%s: not signed first:\n%s", from, m.body)
		}
		sel, dom, _ := strings.Cut(want, " ")
		e.waitLog(fmt.Sprintf("Info: MID %d DKIM: signed d=%s s=%s", m.m.MID, dom, sel))
		vs := verifyDKIM(t, cfg, m.body)
		if len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != dom {
			t.Fatalf("%s: verification %+v", from, vs[0])
		}
		if m.m.Size != int64(len(m.body)) {
			t.Errorf("%s: size %d, body %d", from, m.m.Size, len(m.body))
		}
		// The signature covers the body and the From: field: a changed
		// copy fails.
		tampered := bytes.Replace(m.body, []byte("body line"), []byte("body lime"), 1)
		if vs := verifyDKIM(t, cfg, tampered); vs[0].Err == nil {
			t.Errorf("%s: a tampered body verified", from)
		}
	}
	// The default header list oversigns nothing but lists the RFC 6376
	// section 5.4.1 fields, and never seg's own Received field.
	sig, _ := firstHeader(got[0].body, "DKIM-Signature")
	if !strings.Contains(sig, "h=From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:") || strings.Contains(strings.ToLower(sig), "received") {
		t.Errorf("h= of %q", sig)
	}
	if !strings.Contains(sig, "c=relaxed/relaxed") || !strings.Contains(sig, "a=rsa-sha256") {
		t.Errorf("signature %q", sig)
	}
	sig, _ = firstHeader(got[1].body, "DKIM-Signature")
	if !strings.Contains(sig, "a=ed25519-sha256") {
		t.Errorf("Ed25519 signature %q", sig)
	}
}

// Mail that is not relayed is not signed, whatever the policy says; a
// RELAY policy with dkim_signing off signs nothing; neither logs a DKIM
// line.
func TestDKIMSignOnlyRelayed(t *testing.T) {
	cfg := dkimConfig(t)
	policy(cfg, "$RELAYED").Params["dkim_signing"] = "off"
	e := newEnv(t, cfg)
	for _, src := range []string{"127.0.0.2", "127.0.0.1"} {
		c := dialFrom(t, e.addr("IncomingMail"), src)
		c.greet("client.test")
		if r := c.sendMessage("s@remote.test", []string{"u@example.com"}, "From: a@example.com\r\n\r\nx\r\n"); !strings.HasPrefix(r, "250 ") {
			t.Fatalf("DATA: %q", r)
		}
	}
	for _, m := range e.q.messages() {
		if bytes.Contains(m.body, []byte("DKIM-Signature")) {
			t.Errorf("MID %d signed:\n%s", m.m.MID, m.body)
		}
	}
	if e.hasLog("DKIM") {
		t.Errorf("a DKIM line: %q", e.log.Lines())
	}
}

// No From: field, and a key that does not parse (a store written by
// hand: validation refuses it), are logged; the message goes unsigned.
func TestDKIMSignProblems(t *testing.T) {
	cfg := dkimConfig(t)
	cfg.DomainKeys.Keys[0].PrivateKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.greet("client.test")
	for _, body := range []string{"Subject: no from\r\n\r\nx\r\n", "From: a@example.com\r\n\r\nx\r\n"} {
		if r := c.sendMessage("s@example.com", []string{"u@remote.test"}, body); !strings.HasPrefix(r, "250 ") {
			t.Fatalf("DATA: %q", r)
		}
	}
	e.waitLog("Info: MID 1 DKIM: cannot sign - no valid From: header")
	e.waitLog("Warning: MID 2 DKIM: cannot sign - profile com: the private key cannot be read")
	for _, m := range e.q.messages() {
		if bytes.Contains(m.body, []byte("DKIM-Signature")) {
			t.Errorf("MID %d signed", m.m.MID)
		}
	}
}

// A key is parsed once per snapshot, and a snapshot that keeps a key's
// material keeps its parsed form.
func TestDKIMKeyCache(t *testing.T) {
	cfg := dkimConfig(t)
	k1, cache := compileDKIMKeys(&cfg.DomainKeys, nil)
	if len(cache) != 2 || k1["rsa1"].signer == nil || k1["ed1"].signer == nil {
		t.Fatalf("keys %v cache %d", k1, len(cache))
	}
	next := cfg.Clone()
	r, _ := store.GenerateDKIMKey("rsa1", store.DKIMRSA, 1024, testNow.Add(time.Hour))
	next.DomainKeys.Keys[0] = r
	k2, cache2 := compileDKIMKeys(&next.DomainKeys, cache)
	// The same parsed key: the same pointer (RSA) or backing array (Ed25519).
	same := func(a, b dkimKey) bool {
		return reflect.ValueOf(a.signer).UnsafePointer() == reflect.ValueOf(b.signer).UnsafePointer()
	}
	if !same(k2["ed1"], k1["ed1"]) {
		t.Error("an unchanged key was parsed again")
	}
	if same(k2["rsa1"], k1["rsa1"]) {
		t.Error("a replaced key kept its old parsed form")
	}
	if len(cache2) != 2 {
		t.Errorf("the cache keeps %d keys, want the snapshot's 2", len(cache2))
	}
}

// A client that relays after SMTP AUTH (smtpauth_relay on) under an
// ACCEPT policy with dkim_signing on is signed; before AUTH, it is not.
func TestDKIMSignAfterAuthRelay(t *testing.T) {
	cfg := dkimConfig(t)
	cfg.Users = append(cfg.Users, store.User{Name: "bob", Role: store.RoleGuest, PasswordHash: "x", SMTPAuth: true})
	for k, v := range (store.Params{"smtpauth_allow": "on", "smtpauth_relay": "on", "smtpauth_requiretls": "off"}) {
		policy(cfg, "$ACCEPTED").Params[k] = v
	}
	e := newEnvWith(t, cfg, func(d *Deps) {
		d.Authenticate = func(user, password string) error {
			if user != "bob" || password != "bobpass1" {
				return fmt.Errorf("wrong")
			}
			return nil
		}
	})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2") // ALL: $ACCEPTED
	c.greet("client.test")
	body := "From: a@example.com\r\nSubject: s\r\n\r\nb\r\n"
	if r := c.sendMessage("a@example.com", []string{"u@example.com"}, body); !strings.HasPrefix(r, "250 ") {
		t.Fatalf("DATA before AUTH: %q", r)
	}
	c.expect("AUTH PLAIN "+b64("\x00bob\x00bobpass1"), "235 ")
	if r := c.sendMessage("a@example.com", []string{"x@far.test"}, body); !strings.HasPrefix(r, "250 ") {
		t.Fatalf("DATA after AUTH: %q", r)
	}
	got := e.q.messages()
	if len(got) != 2 || bytes.Contains(got[0].body, []byte("DKIM-Signature")) || !bytes.HasPrefix(got[1].body, []byte("DKIM-Signature: ")) {
		t.Fatalf("want the second message only signed: %d messages", len(got))
	}
	if vs := verifyDKIM(t, cfg, got[1].body); vs[0].Err != nil {
		t.Errorf("verify: %v", vs[0].Err)
	}
	e.waitLog(fmt.Sprintf("Info: MID %d DKIM: signed d=example.com s=s1", got[1].m.MID))
}

// BenchmarkDKIMSign is the cost signing adds to one 4 KiB message, per
// key type (the key parsed once, as per snapshot).
func BenchmarkDKIMSign(b *testing.B) {
	r, _ := store.GenerateDKIMKey("r", store.DKIMRSA, 2048, testNow)
	ed, _ := store.GenerateDKIMKey("e", store.DKIMEd25519, 0, testNow)
	d := store.DomainKeys{Keys: []store.DKIMKey{r, ed}}
	keys, _ := compileDKIMKeys(&d, nil)
	hdr := []byte("Received: from client.test ([127.0.0.1])\r\n\tby mx.seg.test with ESMTP id 1\r\n")
	data := []byte("From: a@example.com\r\nTo: b@example.org\r\nSubject: bench\r\n\r\n" + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", 64))
	for _, k := range []string{"r", "e"} {
		p := &store.DKIMProfile{Name: "p", Domain: "example.com", Selector: "s", Key: k}
		b.Run(k, func(b *testing.B) {
			for b.Loop() {
				if _, err := signDKIM(p, keys[k], hdr, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
