package configcmd

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"seg/shell/shelltest"
	"seg/store"
)

// edSeedPEM is an Ed25519 key from a fixed seed, so that the record
// dnstxt prints is the same in every run.
func edSeedPEM(t testing.TB) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestDomainkeysBatch(t *testing.T) {
	b := newBatch(t)
	if got := b.ok("domainkeys print"); got != "There are no signing keys.\n\nThere are no signing profiles.\n" {
		t.Errorf("print: %q", got)
	}
	if got := b.ok("domainkeys key new k1 --bits 1024"); got != "Key k1 generated (RSA 1024).\n" {
		t.Errorf("key new: %q", got)
	}
	b.ok("domainkeys key new k2 --type ed25519")
	os.MkdirAll(b.h.S.ConfigDir(), 0o700)
	secret := edSeedPEM(t)
	os.WriteFile(b.configPath("ed.pem"), secret, 0o600)
	os.WriteFile(b.configPath("junk.pem"), []byte("-----BEGIN PRIVATE KEY-----\nc2VjcmV0IHRleHQ=\n-----END PRIVATE KEY-----\n"), 0o600)
	if got := b.ok("domainkeys key import k3 ed.pem"); got != "Key k3 imported (Ed25519).\n" {
		t.Errorf("key import: %q", got)
	}
	b.fail("domainkeys key import k4 junk.pem", "junk.pem: the private key cannot be read.")
	b.fail("domainkeys key import k4 ../ed.pem", "Error:")
	b.fail("domainkeys key import k4 nothere.pem", "Error:")
	b.fail("domainkeys key new K1", "A signing key named K1 already exists.")
	b.fail("domainkeys key new 1x", `"1x" is not a valid key name`)
	b.fail("domainkeys key new x --bits 512", "Cannot generate the key: RSA keys have 1024, 2048, 3072 or 4096 bits, not 512.")
	b.fail("domainkeys key new x --type ed25519 --bits 2048", "--bits is 1024, 2048, 3072 or 4096, for RSA keys only.")
	b.fail("domainkeys key new x --type dsa", "unknown key type")
	b.fail("domainkeys key new", "Usage: domainkeys key new NAME")
	b.fail("domainkeys key bogus", `Unknown domainkeys key operation "bogus"`)

	b.ok("domainkeys profile new p1 --domain Example.COM --selector S1 --key K1")
	b.ok("domainkeys profile new p2 --domain example.com --selector ed --key k3 --users ceo@example.com,.example.com --canon relaxed/simple --headers From,From,Subject")
	p := b.cfg().DomainKeys.Profiles
	if p[0].Domain != "example.com" || p[0].Selector != "s1" || p[0].Key != "k1" || p[0].Canon != "" || p[0].Headers != nil {
		t.Errorf("p1 = %+v", p[0])
	}
	if strings.Join(p[1].Users, " ") != "ceo@example.com @.example.com" || p[1].Canon != "relaxed/simple" || len(p[1].Headers) != 3 {
		t.Errorf("p2 = %+v", p[1])
	}
	b.fail("domainkeys profile new p3 --domain example.com --selector s3 --key k2", `Profile "p1" already signs for domain "example.com" with the same user list.`)
	b.fail("domainkeys profile new p3 --domain example.com --selector s3 --key nokey", "There is no signing key named nokey")
	b.fail("domainkeys profile new p3 --domain ex_ample.com --selector s3 --key k2", "not a valid domain name")
	b.fail("domainkeys profile new p3 --domain a.example --selector _s --key k2", "is not a valid selector")
	b.fail("domainkeys profile new p3 --domain a.example --selector s --key k2 --headers Subject", "The header list must include From")
	b.fail("domainkeys profile new p3 --domain a.example --selector s --key k2 --canon relaxed", "--canon is one of")
	b.fail("domainkeys profile new p3 --domain a.example --selector s --key k2 --users a@@b", "is not a valid user entry")
	b.fail("domainkeys profile new P1 --domain a.example --selector s --key k2", "A signing profile named P1 already exists.")
	b.fail("domainkeys profile new p3 --domain a.example", "Usage: domainkeys profile new NAME")
	b.fail("domainkeys profile edit p1", "Usage: domainkeys profile edit NAME")
	// Editing p2 into p1's place (no user list) is refused, though the
	// problem is reported against the later profile.
	b.fail("domainkeys profile edit p2 --users ALL", `Profile "p1" already signs`)
	b.ok("domainkeys profile edit p2 --users ceo@example.com --headers DEFAULT")
	if p := b.cfg().DomainKeys.Profile("p2"); len(p.Users) != 1 || p.Headers != nil {
		t.Errorf("edited p2 = %+v", p)
	}

	got := b.ok("domainkeys dnstxt p2")
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)).Public().(ed25519.PublicKey)
	k3 := b.cfg().DomainKeys.Key("k3")
	rec, _ := store.DKIMRecord(k3)
	if want := `ed._domainkey.example.com. IN TXT "` + rec + "\"\n"; got != want || !strings.Contains(rec, "k=ed25519") || len(pub) != 32 {
		t.Errorf("dnstxt: %q, want %q", got, want)
	}
	// An RSA 2048 record is over 255 octets: strings that join to the
	// record.
	b.ok("domainkeys key new big")
	b.ok("domainkeys profile new big --domain big.example --selector s --key big")
	got = b.ok("domainkeys dnstxt big")
	parts := regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(got, -1)
	joined := ""
	for _, p := range parts {
		if len(p[1]) > 255 {
			t.Errorf("a string of %d octets", len(p[1]))
		}
		joined += p[1]
	}
	rec, _ = store.DKIMRecord(b.cfg().DomainKeys.Key("big"))
	if len(parts) < 2 || joined != rec || !strings.HasPrefix(got, "s._domainkey.big.example. IN TXT ") {
		t.Errorf("dnstxt of a 2048-bit key: %q", got)
	}
	b.fail("domainkeys dnstxt nope", "There is no signing profile named nope")

	b.fail("domainkeys key delete k3", "Key k3 is used by profile p2; delete the profile or give it another key first")
	b.fail("domainkeys key delete nope", "There is no signing key named nope")
	b.ok("domainkeys key delete k2")

	// Nothing prints a private key; showconfig masks them.
	all := b.ok("domainkeys print") + b.ok("domainkeys key print") + b.ok("domainkeys profile print") + b.ok("domainkeys profile print p2")
	if strings.Contains(all, "PRIVATE") {
		t.Errorf("print shows a private key:\n%s", all)
	}
	if !strings.Contains(all, "k3   Ed25519") || !strings.Contains(all, "Users: ceo@example.com") || !strings.Contains(all, "Headers: From, Sender,") {
		t.Errorf("print:\n%s", all)
	}
	if show := b.ok("showconfig"); strings.Contains(show, "PRIVATE KEY") || !strings.Contains(show, `"private_key": "*****"`) {
		t.Errorf("showconfig does not mask the keys")
	}
	b.commit()
	b.ok("domainkeys profile delete p1")
	b.ok("domainkeys key delete k1")
	b.commit()

	// Completion: operations, key and profile names, options.
	ctx := b.ctx()
	cmd, _ := b.h.S.Commands.Lookup("domainkeys")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{""}, "profile"},
		{[]string{"key", ""}, "import"},
		{[]string{"key", "delete", ""}, "k3"},
		{[]string{"profile", "edit", ""}, "p2"},
		{[]string{"profile", "new", "x", "--key", ""}, "k3"},
		{[]string{"profile", "new", "x", ""}, "--selector"},
		{[]string{"dnstxt", ""}, "p2"},
	} {
		if got := cmd.Complete(ctx, c.args); !contains(got, c.want) {
			t.Errorf("complete %q = %q, want %s among them", c.args, got, c.want)
		}
	}
}

// Operators may change the keys; read-only users may print them, and
// may not read a key file.
func TestDomainkeysAccess(t *testing.T) {
	b := newBatch(t)
	b.h.S.Role = store.RoleReadOnly
	b.ok("domainkeys print")
	b.fail("domainkeys key new k1", "You are not in the correct access group")
	b.h.S.Role = store.RoleOperator
	b.ok("domainkeys key new k1 --type ed25519")
}

func TestDomainkeysTranscript(t *testing.T) {
	shelltest.RunFile(t, testRegistry(), newStore(t), filepath.Join("testdata", "domainkeys.txt"), func(h *shelltest.Harness) {
		os.MkdirAll(h.S.ConfigDir(), 0o700)
		if err := os.WriteFile(filepath.Join(h.S.ConfigDir(), "ed.pem"), edSeedPEM(t), 0o600); err != nil {
			t.Fatal(err)
		}
	})
}
