package delivery

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"seg/mta/dns"
	"seg/mta/queue"
	"seg/store"
)

// testPKI is a CA and a leaf it issued, valid around t0 (the harness
// clock), for DANE and verification tests.
type testPKI struct {
	ca, leaf *x509.Certificate
	caPEM    string
	server   *tls.Config // presents leaf then ca
}

func newPKI(t *testing.T, names ...string) *testPKI {
	t.Helper()
	mk := func(tmpl, parent *x509.Certificate, pub, signer any) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	nb, na := t0.Add(-time.Hour), t0.Add(24*time.Hour)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: nb, NotAfter: na, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	ca := mk(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: nb, NotAfter: na, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	leaf := mk(leafTmpl, ca, &leafKey.PublicKey, caKey)
	p := &testPKI{ca: ca, leaf: leaf, caPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))}
	p.server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Raw, ca.Raw}, PrivateKey: leafKey}}}
	return p
}

func sha256Of(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
func sha512Of(b []byte) []byte { s := sha512.Sum512(b); return s[:] }

// TestTLSAMatch checks selectors and matching types (RFC 6698 2.1) and
// the usages SMTP accepts (RFC 7672 3.1).
func TestTLSAMatch(t *testing.T) {
	p := newPKI(t, "mx.example.test")
	other := newPKI(t, "mx.example.test")
	chain := []*x509.Certificate{p.leaf, p.ca}
	names := []string{"mx.example.test", "example.test"}
	for _, tc := range []struct {
		name  string
		rec   dns.TLSA
		names []string
		ok    bool
	}{
		{"EE full cert exact", dns.TLSA{Usage: 3, Selector: 0, MatchingType: 0, Data: p.leaf.Raw}, names, true},
		{"EE full cert sha256", dns.TLSA{Usage: 3, Selector: 0, MatchingType: 1, Data: sha256Of(p.leaf.Raw)}, names, true},
		{"EE spki sha256", dns.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: sha256Of(p.leaf.RawSubjectPublicKeyInfo)}, names, true},
		{"EE spki sha512", dns.TLSA{Usage: 3, Selector: 1, MatchingType: 2, Data: sha512Of(p.leaf.RawSubjectPublicKeyInfo)}, names, true},
		// DANE-EE ignores names (RFC 7672 3.1.1).
		{"EE other name", dns.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: sha256Of(p.leaf.RawSubjectPublicKeyInfo)}, []string{"elsewhere.test"}, true},
		{"EE other key", dns.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: sha256Of(other.leaf.RawSubjectPublicKeyInfo)}, names, false},
		{"TA spki sha256", dns.TLSA{Usage: 2, Selector: 1, MatchingType: 1, Data: sha256Of(p.ca.RawSubjectPublicKeyInfo)}, names, true},
		{"TA cert sha512", dns.TLSA{Usage: 2, Selector: 0, MatchingType: 2, Data: sha512Of(p.ca.Raw)}, names, true},
		// DANE-TA checks the name (RFC 7672 3.2.2).
		{"TA wrong name", dns.TLSA{Usage: 2, Selector: 1, MatchingType: 1, Data: sha256Of(p.ca.RawSubjectPublicKeyInfo)}, []string{"elsewhere.test"}, false},
		// A trust anchor matching the leaf is not one.
		{"TA is the leaf", dns.TLSA{Usage: 2, Selector: 1, MatchingType: 1, Data: sha256Of(p.leaf.RawSubjectPublicKeyInfo)}, names, false},
		{"TA other CA", dns.TLSA{Usage: 2, Selector: 1, MatchingType: 1, Data: sha256Of(other.ca.RawSubjectPublicKeyInfo)}, names, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := usable([]dns.TLSA{tc.rec})
			if len(recs) != 1 {
				t.Fatalf("record judged unusable")
			}
			_, err := daneVerify(chain, recs, tc.names, t0)
			if (err == nil) != tc.ok {
				t.Errorf("daneVerify: %v, want ok=%v", err, tc.ok)
			}
		})
	}
	// PKIX usages, unknown selectors and matching types, and digests of
	// the wrong length are unusable.
	bad := []dns.TLSA{
		{Usage: 0, Selector: 1, MatchingType: 1, Data: sha256Of(p.ca.RawSubjectPublicKeyInfo)},
		{Usage: 1, Selector: 1, MatchingType: 1, Data: sha256Of(p.leaf.RawSubjectPublicKeyInfo)},
		{Usage: 3, Selector: 2, MatchingType: 1, Data: sha256Of(p.leaf.RawSubjectPublicKeyInfo)},
		{Usage: 3, Selector: 1, MatchingType: 3, Data: sha256Of(p.leaf.RawSubjectPublicKeyInfo)},
		{Usage: 3, Selector: 1, MatchingType: 1, Data: []byte{1, 2, 3}},
		{Usage: 3, Selector: 1, MatchingType: 0},
	}
	if got := usable(bad); len(got) != 0 {
		t.Errorf("usable kept %+v", got)
	}
	if _, err := daneVerify(nil, usable([]dns.TLSA{{Usage: 3, Selector: 0, MatchingType: 0, Data: p.leaf.Raw}}), names, t0); err == nil {
		t.Error("an empty chain verified")
	}
}

