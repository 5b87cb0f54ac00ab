package confdir

import (
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"strings"
)

// LoadX509KeyPair reads a PEM certificate (chain) and private key from
// the directory, by name, as tls.LoadX509KeyPair does from paths. It is
// how every consumer of a configured certificate reads it (destconfig
// setup's client certificate; listener TLS later), so the names the
// configuration holds resolve under the same rule as every other file.
//
// Only CERTIFICATE blocks and one "... PRIVATE KEY" block are passed on
// to crypto/tls: its error texts name the types of foreign PEM blocks,
// and a message here must not quote the files.
func (d Dir) LoadX509KeyPair(certName, keyName string) (tls.Certificate, error) {
	certPEM, err := d.ReadFile(certName, MaxPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := d.ReadFile(keyName, MaxPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	var certs []byte
	for rest := certPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			certs = append(certs, pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: b.Bytes})...)
		}
	}
	if certs == nil {
		return tls.Certificate{}, &Error{Name: certName, Problem: "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"}
	}
	var key []byte
	for rest := keyPEM; key == nil; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			key = pem.EncodeToMemory(&pem.Block{Type: b.Type, Bytes: b.Bytes})
		}
	}
	if key == nil {
		return tls.Certificate{}, &Error{Name: keyName, Problem: "holds no PEM private key (-----BEGIN PRIVATE KEY-----)"}
	}
	pair, err := tls.X509KeyPair(certs, key)
	if err != nil {
		return tls.Certificate{}, &Error{Problem: fmt.Sprintf("%q and %q are not a usable certificate and key: %v", certName, keyName, err)}
	}
	return pair, nil
}
