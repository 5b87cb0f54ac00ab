package store

import (
	"slices"
	"testing"
	"time"
)

// certconfig's entries are objects of their own: a session's new
// certificate survives another session's commit, and showchanges names
// it (never its key).
func TestMergeCertificates(t *testing.T) {
	gen := func(name string) Certificate {
		ct, err := GenerateCertificate(name, "mx.example.test", KeyECDSA, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	base := testConfig()
	base.Certificates = []Certificate{gen("Default")}
	theirs := base.Clone()
	theirs.System.Hostname = "theirs.example.com"
	theirs.Certificates = append(theirs.Certificates, gen("Theirs"))
	mine := base.Clone()
	mine.Certificates = append(mine.Certificates, gen("Mine"))
	mine.ClientCAs = []ClientCA{{Name: "CA", PEM: "x"}}

	got, conflicts := Merge(base, mine, theirs)
	if len(conflicts) != 0 {
		t.Fatalf("conflicts = %v", conflicts)
	}
	var names []string
	for _, c := range got.Certificates {
		names = append(names, c.Name)
	}
	if want := []string{"Default", "Theirs", "Mine"}; !slices.Equal(names, want) || len(got.ClientCAs) != 1 {
		t.Fatalf("certificates %v, CAs %d; want %v and 1", names, len(got.ClientCAs), want)
	}
	if cs := Changes(base, mine); len(cs) != 2 || cs[0] != (Change{"certificate Mine", ChangeAdded}) || cs[1] != (Change{"client CA CA", ChangeAdded}) {
		t.Errorf("Changes = %v", cs)
	}
}

func TestValidateCertificates(t *testing.T) {
	c := testConfig()
	ct, err := GenerateCertificate("Default", "mx.example.test", KeyRSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := GenerateCertificate("Other", "x.test", KeyECDSA, time.Now())
	c.Certificates = []Certificate{ct, {Name: "default", CertPEM: ct.CertPEM, KeyPEM: other.KeyPEM}, {Name: "Masked", CertPEM: ct.CertPEM, KeyPEM: MaskedKey}}
	c.ClientCAs = []ClientCA{{Name: "NotCA", PEM: ct.CertPEM}}
	c.Listeners[0].Certificate = "Missing"
	want := []string{
		`certificate "default": name used twice`,
		`certificate "default": not a usable certificate and private key: tls: private key type does not match public key type`,
		`certificate "Masked": the private key is masked (a file saved by a non-admin); import the certificate again`,
		`client CA "NotCA": the certificate of "mx.example.test" is not a CA certificate`,
		`listener "IncomingMail": certificate "Missing" does not exist (certconfig print lists them)`,
	}
	err = c.Validate()
	ve, ok := err.(*ValidationError)
	if !ok || !slices.Equal(ve.Problems, want) {
		t.Fatalf("Validate:\n%v\nwant\n%q", err, want)
	}
}
