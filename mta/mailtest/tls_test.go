package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// testCA is a throwaway CA that signs client certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{cert: c, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// client issues a client certificate.
func (ca *testCA) client(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsClient dials addr, says EHLO and runs STARTTLS trusting the PEM
// certificate serverCert under serverName; it returns the client and the
// certificate the server presented.
func tlsClient(addr string, serverCert []byte, serverName string, clientCerts ...tls.Certificate) (*smtp.Client, error) {
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serverCert)
	cfg := &tls.Config{RootCAs: roots, ServerName: serverName}
	if len(clientCerts) > 0 {
		// Present the certificate whatever CAs the server names (crypto/tls
		// would otherwise send none that does not match).
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &clientCerts[0], nil }
	}
	cl, err := smtp.NewClientStartTLS(nc, cfg)
	if err != nil {
		return nil, err
	}
	cl.CommandTimeout = 10 * time.Second
	// go-smtp handshakes lazily: EHLO inside TLS runs the handshake now
	// (RFC 3207: the client must say EHLO again).
	if err := cl.Hello("client.test"); err != nil {
		cl.Close()
		return nil, err
	}
	return cl, nil
}

// TestInboundTLS drives STARTTLS end to end (SPEC 10): tls off, preferred
// and required, a certificate switched by a commit while a session in
// TLS goes on, swaks as an outside client, and tls_verify_client with a
// CA imported by certconfig.
func TestInboundTLS(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr())
	certA, keyA := segtest.SelfSigned(t, "mx-a.test")
	certB, keyB := segtest.SelfSigned(t, "mx-b.test")
	ca := newTestCA(t, "Client CA")
	conf := filepath.Join(a.Dir, "configuration")
	if err := os.MkdirAll(conf, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"a.crt": certA, "a.key": keyA, "b.crt": certB, "b.key": keyB, "ca.pem": ca.pem} {
		if err := os.WriteFile(filepath.Join(conf, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := a.MustCli("certconfig import A --cert a.crt --key a.key ; certconfig import B --cert b.crt --key b.key ; " +
		"listenerconfig edit IncomingMail setup --certificate A ; commit certificates ; certconfig print")
	for _, want := range []string{"1. Default: CN ", "2. A: CN mx-a.test, issuer mx-a.test, ECDSA P-256 key", "used by IncomingMail", "3. B: CN mx-b.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("certconfig print lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(a.MustCli("showconfig"), "PRIVATE KEY") {
		t.Error("showconfig prints a private key")
	}
	a.Start()
	addr := a.SMTPAddr()
	msg := func(s string) []byte { return plainMessage("rcpt@example.test", s, s+"@client.test") }
	send := func(cl *smtp.Client, subject string) error {
		_, err := segtest.Transact(cl, "sender@client.test", []string{"rcpt@example.test"}, msg(subject))
		return err
	}

	// off: no STARTTLS in EHLO, the command refused.
	cl, err := segtest.Client{}.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := cl.Extension("STARTTLS"); ok {
		t.Error("tls off: EHLO lists STARTTLS")
	}
	if err := send(cl, "plain-off"); err != nil {
		t.Fatalf("tls off: %v", err)
	}
	cl.Close()
	if _, err := tlsClient(addr, certA, "mx-a.test"); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("tls off: STARTTLS: %v", err)
	}

	// preferred: offered; plaintext still accepted; TLS with certificate A.
	a.MustCli("listenerconfig edit IncomingMail hostaccess edit policy $RELAYED --tls=preferred ; commit preferred")
	if !segtest.Poll(10*time.Second, func() bool { // until the commit is live
		if cl, err = (segtest.Client{}).Dial(addr); err != nil {
			t.Fatal(err)
		}
		ok, _ := cl.Extension("STARTTLS")
		if !ok {
			cl.Close()
		}
		return ok
	}) {
		t.Fatal("tls preferred: EHLO does not list STARTTLS")
	}
	if err := send(cl, "plain-preferred"); err != nil {
		t.Fatalf("tls preferred, plaintext: %v", err)
	}
	cl.Close()
	cl, err = tlsClient(addr, certA, "mx-a.test")
	if err != nil {
		t.Fatalf("tls preferred, STARTTLS with certificate A: %v", err)
	}
	if err := send(cl, "tls-preferred"); err != nil {
		t.Fatalf("tls preferred, in TLS: %v", err)
	}
	if ok, _ := cl.Extension("STARTTLS"); ok {
		t.Error("EHLO inside TLS lists STARTTLS again")
	}
	cl.Quit()
	a.WaitLog(t, "TLS success protocol TLSv1.3 cipher TLS_", 10*time.Second)

	// required: 530 to MAIL before STARTTLS; mail accepted after.
	a.MustCli("listenerconfig edit IncomingMail hostaccess edit policy $RELAYED --tls=required ; commit required")
	segtest.Poll(10*time.Second, func() bool { // until the commit is live
		if cl, err = (segtest.Client{}).Dial(addr); err != nil {
			t.Fatal(err)
		}
		err = cl.Mail("sender@client.test", nil)
		if err == nil {
			cl.Close()
		}
		return err != nil
	})
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 530 || se.Message != "Must issue a STARTTLS command first" || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 0}) {
		t.Errorf("tls required, MAIL in plaintext: %v, want 530 5.7.0 Must issue a STARTTLS command first", err)
	}
	cl.Close()
	a.WaitLog(t, "TLS was required but remote host did not initiate it", 10*time.Second)
	open, err := tlsClient(addr, certA, "mx-a.test")
	if err != nil {
		t.Fatalf("tls required, STARTTLS: %v", err)
	}
	if err := send(open, "tls-required"); err != nil {
		t.Fatalf("tls required, in TLS: %v", err)
	}

	// Python's smtplib, an outside client, over STARTTLS, verifying
	// certificate A.
	host, port, _ := net.SplitHostPort(addr)
	py := `import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[3])
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="py.client.test", timeout=20)
s.ehlo()
assert s.has_extn("starttls"), "no STARTTLS"
s._host = "mx-a.test"  # the name smtplib verifies the certificate against
s.starttls(context=ctx)
s.ehlo()
assert not s.has_extn("starttls"), "STARTTLS offered inside TLS"
print(s.sendmail("sender@client.test", ["rcpt@example.test"], "Subject: py\r\n\r\nhi\r\n"), s.sock.version())
s.quit()
`
	pyOut, err := exec.Command(segtest.Tool(t, "python3"), "-c", py, host, port, filepath.Join(conf, "a.crt")).CombinedOutput()
	if err != nil || !strings.Contains(string(pyOut), "{} TLSv1.3") {
		t.Errorf("python3 smtplib starttls: %v\n%s", err, pyOut)
	}

	// A commit switches the certificate: the next connection gets B, the
	// session already in TLS goes on.
	a.MustCli("listenerconfig edit IncomingMail certificate B ; commit switch")
	if !segtest.Poll(10*time.Second, func() bool {
		c, err := tlsClient(addr, certB, "mx-b.test")
		if err != nil {
			return false
		}
		c.Close()
		return true
	}) {
		t.Error("certificate B not presented after the commit")
	}
	if err := send(open, "tls-open-session"); err != nil {
		t.Errorf("the session in TLS across the commit: %v", err)
	}
	open.Quit()
	if _, err := tlsClient(addr, certA, "mx-a.test"); err == nil {
		t.Error("certificate A still presented after the commit")
	}
	if _, _, code := a.Cli("certconfig delete B"); code == 0 {
		t.Error("certconfig delete of a certificate in use succeeded")
	}

	// tls_verify_client: preferred lets a client without a certificate in,
	// refuses an invalid one, takes a valid one; required insists.
	a.MustCli("certconfig import-ca ClientCA ca.pem ; listenerconfig edit IncomingMail hostaccess edit policy $RELAYED --tls=preferred --tls_verify_client=on ; commit verify")
	good := ca.client(t, "good.client.test")
	bad := newTestCA(t, "Other CA").client(t, "bad.client.test")
	try := func(what string, certs ...tls.Certificate) error {
		var last error
		segtest.Poll(10*time.Second, func() bool { // until the commit is live
			cl, err := tlsClient(addr, certB, "mx-b.test", certs...)
			if err == nil {
				err = send(cl, "verify")
				cl.Close()
			}
			last = err
			return err == nil
		})
		return last
	}
	if err := try("no certificate"); err != nil {
		t.Errorf("preferred+verify, no client certificate: %v", err)
	}
	if err := try("valid", good); err != nil {
		t.Errorf("preferred+verify, valid client certificate: %v", err)
	}
	before := a.CountLog("TLS failed: tls: failed to verify certificate")
	if cl, err := tlsClient(addr, certB, "mx-b.test", bad); err == nil {
		if err := send(cl, "bad"); err == nil {
			t.Error("preferred+verify: a client with an invalid certificate sent mail")
		}
	}
	if !segtest.Poll(10*time.Second, func() bool {
		return a.CountLog("TLS failed: tls: failed to verify certificate: x509: certificate signed by unknown authority") > before
	}) {
		t.Error("no TLS failed line for the invalid client certificate")
	}
	a.MustCli("listenerconfig edit IncomingMail hostaccess edit policy $RELAYED --tls=required ; commit verify required")
	if !segtest.Poll(10*time.Second, func() bool {
		cl, err := tlsClient(addr, certB, "mx-b.test")
		if err == nil {
			err = send(cl, "nocert")
			cl.Close()
		}
		return err != nil
	}) {
		t.Error("required+verify: a client without a certificate sent mail")
	}
	a.WaitLog(t, "TLS failed: tls: client didn't provide a certificate", 10*time.Second)
	if err := try("valid", good); err != nil {
		t.Errorf("required+verify, valid client certificate: %v", err)
	}
	t.Logf("TLS lines:\n%s", strings.Join(segtest.Grep(a.LogLines(), "TLS"), "\n"))
}
