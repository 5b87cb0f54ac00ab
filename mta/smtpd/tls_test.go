package smtpd

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/store"
)

// tlsConfig is testConfig with a Default certificate and the given tls
// value on $RELAYED (the policy of 127.0.0.1).
func tlsTestConfig(t *testing.T, tlsValue string) (*store.Config, *x509.CertPool) {
	t.Helper()
	cfg := testConfig()
	ct, err := store.GenerateCertificate(store.DefaultCertificate, "mx.seg.test", store.KeyECDSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Certificates = []store.Certificate{ct}
	policy(cfg, "$RELAYED").Params["tls"] = tlsValue
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM([]byte(ct.CertPEM))
	return cfg, roots
}

func TestTLSRequired(t *testing.T) {
	cfg, roots := tlsTestConfig(t, "required")
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.line()
	c.send("EHLO client.test\r\n")
	if got, want := c.reply(), []string{"250-mx.seg.test", "250-PIPELINING", "250-8BITMIME", "250-ENHANCEDSTATUSCODES", "250-STARTTLS", "250 SIZE 104857600"}; !slices.Equal(got, want) {
		t.Fatalf("EHLO %q, want %q", got, want)
	}
	c.expect("MAIL FROM:<a@sender.test>", "530 5.7.0 Must issue a STARTTLS command first")
	c.expect("MAIL FROM:<a@sender.test>", "530 5.7.0 Must issue a STARTTLS command first")
	c.expect("STARTTLS now", "501 5.5.4 ")
	c.expect("STARTTLS", "220 2.0.0 Ready to start TLS")
	tc := tls.Client(c.c, &tls.Config{RootCAs: roots, ServerName: "mx.seg.test"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.r = textproto.NewReader(bufio.NewReader(tc))
	c.c = tc
	// RFC 3207 section 4.2: the session starts over.
	c.expect("MAIL FROM:<a@sender.test>", "502 5.5.1 Please introduce yourself first.")
	c.send("EHLO client.test\r\n")
	if r := c.reply(); slices.Contains(r, "250-STARTTLS") {
		t.Errorf("EHLO inside TLS lists STARTTLS: %q", r)
	}
	c.expect("STARTTLS", "503 5.5.1 TLS already active")
	c.expect("MAIL FROM:<a@sender.test>", "250 ")
	waitFor(t, "the TLS success line", func() bool { return e.hasLog("Info: ICID 1 TLS success protocol TLSv1.3 cipher TLS_") })
	if strings.Count(strings.Join(e.log.Lines(), "\n"), "TLS was required but remote host did not initiate it") != 1 {
		t.Errorf("want one 'TLS was required' line:\n%s", strings.Join(e.log.Lines(), "\n"))
	}
}

func TestTLSPreferredAndFailure(t *testing.T) {
	cfg, _ := tlsTestConfig(t, "preferred")
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.greet("client.test")
	c.expect("MAIL FROM:<a@sender.test>", "250 ") // plaintext accepted
	c.expect("RSET", "250 ")
	c.expect("STARTTLS", "220 ")
	c.send("this is no TLS client hello\r\n")
	c.expectClosed()
	waitFor(t, "the TLS failed line", func() bool { return e.hasLog("Info: ICID 1 TLS failed: tls: ") })

	off, _ := tlsTestConfig(t, "off")
	e = newEnv(t, off)
	c = dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.line()
	c.send("EHLO client.test\r\n")
	if r := c.reply(); slices.Contains(r, "250-STARTTLS") {
		t.Errorf("tls off: EHLO lists STARTTLS: %q", r)
	}
	c.expect("STARTTLS", "502 5.5.1 TLS not supported")
}

// A configuration without the certificate a listener needs (made before
// seg generated Default) offers no STARTTLS and says why in mail_logs;
// tls required then refuses mail rather than take it in the clear.
func TestTLSWithoutCertificate(t *testing.T) {
	cfg, _ := tlsTestConfig(t, "required")
	cfg.Certificates = nil
	e := newEnv(t, cfg)
	waitFor(t, "the warning", func() bool {
		return e.hasLog("Warning: Listener IncomingMail: a policy has tls on but certificate Default does not exist: STARTTLS is not offered")
	})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.line()
	c.send("EHLO client.test\r\n")
	if r := c.reply(); slices.Contains(r, "250-STARTTLS") {
		t.Errorf("EHLO lists STARTTLS without a certificate: %q", r)
	}
	c.expect("STARTTLS", "502 5.5.1 TLS not supported")
	// required still holds: no mail in the clear (fail closed).
	c.expect("MAIL FROM:<a@sender.test>", "530 5.7.0 Must issue a STARTTLS command first")
}
