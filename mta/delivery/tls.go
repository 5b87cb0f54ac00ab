package delivery

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"seg/store"
)

// use_tls modes (SPEC 11).
const (
	tlsOff           = "off"
	tlsOn            = "on"
	tlsRequired      = "required"
	tlsOnVerify      = "on_verify"
	tlsRequireVerify = "require_verify"
)

// tlsRequiredMode reports whether the mode keeps mail queued when TLS
// fails.
func tlsRequiredMode(mode string) bool { return mode == tlsRequired || mode == tlsRequireVerify }

// tlsMaterial is what a configuration gives outbound TLS: the roots
// server certificates are verified against (the system's plus the CAs of
// certconfig import-ca: one store of CAs serves tls_verify_client inbound
// and verification outbound) and the client certificate of destconfig
// setup.
type tlsMaterial struct {
	roots   *x509.CertPool
	client  *tls.Certificate // nil: none configured
	certErr error            // the configured certificate cannot be used
}

// materials caches the tlsMaterial of the latest configuration snapshot:
// snapshots are immutable, so it holds while the pointer does.
type materials struct {
	mu  sync.Mutex
	cfg *store.Config
	m   *tlsMaterial
}

func (ms *materials) get(cfg *store.Config) *tlsMaterial {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.cfg == cfg && ms.m != nil {
		return ms.m
	}
	m := &tlsMaterial{}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	for _, ca := range cfg.ClientCAs {
		roots.AppendCertsFromPEM([]byte(ca.PEM))
	}
	m.roots = roots
	if n := cfg.DestSetup.Certificate; n != "" {
		if ct := cfg.Cert(n); ct == nil {
			m.certErr = fmt.Errorf("certificate %s does not exist", n)
		} else if pair, err := ct.KeyPair(); err != nil {
			m.certErr = fmt.Errorf("certificate %s: %v", n, err)
		} else {
			m.client = &pair
		}
	}
	ms.cfg, ms.m = cfg, m
	return m
}

// tlsSetup is how one connection negotiates TLS.
type tlsSetup struct {
	mode string    // use_tls
	dane *danePlan // non-nil: DANE decided (TLS mandatory)
	mat  *tlsMaterial
	now  func() time.Time
	// verified is set by the handshake: what authenticated the server
	// ("" when nothing did) and why verification failed.
	verified  string
	verifyErr error
}

// required reports whether failing TLS keeps the mail queued.
func (s *tlsSetup) required() bool { return s.dane != nil || tlsRequiredMode(s.mode) }

// config is the crypto/tls configuration for host. Verification is done
// in VerifyConnection, against the clock seam: by TLSA records under
// DANE, else (on_verify, require_verify) against the roots and the MX
// host name (an IP address when the route names one). A failure ends
// the handshake only when it must: on_verify delivers over the
// encrypted but unverified session, as AsyncOS's "Preferred - Verify".
func (s *tlsSetup) config(host string) *tls.Config {
	cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12, Time: s.now}
	if _, err := netip.ParseAddr(host); err != nil {
		cfg.ServerName = host // SNI (RFC 6066; RFC 7672 section 8.1)
	}
	if s.mat != nil && s.mat.client != nil {
		// Present it whatever CAs the server names: crypto/tls would
		// otherwise send none that does not match.
		c := s.mat.client
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return c, nil }
	}
	verify := s.mode == tlsOnVerify || s.mode == tlsRequireVerify
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		switch {
		case s.dane != nil && !s.dane.tlsOnly:
			r, err := daneVerify(cs.PeerCertificates, s.dane.records, s.dane.names, s.now())
			if err != nil {
				s.verifyErr = fmt.Errorf("DANE: %w", err)
				return s.verifyErr
			}
			s.verified = fmt.Sprintf("DANE TLSA %d %d %d", r.Usage, r.Selector, r.MatchingType)
			return nil
		case verify:
			if err := pkixVerify(cs.PeerCertificates, s.mat.roots, host, s.now()); err != nil {
				s.verifyErr = err
				if s.mode == tlsRequireVerify {
					return err
				}
				return nil
			}
			s.verified = "PKIX"
		}
		return nil
	}
	return cfg
}

// pkixVerify verifies a server's chain against roots for host, as
// crypto/tls would, but on the clock seam.
func pkixVerify(chain []*x509.Certificate, roots *x509.CertPool, host string, now time.Time) error {
	if len(chain) == 0 {
		return errors.New("the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter, CurrentTime: now})
	if err != nil {
		return fmt.Errorf("certificate verification failed: %w", err)
	}
	return nil
}
