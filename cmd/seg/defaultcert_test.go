package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"seg/internal/segtest"
	"seg/store"
)

// A configuration from before certconfig gets the Default certificate,
// and a listener's certificate and key files become a certificate the
// listener uses, in one revision by system; a second start changes
// nothing.
func TestEnsureCertificates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "configuration")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := segtest.SelfSigned(t, "mx.old.test")
	os.WriteFile(filepath.Join(dir, "l.pem"), certPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "l.key"), keyPEM, 0o600)
	cfg := store.Default("seg.test", "$2a$10$abcdefghijklmnopqrstuu5Rk0qXGZyWn3XxvT8y1u0bYwzZ6m0yu")
	cfg.Listeners[0].CertFile, cfg.Listeners[0].KeyFile = "l.pem", "l.key"
	st := store.NewMemory(cfg)
	defer st.Close()

	var out bytes.Buffer
	if err := ensureCertificates(st, dir, "", &out); err != nil {
		t.Fatal(err)
	}
	cur, _ := st.Current()
	got := cur.Config
	if len(got.Certificates) != 2 || got.Certificates[0].Name != "Default" || got.Certificates[1].Name != "IncomingMail" {
		t.Fatalf("certificates %+v, want Default and IncomingMail", got.Certificates)
	}
	if leaf, err := got.Certificates[0].Leaf(); err != nil || leaf.Subject.CommonName != "seg.test" {
		t.Errorf("Default: %v, %v; want CN seg.test", leaf, err)
	}
	if leaf, err := got.Certificates[1].Leaf(); err != nil || leaf.Subject.CommonName != "mx.old.test" {
		t.Errorf("IncomingMail: %v, %v; want CN mx.old.test", leaf, err)
	}
	if l := got.Listeners[0]; l.Certificate != "IncomingMail" || l.CertFile != "" || l.KeyFile != "" {
		t.Errorf("listener certificate %q files %q %q", l.Certificate, l.CertFile, l.KeyFile)
	}
	if cur.Revision.Number != 2 || cur.Revision.User != "system" {
		t.Errorf("revision %+v, want 2 by system", cur.Revision)
	}
	if !strings.Contains(out.String(), "are now certificate IncomingMail") {
		t.Errorf("message %q", out.String())
	}
	out.Reset()
	if err := ensureCertificates(st, dir, "", &out); err != nil {
		t.Fatal(err)
	}
	if cur, _ := st.Current(); cur.Revision.Number != 2 || out.Len() != 0 {
		t.Errorf("second run: revision %d, message %q", cur.Revision.Number, out.String())
	}
}

// destconfig setup's certificate and key files (never read) become the
// certificate Outbound, the one delivery presents.
func TestEnsureCertificatesOutbound(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "configuration")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := segtest.SelfSigned(t, "out.old.test")
	os.WriteFile(filepath.Join(dir, "c.pem"), certPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "c.key"), keyPEM, 0o600)
	cfg := store.Default("seg.test", "$2a$10$abcdefghijklmnopqrstuu5Rk0qXGZyWn3XxvT8y1u0bYwzZ6m0yu")
	cfg.DestSetup.CertFile, cfg.DestSetup.KeyFile = "c.pem", "c.key"
	st := store.NewMemory(cfg)
	defer st.Close()
	var out bytes.Buffer
	if err := ensureCertificates(st, dir, "", &out); err != nil {
		t.Fatal(err)
	}
	cur, _ := st.Current()
	got := cur.Config
	ct := got.Cert("Outbound")
	if ct == nil {
		t.Fatalf("no certificate Outbound: %+v", got.Certificates)
	}
	if leaf, err := ct.Leaf(); err != nil || leaf.Subject.CommonName != "out.old.test" {
		t.Errorf("Outbound: %v, %v; want CN out.old.test", leaf, err)
	}
	if s := got.DestSetup; s.Certificate != "Outbound" || s.CertFile != "" || s.KeyFile != "" {
		t.Errorf("destconfig setup %+v, want certificate Outbound and no files", s)
	}
	if !strings.Contains(out.String(), "destconfig setup: certificate file c.pem and key file c.key are now certificate Outbound") {
		t.Errorf("message %q", out.String())
	}
}
