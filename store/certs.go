package store

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Certificates for inbound TLS (SPEC 10): certconfig keeps them in the
// configuration itself, so a commit (and a rollback) changes them with
// the listeners that use them, and no file outside the store is read at
// run time. The private key is a secret: showconfig and an operator's
// saveconfig mask it as they mask password hashes.

// DefaultCertificate is the certificate a listener uses when it names
// none; seg generates it on first start (SPEC 10).
const DefaultCertificate = "Default"

// MaskedKey stands for a private key in showconfig and in an
// operator's saveconfig.
const MaskedKey = "*****"

// Certificate is one certconfig entry: a certificate (leaf first, then
// its chain) and its private key, PEM.
type Certificate struct {
	Name    string `json:"name"`
	CertPEM string `json:"cert_pem"`
	KeyPEM  string `json:"key_pem"` // secret
}

// ClientCA is a CA certificate (PEM, one or more) that client
// certificates are verified against (certconfig import-ca).
type ClientCA struct {
	Name string `json:"name"`
	PEM  string `json:"pem"`
}

// Cert returns the certificate of that name (case-insensitive) or nil.
func (c *Config) Cert(name string) *Certificate {
	for i := range c.Certificates {
		if equalFold(c.Certificates[i].Name, name) {
			return &c.Certificates[i]
		}
	}
	return nil
}

// CA returns the client CA of that name (case-insensitive) or nil.
func (c *Config) CA(name string) *ClientCA {
	for i := range c.ClientCAs {
		if equalFold(c.ClientCAs[i].Name, name) {
			return &c.ClientCAs[i]
		}
	}
	return nil
}

// CertificateName is the certificate the listener presents: the one it
// names, else Default.
func (l *Listener) CertificateName() string {
	if l.Certificate == "" {
		return DefaultCertificate
	}
	return l.Certificate
}

// UsesTLS reports whether any policy of the listener (its defaults
// included) offers STARTTLS.
func (l *Listener) UsesTLS() bool {
	if v, ok := l.HAT.Defaults["tls"]; ok && v != "off" {
		return true
	}
	for _, f := range l.HAT.Policies {
		if v, ok := f.Params["tls"]; ok && v != "off" {
			return true
		}
	}
	return false
}

// KeyPair parses the certificate and its key.
func (c *Certificate) KeyPair() (tls.Certificate, error) {
	pair, err := tls.X509KeyPair([]byte(c.CertPEM), []byte(c.KeyPEM))
	if err != nil {
		return tls.Certificate{}, err
	}
	return pair, nil
}

// Leaf returns the parsed first certificate.
func (c *Certificate) Leaf() (*x509.Certificate, error) {
	b, _ := pem.Decode([]byte(c.CertPEM))
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(b.Bytes)
}

// ClientCAPool is every client CA of the configuration, for
// tls_verify_client; nil when there is none.
func (c *Config) ClientCAPool() *x509.CertPool {
	if len(c.ClientCAs) == 0 {
		return nil
	}
	pool := x509.NewCertPool()
	for _, ca := range c.ClientCAs {
		pool.AppendCertsFromPEM([]byte(ca.PEM))
	}
	return pool
}

// ParseCAs returns the certificates of a PEM text: at least one, each a
// CA (basic constraints CA true).
func ParseCAs(text []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for rest := text; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		if !c.IsCA {
			return nil, fmt.Errorf("the certificate of %s is not a CA certificate", Excerpt(c.Subject.CommonName))
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate (-----BEGIN CERTIFICATE-----)")
	}
	return out, nil
}

// Key types of GenerateCertificate.
const (
	KeyECDSA = "ecdsa" // P-256
	KeyRSA   = "rsa"   // 2048 bits
)

// GenerateCertificate makes a self-signed server certificate for cn
// (also its DNS name), valid from now for ten years, AsyncOS's
// "certconfig > generate" and what the Default certificate is.
func GenerateCertificate(name, cn, keyType string, now time.Time) (Certificate, error) {
	var (
		key any
		pub any
	)
	switch keyType {
	case KeyECDSA, "":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return Certificate{}, err
		}
		key, pub = k, &k.PublicKey
	case KeyRSA:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return Certificate{}, err
		}
		key, pub = k, &k.PublicKey
	default:
		return Certificate{}, fmt.Errorf("unknown key type %s (ecdsa or rsa)", Excerpt(keyType))
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if ValidDomain(cn) {
		tmpl.DNSNames = []string{cn}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		return Certificate{}, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Certificate{}, err
	}
	return Certificate{
		Name:    name,
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})),
	}, nil
}

// CheckCertificateName validates a certificate or CA name: 1 to 64
// letters, digits, '_' and '-'.
func CheckCertificateName(name string) error {
	if name == "" || len(name) > MaxNameLength || !nameChars(name) {
		return fmt.Errorf("Invalid certificate name %s: 1 to %d letters, digits, _ and -.", shortName(name), MaxNameLength)
	}
	return nil
}

// validateCerts checks certconfig's entries and the certificates the
// listeners name.
func (c *Config) validateCerts(p *problems) {
	seen := map[string]bool{}
	for i := range c.Certificates {
		ct := &c.Certificates[i]
		obj := "certificate " + shortName(ct.Name)
		if err := CheckCertificateName(ct.Name); err != nil {
			p.add("%s: %v", obj, err)
		}
		if k := strings.ToLower(ct.Name); seen[k] {
			p.add("%s: name used twice", obj)
		} else {
			seen[k] = true
		}
		if ct.KeyPEM == MaskedKey {
			p.add("%s: the private key is masked (a file saved by a non-admin); import the certificate again", obj)
		} else if _, err := ct.KeyPair(); err != nil {
			p.add("%s: not a usable certificate and private key: %v", obj, err)
		}
	}
	seen = map[string]bool{}
	for _, ca := range c.ClientCAs {
		obj := "client CA " + shortName(ca.Name)
		if err := CheckCertificateName(ca.Name); err != nil {
			p.add("%s: %v", obj, err)
		}
		if k := strings.ToLower(ca.Name); seen[k] {
			p.add("%s: name used twice", obj)
		} else {
			seen[k] = true
		}
		if _, err := ParseCAs([]byte(ca.PEM)); err != nil {
			p.add("%s: %v", obj, err)
		}
	}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		if l.Certificate != "" && c.Cert(l.Certificate) == nil {
			p.add("listener %q: certificate %s does not exist (certconfig print lists them)", l.Name, shortName(l.Certificate))
		}
		// A listener that names none uses Default, which seg makes at
		// start (cmd/seg); a configuration made offline before that may
		// lack it: smtpd then offers no STARTTLS and says so in
		// mail_logs (Apply).
	}
}

// CertificateFromPair stores a parsed certificate and key (certconfig
// import, a listener's old files) re-encoded: the certificates, then
// extra (a chain, already parsed) and the key in PKCS #8, and nothing
// else the files held.
func CertificateFromPair(name string, pair tls.Certificate, extra ...*x509.Certificate) (Certificate, error) {
	var certs strings.Builder
	for _, der := range pair.Certificate {
		certs.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	for _, c := range extra {
		certs.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	key, err := x509.MarshalPKCS8PrivateKey(pair.PrivateKey)
	if err != nil {
		return Certificate{}, err
	}
	ct := Certificate{Name: name, CertPEM: certs.String(), KeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}))}
	if _, err := ct.KeyPair(); err != nil {
		return Certificate{}, err
	}
	return ct, nil
}
