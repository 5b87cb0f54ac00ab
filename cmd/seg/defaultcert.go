package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"seg/internal/confdir"
	"seg/store"
)

// ensureCertificates gives a configuration with no certificate at all
// (a data dir made before certconfig existed) the self-signed Default
// that the embedded default starts with (SPEC 10), and turns a
// listener's certificate and key files (loadconfig could set them; no
// version read them) into a certconfig certificate named after the
// listener, which the listener then uses, and destconfig setup's files
// (never read either) into the certificate Outbound, which delivery then
// presents. Committed as its own revision, by "system".
func ensureCertificates(st store.Store, confDir, hostname string, out io.Writer) error {
	cur, err := st.Current()
	if err != nil {
		return err
	}
	next := cur.Config.Clone()
	var notes []string
	if len(next.Certificates) == 0 {
		if hostname == "" {
			hostname = next.System.Hostname
		}
		ct, err := store.GenerateCertificate(store.DefaultCertificate, hostname, store.KeyECDSA, time.Now())
		if err != nil {
			return fmt.Errorf("generating the Default certificate: %w", err)
		}
		next.Certificates = append(next.Certificates, ct)
		notes = append(notes, "certificate Default generated (self-signed, CN "+hostname+")")
	}
	for i := range next.Listeners {
		l := &next.Listeners[i]
		if l.CertFile == "" || l.KeyFile == "" {
			continue
		}
		obj := "listener " + l.Name
		pair, err := confdir.Dir{Path: confDir}.LoadX509KeyPair(l.CertFile, l.KeyFile)
		var ct store.Certificate
		if err == nil {
			ct, err = store.CertificateFromPair(l.Name, pair)
		}
		if err != nil || next.Cert(l.Name) != nil || store.CheckCertificateName(l.Name) != nil {
			notes = append(notes, fmt.Sprintf("%s: certificate file %s and key file %s not usable as certificate %s; use certconfig import", obj, l.CertFile, l.KeyFile, l.Name))
		} else {
			next.Certificates = append(next.Certificates, ct)
			l.Certificate = l.Name
			notes = append(notes, fmt.Sprintf("%s: certificate file %s and key file %s are now certificate %s", obj, l.CertFile, l.KeyFile, l.Name))
		}
		l.CertFile, l.KeyFile = "", ""
	}
	// destconfig setup's files become the certificate "Outbound", the
	// client certificate delivery presents.
	if ds := &next.DestSetup; ds.CertFile != "" && ds.KeyFile != "" {
		const name = "Outbound"
		pair, err := confdir.Dir{Path: confDir}.LoadX509KeyPair(ds.CertFile, ds.KeyFile)
		var ct store.Certificate
		if err == nil {
			ct, err = store.CertificateFromPair(name, pair)
		}
		if err != nil || next.Cert(name) != nil {
			notes = append(notes, fmt.Sprintf("destconfig setup: certificate file %s and key file %s not usable as certificate %s; use certconfig import, then destconfig setup --certificate NAME", ds.CertFile, ds.KeyFile, name))
		} else {
			next.Certificates = append(next.Certificates, ct)
			ds.Certificate = name
			notes = append(notes, fmt.Sprintf("destconfig setup: certificate file %s and key file %s are now certificate %s", ds.CertFile, ds.KeyFile, name))
		}
		ds.CertFile, ds.KeyFile = "", ""
	}
	if len(notes) == 0 {
		return nil
	}
	if _, err := st.Commit(store.CommitRequest{
		Base: cur.Revision.Number, Config: next, User: "system", Role: store.RoleSystem,
		Comment: "TLS certificates: " + strings.Join(notes, "; "),
	}); err != nil {
		return fmt.Errorf("updating TLS certificates: %w", err)
	}
	for _, n := range notes {
		if strings.HasPrefix(n, "listener ") || strings.HasPrefix(n, "destconfig ") { // the Default is no news
			fmt.Fprintf(out, "Configuration updated: %s\n", n)
		}
	}
	return nil
}
