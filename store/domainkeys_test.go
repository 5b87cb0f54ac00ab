package store

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

var dkT0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// dkSeedKey is an Ed25519 key from a fixed seed: the tests need no
// randomness to make one.
func dkSeedKey(t *testing.T, name string) DKIMKey {
	t.Helper()
	k, err := NewDKIMKey(name, ed25519.NewKeyFromSeed(make([]byte, 32)), dkT0)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func dkConfig(t *testing.T) *Config {
	c := testConfig()
	c.DomainKeys = DomainKeys{
		Keys: []DKIMKey{dkSeedKey(t, "k1")},
		Profiles: []DKIMProfile{
			{Name: "p1", Domain: "example.com", Selector: "s1", Key: "k1"},
			{Name: "p2", Domain: "example.com", Selector: "s2", Key: "K1", Users: []string{"ceo@example.com", "@.example.com"}},
		},
	}
	return c
}

func TestValidateDomainKeys(t *testing.T) {
	ok := dkConfig(t)
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid domainkeys refused: %v", err)
	}
	rsaKey, err := GenerateDKIMKey("r", DKIMRSA, 1024, dkT0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit func(*DomainKeys)
		want string
	}{
		{func(d *DomainKeys) { d.Keys = append(d.Keys, dkSeedKey(t, "K1")) }, `domainkeys key "K1": the name is used twice`},
		{func(d *DomainKeys) { d.Keys[0].Name = "1k" }, `"1k" is not a valid key name`},
		{func(d *DomainKeys) { d.Keys[0].PrivateKey = MaskedKey }, "the private key is masked"},
		{func(d *DomainKeys) { d.Keys[0].PrivateKey = "junk" }, "no PEM private key"},
		{func(d *DomainKeys) { d.Keys[0].Algorithm = DKIMRSA }, "the key is ed25519, not \"rsa\""},
		{func(d *DomainKeys) { d.Keys[0].PrivateKey = rsaKey.PrivateKey }, "the key is rsa, not \"ed25519\""},
		{func(d *DomainKeys) { d.Keys[0].Created = time.Time{} }, "no creation time"},
		// A key in use cannot go: the profile would name nothing.
		{func(d *DomainKeys) { d.Keys = nil }, `domainkeys profile "p1": key "k1" does not exist`},
		{func(d *DomainKeys) { d.Profiles[1].Name = "P1" }, `domainkeys profile "P1": the name is used twice`},
		{func(d *DomainKeys) { d.Profiles[0].Domain = "exa mple.com" }, "is not a valid domain name"},
		{func(d *DomainKeys) { d.Profiles[0].Selector = "_s" }, "is not a valid selector"},
		{func(d *DomainKeys) { d.Profiles[0].Selector = strings.Repeat("a.", 120) + "a" }, "is not a valid selector"},
		{func(d *DomainKeys) { d.Profiles[0].Headers = []string{"Subject", "To"} }, "must include From"},
		{func(d *DomainKeys) { d.Profiles[0].Headers = []string{"From", "Bad:Name"} }, "is not a header field name"},
		{func(d *DomainKeys) { d.Profiles[0].Canon = "relaxed" }, `canonicalization "relaxed" is not one of`},
		{func(d *DomainKeys) { d.Profiles[1].Users = []string{"a@@b"} }, "is not a valid user entry"},
		{func(d *DomainKeys) { d.Profiles[1].Users = []string{"example.com"} }, "not in its canonical form \"@example.com\""},
		// Two profiles for one domain: only when their user lists differ.
		{func(d *DomainKeys) { d.Profiles[1].Users = nil }, `profile "p1" already signs for domain "example.com" with the same user list`},
		{func(d *DomainKeys) {
			d.Profiles = append(d.Profiles, DKIMProfile{Name: "p3", Domain: "EXAMPLE.com", Selector: "s", Key: "k1", Users: []string{"@.example.com", "ceo@example.com"}})
		}, `profile "p2" already signs`},
	} {
		cfg := ok.Clone()
		c.edit(&cfg.DomainKeys)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate = %v, want %q", err, c.want)
		}
	}
	// Listing a field twice oversigns it (RFC 6376 section 8.15): allowed.
	cfg := ok.Clone()
	cfg.DomainKeys.Profiles[0].Headers = []string{"From", "From", "Subject"}
	if err := cfg.Validate(); err != nil {
		t.Errorf("oversigned From refused: %v", err)
	}
}

// The user list wins, in profile order; then the exact domain; a
// subdomain matches only through a user list entry.
func TestProfileFor(t *testing.T) {
	d := dkConfig(t).DomainKeys
	for addr, want := range map[string]string{
		"ceo@example.com":    "p2",
		"CEO@Example.COM":    "p2",
		"bob@example.com":    "p1",
		"bob@eu.example.com": "p2",
		"bob@example.org":    "",
		"bob":                "",
	} {
		got := ""
		if p := d.ProfileFor(addr); p != nil {
			got = p.Name
		}
		if got != want {
			t.Errorf("ProfileFor(%q) = %q, want %q", addr, got, want)
		}
	}
	d.Profiles = d.Profiles[:1]
	if p := d.ProfileFor("bob@eu.example.com"); p != nil {
		t.Errorf("a subdomain matched the domain profile %s", p.Name)
	}
}

