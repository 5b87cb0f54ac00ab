package mailtest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestDANE drives DANE (RFC 7672, SPEC 11) end to end against sinks
// reached by MX records from a DNS server the test runs, which sets the
// AD bit on answers for its "signed" zones: records ignored while the
// resolvers are not marked trusted, then a TLSA match under mandatory
// (delivered over TLS), a mismatch under mandatory (stays queued,
// logged), records without the AD bit (ignored: delivered as use_tls
// says), and an SMTP-routed domain with dane mandatory (not applied).
func TestDANE(t *testing.T) {
	ca := newTestCA(t, "DANE CA")
	daneCert := ca.server(t, "mx.dane.test")
	otherCert := ca.server(t, "mx.mismatch.test")
	digest := func(c []byte) string {
		sum := sha256.Sum256(c)
		return hex.EncodeToString(sum[:])
	}
	good := digest(daneCert.Leaf.RawSubjectPublicKeyInfo)
	dane := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.123:25", Cert: daneCert})
	mismatch := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.124:25", Cert: otherCert})
	unsigned := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.125:25"})
	routed := segtest.NewSink(t, segtest.SinkOptions{})
	dnsAddr := segtest.NewDNSSEC(t, []string{"dane.test", "mismatch.test"},
		"dane.test. 300 IN MX 10 mx.dane.test.",
		"mx.dane.test. 300 IN A 127.0.0.123",
		"_25._tcp.mx.dane.test. 300 IN TLSA 3 1 1 "+good,
		"mismatch.test. 300 IN MX 10 mx.mismatch.test.",
		"mx.mismatch.test. 300 IN A 127.0.0.124",
		"_25._tcp.mx.mismatch.test. 300 IN TLSA 3 1 1 "+good, // not the key mx.mismatch.test presents
		"unsigned.test. 300 IN MX 10 mx.unsigned.test.",
		"mx.unsigned.test. 300 IN A 127.0.0.125",
		"_25._tcp.mx.unsigned.test. 300 IN TLSA 3 1 1 "+good,
		// A record the route never asks for: smtproutes decides.
		"routed.test. 300 IN MX 10 mx.dane.test.",
	)
	a := segtest.New(t,
		"dnsconfig setup --servers "+dnsAddr,
		"smtproutes new routed.test "+routed.Addr(),
		"destconfig new dane.test --dane=mandatory",
		"destconfig new mismatch.test --dane=mandatory",
		"destconfig new unsigned.test --dane=opportunistic",
		"destconfig new routed.test --dane=mandatory",
	)
	a.Start()

	// Resolvers not marked trusted: no answer is authentic, and mandatory
	// DANE delivers nothing.
	sendTo(t, a, "rcpt@dane.test", "untrusted")
	a.WaitLog(t, "DANE: TLSA records for _25._tcp.mx.dane.test are not authentic (no AD bit from a trusted resolver): ignored", 20*time.Second)
	a.WaitLog(t, "DANE: no authentic usable TLSA records for _25._tcp.mx.dane.test: no delivery to mx.dane.test (dane mandatory)", 10*time.Second)
	a.WaitLog(t, " RID 0 - 4.7.5", 10*time.Second)
	if dane.Conns() != 0 {
		t.Fatalf("%d connections to mx.dane.test without authentic TLSA records", dane.Conns())
	}

	// Trusted: the TLSA record matches, the queued message goes over TLS.
	a.MustCli("dnsconfig setup --dnssec-trusted yes ; commit trust")
	a.MustCli("delivernow dane.test")
	if got := dane.WaitCount(t, 1, 20*time.Second); !got[0].TLS {
		t.Error("delivered to mx.dane.test without TLS")
	}
	a.WaitLog(t, "DANE success for mx.dane.test: DANE TLSA 3 1 1", 10*time.Second)
	if hs := a.MustCli("hoststatus dane.test"); !strings.Contains(hs, "Last DANE Status:      success mx.dane.test (DANE TLSA 3 1 1)") {
		t.Errorf("hoststatus dane.test:\n%s", hs)
	}

	// An authentic record that does not match: stays queued, logged.
	sendTo(t, a, "rcpt@mismatch.test", "mismatch")
	a.WaitLog(t, "TLS failed: DANE: no TLSA record matches the certificate chain", 20*time.Second)
	a.WaitLog(t, "IP 127.0.0.124 TLS was required but could not be successfully negotiated", 10*time.Second)
	hs := a.MustCli("hoststatus mismatch.test")
	if n := hostCounter(t, hs, "Active Recipients"); n != 1 || !strings.Contains(hs, "Last DANE Status:      failed: DANE: no TLSA record matches") {
		t.Errorf("mismatch.test: %d active recipients, want 1 (queued); hoststatus:\n%s", n, hs)
	}
	if mismatch.Count() != 0 {
		t.Error("delivered despite the TLSA mismatch")
	}

	// Records without the AD bit: ignored, use_tls (off) applies.
	sendTo(t, a, "rcpt@unsigned.test", "unsigned")
	if got := unsigned.WaitCount(t, 1, 20*time.Second); got[0].TLS {
		t.Error("unsigned.test delivered over TLS; want plaintext (use_tls off)")
	}
	a.WaitLog(t, "DANE: TLSA records for _25._tcp.mx.unsigned.test are not authentic (no AD bit from a trusted resolver): ignored", 10*time.Second)

	// An SMTP route: DANE is not applied, though the route's sink offers
	// no TLS at all.
	sendTo(t, a, "rcpt@routed.test", "routed")
	routed.WaitCount(t, 1, 20*time.Second)
	if hs := a.MustCli("hoststatus routed.test"); !strings.Contains(hs, "Last DANE Status:      not applied (SMTP route)") {
		t.Errorf("hoststatus routed.test:\n%s", hs)
	}
	if n := dane.Count(); n != 1 {
		t.Errorf("mx.dane.test got %d messages, want 1 (routed.test's MX is never used)", n)
	}
	a.Stop()
}
