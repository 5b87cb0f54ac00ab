package dkimverify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"seg/mta/dns"
)

const msg = "From: Alice <alice@example.test>\r\n" +
	"To: bob@dest.test\r\n" +
	"Subject: hello\r\n" +
	"\r\n" +
	"Hello Bob.\r\n"

// sign prepends a DKIM-Signature made with key for d= and s=.
func sign(t *testing.T, m, d, s string, key crypto.Signer) string {
	t.Helper()
	var b bytes.Buffer
	err := dkim.Sign(&b, strings.NewReader(m), &dkim.SignOptions{
		Domain: d, Selector: s, Signer: key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// keyRecord is the TXT record publishing key's public half (RFC 6376
// section 3.6.1).
func keyRecord(t *testing.T, key crypto.Signer) string {
	t.Helper()
	switch pub := key.Public().(type) {
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	default:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	}
}

func edKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVerify(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ed := edKey(t)
	other := edKey(t)
	r := &dns.Fake{
		TXT: map[string][]string{
			"rsa._domainkey.example.test":     {keyRecord(t, rsaKey)},
			"ed._domainkey.example.test":      {keyRecord(t, ed)},
			"revoked._domainkey.example.test": {"v=DKIM1; k=ed25519; p="},
		},
		Errors: map[string]error{"down._domainkey.example.test": dns.TempFail("down._domainkey.example.test", "TXT")},
	}
	signed := sign(t, msg, "example.test", "rsa", rsaKey)
	cases := []struct {
		name    string
		msg     string
		want    Result
		resolve dns.Resolver
	}{
		{"rsa pass", signed, Result{"example.test", "rsa", "@example.test", Pass, "signature verified"}, r},
		{"ed25519 pass", sign(t, msg, "example.test", "ed", ed), Result{"example.test", "ed", "@example.test", Pass, "signature verified"}, r},
		{"body changed", strings.Replace(signed, "Hello Bob.", "Hello Eve.", 1),
			Result{"example.test", "rsa", "@example.test", Fail, "body hash did not verify"}, r},
		{"signed header changed", strings.Replace(signed, "Subject: hello", "Subject: pay now", 1),
			Result{"example.test", "rsa", "@example.test", Fail, "signature did not verify"}, r},
		{"wrong key", sign(t, msg, "example.test", "ed", other),
			Result{"example.test", "ed", "@example.test", Fail, "signature did not verify"}, r},
		{"no key", sign(t, msg, "example.test", "gone", ed),
			Result{"example.test", "gone", "@example.test", PermError, "no key for signature"}, r},
		{"key revoked", sign(t, msg, "example.test", "revoked", ed),
			Result{"example.test", "revoked", "@example.test", PermError, "key revoked"}, r},
		{"SERVFAIL", sign(t, msg, "example.test", "down", ed),
			Result{"example.test", "down", "@example.test", TempError, "key unavailable"}, r},
		{"no resolver", signed, Result{"example.test", "rsa", "@example.test", TempError, "key unavailable"}, nil},
		{"missing tag", "DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=rsa; i=joe@example.test; h=from; b=AAAA\r\n" + msg,
			Result{"example.test", "rsa", "joe@example.test", PermError, "signature missing required tag"}, r},
	}
	for _, c := range cases {
		got, skipped := Verify(context.Background(), c.resolve, []byte(c.msg))
		if len(got) != 1 || got[0] != c.want || skipped != 0 {
			t.Errorf("%s: %+v (skipped %d), want [%+v]", c.name, got, skipped, c.want)
		}
	}
}

// A lookup past the deadline is a temporary failure, not a missing key.
func TestVerifyDeadline(t *testing.T) {
	ed := edKey(t)
	r := &dns.Fake{TXT: map[string][]string{"ed._domainkey.example.test": {keyRecord(t, ed)}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, _ := Verify(ctx, r, []byte(sign(t, msg, "example.test", "ed", ed)))
	if len(got) != 1 || got[0].Result != TempError {
		t.Errorf("expired deadline: %+v, want temperror", got)
	}
}

func TestVerifyNoSignature(t *testing.T) {
	r := &dns.Fake{}
	if got, skipped := Verify(context.Background(), r, []byte(msg)); got != nil || skipped != 0 {
		t.Errorf("unsigned message: %+v, %d", got, skipped)
	}
	if q := r.Queries(); len(q) != 0 {
		t.Errorf("unsigned message: lookups %q", q)
	}
	// A DKIM-Signature line in the body is not a signature.
	body := msg + "DKIM-Signature: v=1; d=example.test; s=x\r\n"
	if got, _ := Verify(context.Background(), r, []byte(body)); got != nil {
		t.Errorf("signature in the body: %+v", got)
	}
}

// Only the first MaxSignatures signatures are looked up and verified.
func TestVerifySignatureCap(t *testing.T) {
	ed := edKey(t)
	r := &dns.Fake{TXT: map[string][]string{"ed._domainkey.example.test": {keyRecord(t, ed)}}}
	m := msg
	for i := 0; i < MaxSignatures+2; i++ {
		m = sign(t, m, "example.test", "ed", ed)
	}
	got, skipped := Verify(context.Background(), r, []byte(m))
	if len(got) != MaxSignatures || skipped != 2 {
		t.Fatalf("%d signatures: %d results, %d skipped; want %d and 2", MaxSignatures+2, len(got), skipped, MaxSignatures)
	}
	if q := r.Queries(); len(q) != MaxSignatures {
		t.Errorf("lookups %q, want %d", q, MaxSignatures)
	}
	// Each signature covers the ones below it, so all pass.
	for i, g := range got {
		if g.Result != Pass {
			t.Errorf("signature %d: %+v", i, g)
		}
	}
}

// Several signatures: each result pairs with its own signature.
func TestVerifyPairsResults(t *testing.T) {
	ed := edKey(t)
	r := &dns.Fake{TXT: map[string][]string{"ed._domainkey.example.test": {keyRecord(t, ed)}}}
	m := sign(t, sign(t, msg, "other.test", "nokey", ed), "example.test", "ed", ed)
	got, _ := Verify(context.Background(), r, []byte(m))
	if len(got) != 2 || got[0].Domain != "example.test" || got[0].Result != Pass ||
		got[1].Domain != "other.test" || got[1].Result != PermError {
		t.Errorf("two signatures: %+v", got)
	}
}
