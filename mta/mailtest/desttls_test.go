package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// server issues a server certificate for names, the CA's certificate
// after it in the chain.
func (ca *testCA) server(t *testing.T, names ...string) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return &tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key, Leaf: leaf}
}

// sendTo relays one message from 127.0.0.1 to rcpt.
func sendTo(t *testing.T, a *segtest.Appliance, rcpt, subject string) {
	t.Helper()
	if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "sender@client.test", []string{rcpt},
		plainMessage(rcpt, subject, subject+"@client.test")); err != nil {
		t.Fatalf("sending to %s: %v", rcpt, err)
	}
}

// TestDeliveryTLS drives use_tls end to end (SPEC 11) against sinks
// reached by MX records from a DNS server the test runs: require_verify
// against a CA that seg does not know (stays queued), then known through
// certconfig import-ca (delivered over TLS with the destconfig setup
// client certificate), a certificate for another name, required TLS
// that the server does not offer, and the TLS failure alert: one per
// domain within the hour.
func TestDeliveryTLS(t *testing.T) {
	ca := newTestCA(t, "Delivery CA")
	good := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.120:25", Cert: ca.server(t, "mx.tls.test"), AskClientCert: true})
	wrong := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.121:25", Cert: ca.server(t, "other.test")})
	plain := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.122:25"})
	alerts := segtest.NewSink(t, segtest.SinkOptions{})
	dnsAddr := segtest.NewDNS(t,
		"tls.test. 300 IN MX 10 mx.tls.test.",
		"mx.tls.test. 300 IN A 127.0.0.120",
		"wrongname.test. 300 IN MX 10 mx.wrongname.test.",
		"mx.wrongname.test. 300 IN A 127.0.0.121",
		"plain.test. 300 IN MX 10 mx.plain.test.",
		"mx.plain.test. 300 IN A 127.0.0.122",
	)
	a := segtest.New(t,
		"dnsconfig setup --servers "+dnsAddr,
		"smtproutes new alerts.test "+alerts.Addr(),
		"destconfig new tls.test --use_tls=require_verify",
		"destconfig new wrongname.test --use_tls=require_verify",
		"destconfig new plain.test --use_tls=required",
		"certconfig generate Out --cn seg-out.test",
		"destconfig setup --certificate Out --alert-on-tls-failure yes",
		"alertconfig new ops@alerts.test",
	)
	a.Start()

	// An unknown CA: verification fails, the mail stays queued, one
	// alert goes out.
	sendTo(t, a, "rcpt@tls.test", "unknown-ca")
	a.WaitLog(t, "TLS failed: certificate verification failed: x509: certificate signed by unknown authority", 20*time.Second)
	a.WaitLog(t, "IP 127.0.0.120 TLS was required but could not be successfully negotiated", 10*time.Second)
	a.WaitLog(t, " RID 0 - 4.7.0", 10*time.Second)
	a.WaitLog(t, "was generated for the TLS failure alert about tls.test", 10*time.Second)
	if good.Count() != 0 {
		t.Fatal("delivered to a server whose certificate does not verify")
	}
	// A second failure within the hour sends no second alert.
	a.MustCli("delivernow tls.test")
	a.WaitLog(t, "TLS failure alert for tls.test not sent: one was sent at", 20*time.Second)
	if n := a.CountLog("TLS failed: certificate verification failed: x509: certificate signed by unknown authority"); n < 2 {
		t.Errorf("%d failed handshakes, want 2", n)
	}

	// The CA imported with certconfig: the queued message goes, over TLS,
	// with the client certificate of destconfig setup.
	conf := filepath.Join(a.Dir, "configuration")
	if err := os.MkdirAll(conf, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(conf, "ca.pem"), ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	a.MustCli("certconfig import-ca DeliveryCA ca.pem ; commit ca")
	a.MustCli("delivernow tls.test")
	got := good.WaitCount(t, 1, 20*time.Second)
	if !got[0].TLS || got[0].ClientCN != "seg-out.test" {
		t.Errorf("delivered with TLS %v, client certificate %q; want TLS and seg-out.test", got[0].TLS, got[0].ClientCN)
	}
	a.WaitLog(t, "TLS success protocol TLSv1.3 cipher TLS_", 10*time.Second)
	if hs := a.MustCli("hoststatus tls.test"); !strings.Contains(hs, "Last TLS Status:       success TLSv1.3 (verified)") {
		t.Errorf("hoststatus:\n%s", hs)
	}

	// A certificate for another name: the MX host name decides.
	sendTo(t, a, "rcpt@wrongname.test", "wrong-name")
	a.WaitLog(t, "TLS failed: certificate verification failed: x509: certificate is valid for other.test, not mx.wrongname.test", 20*time.Second)

	// Required TLS that the server does not offer: the line, and the
	// recipient stays queued.
	sendTo(t, a, "rcpt@plain.test", "not-offered")
	a.WaitLog(t, "IP 127.0.0.122 TLS was required but could not be successfully negotiated", 20*time.Second)
	a.WaitLog(t, "was generated for the TLS failure alert about plain.test", 10*time.Second)
	if n := hostCounter(t, a.MustCli("hoststatus plain.test"), "Active Recipients"); n != 1 {
		t.Errorf("plain.test Active Recipients %d, want 1 (queued)", n)
	}

	// The alerts: one for each of the three domains, none twice.
	msgs := alerts.WaitCount(t, 3, 30*time.Second)
	per := map[string]int{}
	for _, m := range msgs {
		for _, d := range []string{"tls.test", "wrongname.test", "plain.test"} {
			if strings.Contains(string(m.Data), "Subject: Warning <Delivery>: TLS connection to "+d+" failed\r\n") {
				per[d]++
			}
		}
		if m.From != "" || len(m.Rcpts) != 1 || m.Rcpts[0] != "ops@alerts.test" {
			t.Errorf("alert envelope %q -> %q, want <> -> ops@alerts.test", m.From, m.Rcpts)
		}
	}
	if per["tls.test"] != 1 || per["wrongname.test"] != 1 || per["plain.test"] != 1 || alerts.Count() != 3 {
		t.Errorf("alerts per domain %v (%d in all), want one each", per, alerts.Count())
	}
	if wrong.Count() != 0 || plain.Count() != 0 {
		t.Errorf("delivered without the required TLS: wrongname %d, plain %d", wrong.Count(), plain.Count())
	}
	a.Stop()
}
