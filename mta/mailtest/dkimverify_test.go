package mailtest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"seg/internal/segtest"
)

// dkimKey is an RSA signing key the test controls.
type dkimKey struct{ *rsa.PrivateKey }

func newDKIMKey(t *testing.T) dkimKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return dkimKey{k}
}

// zone is the key record of name (SELECTOR._domainkey.DOMAIN) as a
// zone-file line. A 2048-bit key is longer than one TXT string holds (255
// octets), so it goes in several, as publishers write it (RFC 6376
// section 3.6.2.2): the resolver must join them.
func (k dkimKey) zone(t *testing.T, name string) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rec := "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	var parts []string
	for len(rec) > 200 {
		parts = append(parts, `"`+rec[:200]+`"`)
		rec = rec[200:]
	}
	parts = append(parts, `"`+rec+`"`)
	return name + ". 300 IN TXT " + strings.Join(parts, " ")
}

// sign prepends a DKIM-Signature by d= and s= (relaxed/relaxed).
func (k dkimKey) sign(t *testing.T, msg []byte, d, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	err := dkim.Sign(&b, bytes.NewReader(msg), &dkim.SignOptions{
		Domain: d, Selector: s, Signer: k.PrivateKey,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// senderAuthMessage is a message from author to bob@example.test; subject
// tells the messages apart at the sink.
func senderAuthMessage(author, subject string) []byte {
	return []byte("From: <" + author + ">\r\nTo: <bob@example.test>\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@client.test>\r\n\r\nHello Bob.\r\nThe second line.\r\n")
}

// sinkMessageBySubject finds the message whose Subject is subject among those the
// sink holds.
func sinkMessageBySubject(t *testing.T, sink *segtest.Sink, subject string) []byte {
	t.Helper()
	for _, m := range sink.Messages() {
		if bytes.Contains(m.Data, []byte("\r\nSubject: "+subject+"\r\n")) {
			return m.Data
		}
	}
	t.Fatalf("the sink has no message %q (%s)", subject, sink)
	return nil
}

// senderAuthAppliance is an appliance taking mail for example.test from 127.0.0.2
// (the listener defaults' policy), delivering it to sink, resolving with
// the DNS server at dnsAddr, with the given listener defaults.
func senderAuthAppliance(t *testing.T, sink *segtest.Sink, dnsAddr, hatParams string) *segtest.Appliance {
	t.Helper()
	a := segtest.New(t,
		"dnsconfig setup --servers "+dnsAddr,
		"smtproutes new example.test "+sink.Addr(),
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"listenerconfig edit IncomingMail hostaccess default "+hatParams)
	a.Start()
	return a
}

// TestDKIMVerificationEndToEnd: against a real DNS server serving the
// test's key, the real binary verifies what a real SMTP client sends: a
// signed message passes, a copy with its body changed fails the body
// hash, a signature whose key is not published and one whose key lookup
// gets SERVFAIL have their lines, and an unsigned message says so. Each
// is delivered with its Authentication-Results clause.
func TestDKIMVerificationEndToEnd(t *testing.T) {
	key := newDKIMKey(t)
	dnsAddr := segtest.NewFailingDNS(t, []string{"down._domainkey.signed.test"}, nil,
		key.zone(t, "sel._domainkey.signed.test"))
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := senderAuthAppliance(t, sink, dnsAddr, "--dkim_verification=on")

	signed := key.sign(t, senderAuthMessage("alice@signed.test", "signed"), "signed.test", "sel")
	tampered := bytes.Replace(key.sign(t, senderAuthMessage("alice@signed.test", "tampered"), "signed.test", "sel"),
		[]byte("The second line."), []byte("The second line, changed."), 1)
	cases := []struct {
		subject string
		msg     []byte
		line    string // after "MID n "
		clause  string
	}{
		{"signed", signed,
			"DKIM: pass signature verified (d=signed.test s=sel i=@signed.test)",
			"dkim=pass header.d=signed.test header.s=sel header.i=@signed.test"},
		{"tampered", tampered,
			"DKIM: permfail body hash did not verify [final] (d=signed.test s=sel i=@signed.test)",
			"dkim=fail (body hash did not verify) header.d=signed.test header.s=sel header.i=@signed.test"},
		{"nokey", key.sign(t, senderAuthMessage("alice@signed.test", "nokey"), "signed.test", "gone"),
			"DKIM: permfail no key for signature [final] (d=signed.test s=gone i=@signed.test)",
			"dkim=permerror (no key for signature) header.d=signed.test header.s=gone header.i=@signed.test"},
		{"servfail", key.sign(t, senderAuthMessage("alice@signed.test", "servfail"), "signed.test", "down"),
			"DKIM: temperror key unavailable (d=signed.test s=down i=@signed.test)",
			"dkim=temperror (key unavailable) header.d=signed.test header.s=down header.i=@signed.test"},
		{"unsigned", senderAuthMessage("alice@signed.test", "unsigned"), "DKIM: no signature", "dkim=none"},
	}
	client := segtest.Client{LocalIP: "127.0.0.2"}
	mids := map[string]int64{}
	for _, c := range cases {
		mid, err := client.Send(a.SMTPAddr(), "alice@signed.test", []string{"bob@example.test"}, c.msg)
		if err != nil {
			t.Fatalf("%s: %v", c.subject, err)
		}
		mids[c.subject] = mid
	}
	sink.WaitCount(t, len(cases), 30*time.Second)
	for _, c := range cases {
		a.WaitLog(t, "Info: MID "+strconv.FormatInt(mids[c.subject], 10)+" "+c.line+"\n", 10*time.Second)
		got := sinkMessageBySubject(t, sink, c.subject)
		want := "Authentication-Results: seg.localdomain;\r\n\t" + c.clause + "\r\nReceived: from client.test"
		if !bytes.HasPrefix(got, []byte(want)) {
			t.Errorf("%s: delivered message starts\n%q\nwant\n%q", c.subject, headLines(got, 3), want)
		}
	}
	a.Stop()
}

// headLines is the first n lines of b.
func headLines(b []byte, n int) string {
	lines := strings.SplitAfterN(string(b), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "")
}