// daneHarness routes example.test by MX to mx.example.test, whose TLSA
// records the fake resolver serves; every dial goes to srv.
func daneHarness(t *testing.T, srv *smtpServer, params store.Params, edit func(c *store.Config)) *harness {
	t.Helper()
	h := newHarness(t, func(c *store.Config) {
		c.Destinations = append(c.Destinations, store.Destination{Domain: "example.test", Params: params})
		if edit != nil {
			edit(c)
		}
	})
	h.fake.MX = map[string][]dns.MX{"example.test": {{Host: "mx.example.test", Pref: 10}}}
	h.fake.IP = map[string][]netip.Addr{"mx.example.test": {ap("127.0.0.1")}}
	var nd net.Dialer
	h.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return nd.DialContext(ctx, network, srv.addr)
	}
	return h
}

func eeRecord(p *testPKI) dns.TLSA {
	return dns.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: sha256Of(p.leaf.RawSubjectPublicKeyInfo)}
}

const tlsaMX = "_25._tcp.mx.example.test"

func TestDANEModes(t *testing.T) {
	p := newPKI(t, "mx.example.test")
	other := newPKI(t, "mx.example.test")

	t.Run("opportunistic match", func(t *testing.T) {
		srv := newSMTPServer(t, p.server)
		h := daneHarness(t, srv, store.Params{"dane": "opportunistic"}, nil)
		h.fake.TLSA = map[string][]dns.TLSA{tlsaMX: {eeRecord(p)}}
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitFinished(mid)
		if got := srv.received(); len(got) != 1 || !got[0].tls {
			t.Fatalf("not delivered over TLS: %+v", got)
		}
		h.mustLog("Info: DCID 1 DANE success for mx.example.test: DANE TLSA 3 1 1")
		if hs := h.host("example.test"); hs.LastDANE != "success mx.example.test (DANE TLSA 3 1 1)" {
			t.Errorf("LastDANE = %q", hs.LastDANE)
		}
	})
	t.Run("mandatory mismatch stays queued", func(t *testing.T) {
		srv := newSMTPServer(t, p.server)
		h := daneHarness(t, srv, store.Params{"dane": "mandatory"}, nil)
		h.fake.TLSA = map[string][]dns.TLSA{tlsaMX: {eeRecord(other)}}
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:")) == 1 })
		h.mustLog("Info: DCID 1 TLS failed: DANE: no TLSA record matches the certificate chain",
			"Info: DCID 1 IP 127.0.0.1 TLS was required but could not be successfully negotiated")
		if len(srv.received()) != 0 {
			t.Fatal("delivered despite the mismatch")
		}
		if st := h.q.state(mid, 0); st != queue.Attempted {
			t.Errorf("state %d, want Attempted (soft)", st)
		}
		if hs := h.host("example.test"); !strings.HasPrefix(hs.LastDANE, "failed: ") {
			t.Errorf("LastDANE = %q", hs.LastDANE)
		}
	})
	t.Run("mismatch under opportunistic is not delivered in plaintext", func(t *testing.T) {
		srv := newSMTPServer(t, p.server)
		h := daneHarness(t, srv, store.Params{"dane": "opportunistic"}, nil)
		h.fake.TLSA = map[string][]dns.TLSA{tlsaMX: {eeRecord(other)}}
		h.start()
		h.send("alice@src.test", "bob@example.test")
		h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:")) == 1 })
		if n, _, _, _ := srv.stats(); n != 1 || len(srv.received()) != 0 {
			t.Fatalf("%d connections, %d delivered: authentic TLSA records forbid the plaintext fallback", n, len(srv.received()))
		}
	})
	t.Run("unsigned records are ignored", func(t *testing.T) {
		srv := newSMTPServer(t, p.server)
		h := daneHarness(t, srv, store.Params{"dane": "opportunistic"}, nil)
		h.fake.TLSA = map[string][]dns.TLSA{tlsaMX: {eeRecord(other)}}
		h.fake.Unsigned = map[string]bool{tlsaMX: true}
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitFinished(mid)
		if got := srv.received(); len(got) != 1 || got[0].tls {
			t.Fatalf("want plaintext delivery (use_tls off): %+v", got)
		}
		h.mustLog("Info: DANE: TLSA records for _25._tcp.mx.example.test are not authentic (no AD bit from a trusted resolver): ignored")
	})
	t.Run("mandatory without authentic records makes no connection", func(t *testing.T) {
		srv := newSMTPServer(t, p.server)
		h := daneHarness(t, srv, store.Params{"dane": "mandatory"}, nil)
		h.fake.TLSA = map[string][]dns.TLSA{tlsaMX: {eeRecord(p)}}
		h.fake.Unsigned = map[string]bool{tlsaMX: true}
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:")) == 1 })
		h.mustLog("Info: DANE: no authentic usable TLSA records for _25._tcp.mx.example.test: no delivery to mx.example.test (dane mandatory)")
		if n, _, _, _ := srv.stats(); n != 0 {
			t.Errorf("%d connections", n)
		}
		if st := h.q.state(mid, 0); st != queue.Attempted {
			t.Errorf("state %d, want Attempted", st)
		}
	})
	t.Run("authentic but unusable records require TLS", func(t *testing.T) {
		pkixEE := dns.TLSA{Usage: 1, Selector: 1, MatchingType: 1, Data: sha256Of(p.leaf.RawSubjectPublicKeyInfo)}
		srv := newSMTPServer(t, p.server)
		h := daneHarness(t, srv, store.Params{"dane": "opportunistic"}, nil)
		h.fake.TLSA = map[string][]dns.TLSA{tlsaMX: {pkixEE}}
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitFinished(mid)
		if got := srv.received(); len(got) != 1 || !got[0].tls {
			t.Fatalf("want TLS (use_tls off, RFC 7672 2.2): %+v", got)
		}
		plain := newSMTPServer(t, nil)
		h2 := daneHarness(t, plain, store.Params{"dane": "opportunistic"}, nil)
		h2.fake.TLSA = map[string][]dns.TLSA{tlsaMX: {pkixEE}}
		h2.start()
		h2.send("alice@src.test", "bob@example.test")
		h2.waitIdle("Delayed", func() bool { return len(h2.lines("Delayed:")) == 1 })
		if len(plain.received()) != 0 {
			t.Fatal("delivered in plaintext despite authentic TLSA records")
		}
	})
	t.Run("SERVFAIL skips the host", func(t *testing.T) {
		srv := newSMTPServer(t, p.server)
		h := daneHarness(t, srv, store.Params{"dane": "opportunistic"}, nil)
		h.fake.Errors = map[string]error{tlsaMX: dns.TempFail(tlsaMX, "TLSA")}
		h.start()
		h.send("alice@src.test", "bob@example.test")
		h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:")) == 1 })
		if n, _, _, _ := srv.stats(); n != 0 {
			t.Errorf("%d connections to a host whose TLSA lookup failed", n)
		}
	})
	t.Run("not applied to an SMTP route", func(t *testing.T) {
		srv := newSMTPServer(t, p.server)
		h := daneHarness(t, srv, store.Params{"dane": "mandatory"}, viaRoute("example.test", srv))
		h.start()
		mid := h.send("alice@src.test", "bob@example.test")
		h.waitFinished(mid)
		if q := h.fake.Queries(); len(q) != 0 && strings.Contains(strings.Join(q, ","), "TLSA") {
			t.Errorf("TLSA looked up for a routed domain: %q", q)
		}
		if hs := h.host("example.test"); hs.LastDANE != "not applied (SMTP route)" {
			t.Errorf("LastDANE = %q", hs.LastDANE)
		}
	})
}