func TestCanonDKIMUser(t *testing.T) {
	for in, want := range map[string]string{
		"Example.com":      "@example.com",
		".example.com":     "@.example.com",
		"@.example.com":    "@.example.com",
		"User@Example.com": "user@example.com",
		"user@":            "user@",
	} {
		if got, err := CanonDKIMUser(in); err != nil || got != want {
			t.Errorf("CanonDKIMUser(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "@", "a b", "x@-bad.com"} {
		if _, err := CanonDKIMUser(bad); err == nil {
			t.Errorf("CanonDKIMUser(%q) accepted", bad)
		}
	}
}

// Generated keys parse back, and the record carries the public half in
// the form each algorithm's verifiers read.
func TestGenerateDKIMKeyAndRecord(t *testing.T) {
	r, err := GenerateDKIMKey("r", "", 0, dkT0)
	if err != nil {
		t.Fatal(err)
	}
	key, alg, err := ParseDKIMKey(r.PrivateKey)
	if err != nil || alg != DKIMRSA || key.(*rsa.PrivateKey).N.BitLen() != 2048 {
		t.Fatalf("default key: %v %s", err, alg)
	}
	rec, err := DKIMRecord(&r)
	if err != nil || !strings.HasPrefix(rec, "v=DKIM1; k=rsa; p=") {
		t.Fatalf("record %q, %v", rec, err)
	}
	der, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(rec, "v=DKIM1; k=rsa; p="))
	if pub, err := x509.ParsePKIXPublicKey(der); err != nil || !pub.(*rsa.PublicKey).Equal(key.Public()) {
		t.Fatalf("p= is not the public key: %v", err)
	}

	e := dkSeedKey(t, "e")
	rec, _ = DKIMRecord(&e)
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(rec, "v=DKIM1; k=ed25519; p="))
	if want := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey); !want.Equal(ed25519.PublicKey(raw)) {
		t.Fatalf("ed25519 record %q is not the raw public key", rec)
	}

	for _, c := range []struct {
		alg  string
		bits int
		want string
	}{
		{DKIMRSA, 512, "not 512"},
		{DKIMEd25519, 2048, "no size"},
		{"dsa", 0, "unknown key type"},
	} {
		if _, err := GenerateDKIMKey("x", c.alg, c.bits, dkT0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("GenerateDKIMKey(%s, %d) = %v, want %q", c.alg, c.bits, err, c.want)
		}
	}
}

// PKCS #1 RSA keys (openssl genrsa's traditional output) are read; weak
// RSA keys and other algorithms are not.
func TestParseDKIMKey(t *testing.T) {
	r, _ := GenerateDKIMKey("r", DKIMRSA, 1024, dkT0)
	k, _, _ := ParseDKIMKey(r.PrivateKey)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.(*rsa.PrivateKey))}))
	if _, alg, err := ParseDKIMKey(pkcs1); err != nil || alg != DKIMRSA {
		t.Errorf("PKCS #1: %v", err)
	}
	for text, want := range map[string]string{
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n": "is not a private key",
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n": "cannot be read",
	} {
		if _, _, err := ParseDKIMKey(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDKIMKey = %v, want %q", err, want)
		}
	}
}

// Keys and profiles are objects of their own for Changes and Merge, and
// the whole section is absent from the JSON while never set.
func TestDomainKeysObjects(t *testing.T) {
	base := testConfig()
	if b, _ := json.Marshal(base); strings.Contains(string(b), "domainkeys") {
		t.Fatal("unset domainkeys written to the JSON")
	}
	withKey := base.Clone()
	withKey.DomainKeys.Keys = []DKIMKey{dkSeedKey(t, "k1")}
	mine, theirs := withKey.Clone(), withKey.Clone()
	mine.DomainKeys.Profiles = []DKIMProfile{{Name: "p1", Domain: "a.example", Selector: "s", Key: "k1"}}
	theirs.DomainKeys.Profiles = []DKIMProfile{{Name: "p2", Domain: "b.example", Selector: "s", Key: "k1"}}
	cs := Changes(withKey, mine)
	if len(cs) != 1 || cs[0].Object != "domainkeys profile p1" || cs[0].Kind != ChangeAdded {
		t.Fatalf("Changes = %+v", cs)
	}
	if cs := Changes(base, withKey); len(cs) != 1 || cs[0].Object != "domainkeys key k1" {
		t.Fatalf("Changes = %+v", cs)
	}
	got, conflicts := Merge(withKey, mine, theirs)
	if len(conflicts) != 0 || len(got.DomainKeys.Profiles) != 2 || got.DomainKeys.Profiles[0].Name != "p2" {
		t.Fatalf("Merge: conflicts %v, profiles %+v", conflicts, got.DomainKeys.Profiles)
	}
	theirs.DomainKeys.Profiles = []DKIMProfile{{Name: "P1", Domain: "c.example", Selector: "s", Key: "k1"}}
	if _, conflicts := Merge(withKey, mine, theirs); len(conflicts) != 1 || conflicts[0] != "domainkeys profile p1" {
		t.Fatalf("conflicts = %v, want the profile both added", conflicts)
	}
}
