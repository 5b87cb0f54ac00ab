package smtpd

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"

	"seg/store"
)

// Inbound TLS (SPEC 10, RFC 3207). A listener presents the certconfig
// certificate it names (Default when it names none). The tls.Configs of
// a binding are made once per snapshot (Apply); their GetCertificate
// reads the listener's current certificate, so a commit that changes it
// takes effect for the next handshake while sessions already in TLS go
// on undisturbed.

// tlsConfigs are a binding's server configurations, one per client
// certificate rule; nil when the listener has no usable certificate.
type tlsConfigs struct {
	plain   *tls.Config // tls_verify_client off
	ifGiven *tls.Config // tls_verify_client on, tls preferred: a certificate given must verify
	require *tls.Config // tls_verify_client on, tls required: a valid certificate is needed
}

// applyTLS stores the listener's certificate of cfg and returns the
// configurations of the new binding.
func (l *listener) applyTLS(cfg *store.Config, lc *store.Listener) *tlsConfigs {
	ct := cfg.Cert(lc.CertificateName())
	if ct == nil {
		if lc.UsesTLS() {
			l.s.d.Log.Warning("Listener %s: a policy has tls on but certificate %s does not exist: STARTTLS is not offered (certconfig generate %s --cn HOST)", lc.Name, lc.CertificateName(), lc.CertificateName())
		}
		l.cert.Store(nil)
		return nil
	}
	pair, err := ct.KeyPair()
	if err != nil { // store.Validate refuses such a configuration
		l.s.d.Log.Warning("Listener %s: certificate %s unusable: %v", lc.Name, ct.Name, err)
		l.cert.Store(nil)
		return nil
	}
	l.cert.Store(&pair)
	get := func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		if c := l.cert.Load(); c != nil {
			return c, nil
		}
		return nil, errors.New("no certificate")
	}
	base := &tls.Config{GetCertificate: get, MinVersion: tls.VersionTLS12}
	pool := cfg.ClientCAPool()
	if pool == nil {
		pool = x509.NewCertPool() // no CA: no client certificate is valid
	}
	ifGiven, require := base.Clone(), base.Clone()
	ifGiven.ClientAuth, ifGiven.ClientCAs = tls.VerifyClientCertIfGiven, pool
	require.ClientAuth, require.ClientCAs = tls.RequireAndVerifyClientCert, pool
	return &tlsConfigs{plain: base, ifGiven: ifGiven, require: require}
}

// inTLS reports whether the session runs over TLS.
func (c *conn) inTLS() bool {
	_, ok := c.raw.(*tls.Conn)
	return ok
}

// tlsOffered reports whether EHLO lists STARTTLS: the policy's tls is
// preferred or required, the listener has a certificate, and the
// session is not in TLS yet.
func (c *conn) tlsOffered() bool {
	return c.info.dec.Flow.TLS != "off" && c.info.dec.Flow.TLS != "" && c.info.tls != nil && !c.inTLS()
}

// tlsConfig is the configuration for this session's handshake.
func (c *conn) tlsConfig() *tls.Config {
	f := c.info.dec.Flow
	switch {
	case !f.TLSVerifyClient:
		return c.info.tls.plain
	case f.TLS == "required":
		return c.info.tls.require
	default:
		return c.info.tls.ifGiven
	}
}

// starttls answers STARTTLS (RFC 3207 section 4).
func (c *conn) starttls(arg string) {
	switch {
	case c.inTLS():
		c.write("503 5.5.1 TLS already active\r\n")
		return
	case !c.tlsOffered():
		c.write("502 5.5.1 TLS not supported\r\n")
		return
	case arg != "":
		c.write("501 5.5.4 Syntax error (no parameters allowed)\r\n")
		return
	}
	if err := c.startTLS(c.tlsConfig()); err != nil {
		c.log.Info("ICID %d TLS failed: %s", c.info.icid, tlsReason(err))
		c.hangUp()
		return
	}
	st := c.raw.(*tls.Conn).ConnectionState()
	c.log.Info("ICID %d TLS success protocol %s cipher %s", c.info.icid, tlsVersion(st.Version), tls.CipherSuiteName(st.CipherSuite))
}

// tlsRequiredFirst answers MAIL of a session whose policy requires TLS
// and that has not started it; it reports whether it did. The log line
// is AsyncOS's, once a session.
func (c *conn) tlsRequiredFirst() bool {
	if c.info.dec.Flow.TLS != "required" || c.inTLS() {
		return false
	}
	if !c.tlsNagged {
		c.tlsNagged = true
		c.log.Info("ICID %d TLS was required but remote host did not initiate it", c.info.icid)
	}
	c.write("530 5.7.0 Must issue a STARTTLS command first\r\n")
	return true
}

// tlsReason is a handshake error for the log line, on one line and
// without the addresses net errors carry.
func tlsReason(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// tlsVersion names a protocol version as OpenSSL and AsyncOS's logs do.
func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return tls.VersionName(v)
}