// TestTLSVerify: require_verify checks the chain against the roots plus
// certconfig's CAs and the MX host name; on_verify delivers over the
// unverified session.
func TestTLSVerify(t *testing.T) {
	p := newPKI(t, "mx.example.test")
	wrongName := newPKI(t, "other.test")
	withCA := func(ca string) func(*store.Config) {
		return func(c *store.Config) { c.ClientCAs = append(c.ClientCAs, store.ClientCA{Name: "ca", PEM: ca}) }
	}
	for _, tc := range []struct {
		name   string
		pki    *testPKI
		mode   string
		ca     string
		ok     bool
		tlsOut bool
		line   string
	}{
		{"verified", p, "require_verify", p.caPEM, true, true, "TLS success"},
		{"untrusted CA", p, "require_verify", "", false, false, "TLS failed: certificate verification failed: x509: certificate signed by unknown authority"},
		{"wrong name", wrongName, "require_verify", wrongName.caPEM, false, false, "TLS failed: certificate verification failed: x509: certificate is valid for other.test, not mx.example.test"},
		{"on_verify unverified", p, "on_verify", "", true, true, "TLS certificate not verified: certificate verification failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newSMTPServer(t, tc.pki.server)
			var edit func(*store.Config)
			if tc.ca != "" {
				edit = withCA(tc.ca)
			}
			h := daneHarness(t, srv, store.Params{"use_tls": tc.mode}, edit)
			h.start()
			mid := h.send("alice@src.test", "bob@example.test")
			if tc.ok {
				h.waitFinished(mid)
				if got := srv.received(); len(got) != 1 || got[0].tls != tc.tlsOut {
					t.Fatalf("received %+v", got)
				}
			} else {
				h.waitIdle("Delayed", func() bool { return len(h.lines("Delayed:")) == 1 })
				if len(srv.received()) != 0 {
					t.Fatal("delivered")
				}
			}
			if len(h.lines(tc.line)) == 0 {
				t.Errorf("no line with %q:\n%s", tc.line, strings.Join(h.log.Lines(), "\n"))
			}
		})
	}
}

