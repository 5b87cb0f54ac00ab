package configcmd

import (
	"os"
	"strings"
	"testing"

	"seg/internal/segtest"
	"seg/store"
)

func TestCertconfig(t *testing.T) {
	b := newBatch(t)
	os.MkdirAll(b.h.S.ConfigDir(), 0o700)
	certPEM, keyPEM := segtest.SelfSigned(t, "mx.example.test")
	os.WriteFile(b.configPath("c.pem"), certPEM, 0o600)
	os.WriteFile(b.configPath("c.key"), keyPEM, 0o600)
	os.WriteFile(b.configPath("ca.pem"), certPEM, 0o600) // not a CA

	b.ok("certconfig generate Default --cn seg.example.test")
	b.ok("certconfig generate R --cn r.example.test --key-type rsa")
	b.ok("certconfig import Mine --cert c.pem --key c.key")
	b.ok("certconfig import Chained --cert c.pem --key c.key --chain ca.pem")
	if n := strings.Count(b.cfg().Cert("chained").CertPEM, "BEGIN CERTIFICATE"); n != 2 {
		t.Errorf("imported with a chain: %d certificates, want 2", n)
	}
	b.fail("certconfig import X --cert c.pem --key c.key --chain c.key", "c.key holds no PEM certificate")
	b.ok("certconfig delete Chained")
	b.fail("certconfig generate mine --cn x.test", "already exists")
	b.fail("certconfig generate Bad/Name --cn x.test", "Invalid certificate name")
	b.fail("certconfig generate X --cn x.test --key-type dsa", "unknown key type")
	b.fail("certconfig import X --cert c.key --key c.key", "Cannot use c.key and c.key")
	b.fail("certconfig import X --cert ../c.pem --key c.key", "is not a file name in the configuration directory")
	b.fail("certconfig import-ca CA ca.pem", "is not a CA certificate")
	b.commit()
	out := b.ok("certconfig print")
	for _, want := range []string{
		"1. Default: CN seg.example.test, issuer seg.example.test, ECDSA P-256 key, expires ",
		"2. R: CN r.example.test, issuer r.example.test, RSA 2048 key",
		"3. Mine: CN mx.example.test, issuer mx.example.test, ECDSA P-256 key", "Default: CN seg.example.test, issuer seg.example.test, ECDSA P-256 key, expires 2036-",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("print lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PRIVATE KEY") {
		t.Errorf("print shows a key:\n%s", out)
	}
	// A listener that names no certificate uses Default.
	if l := b.cfg().Listener("IncomingMail"); l.CertificateName() != store.DefaultCertificate {
		t.Errorf("listener certificate %q, want Default", l.CertificateName())
	}
	b.fail("certconfig delete default", "Certificate Default is used by listener IncomingMail")
	b.ok("certconfig delete Mine")
	b.fail("certconfig delete Mine", "There is no certificate or CA named Mine")
	b.commit()
	if got := len(b.cfg().Certificates); got != 2 {
		t.Errorf("%d certificates after delete, want 2", got)
	}
}

func TestCertconfigTranscript(t *testing.T) {
	transcript(t, "certconfig.txt", "certconfig generate Default --cn seg.localdomain")
}