// TestTLSAlert: with --alert-on-tls-failure, a required TLS failure
// queues one alert to the alert recipients per destination per hour.
func TestTLSAlert(t *testing.T) {
	srv := newSMTPServer(t, nil) // no STARTTLS
	h := newHarness(t, edits(viaRoute("example.test", srv), destParams("example.test", store.Params{"use_tls": "required"}),
		func(c *store.Config) {
			c.DestSetup.AlertOnTLSFail = true
			c.System.AlertRecipients = []string{"ops@admin.test", "noc@admin.test"}
		}))
	h.start()
	h.send("alice@src.test", "bob@example.test")
	h.waitIdle("the first failure", func() bool { return len(h.lines("Delayed:", "RID 0 - 4.7.0")) == 1 })
	alerts := func() []*queue.Message {
		var out []*queue.Message
		for _, m := range h.q.bounces() {
			if strings.HasPrefix(m.Subject, "Warning <Delivery>: TLS connection to example.test failed") {
				out = append(out, m)
			}
		}
		return out
	}
	if a := alerts(); len(a) != 1 || len(a[0].Rcpts) != 2 || a[0].From != "" {
		t.Fatalf("alerts after one failure: %+v", a)
	}
	body := h.q.body(alerts()[0].MID)
	for _, want := range []string{"To: ops@admin.test, noc@admin.test", "Host:    127.0.0.1", "did not offer STARTTLS", "Auto-Submitted: auto-generated"} {
		if !strings.Contains(body, want) {
			t.Errorf("alert lacks %q:\n%s", want, body)
		}
	}
	// A second failure within the hour: no second alert, a line says so.
	h.send("alice@src.test", "carol@example.test")
	h.waitIdle("the second failure", func() bool { return len(h.lines("TLS failure alert for example.test not sent: one was sent at")) == 1 })
	if n := len(alerts()); n != 1 {
		t.Fatalf("%d alerts within the hour", n)
	}
	// An hour later the next failure alerts again.
	h.tick(time.Hour)
	h.waitIdle("the alert after an hour", func() bool { return len(alerts()) == 2 })
	if n := len(h.lines("was generated for the TLS failure alert about example.test")); n != 2 {
		t.Errorf("%d alert generation lines", n)
	}
}
