package mailtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// dkimpyVerify is Debian's dkimpy (python3-dkim) verifying the message on
// its standard input, with the public keys asked of the test's DNS
// server (argv[1] is its port): it prints "pass D S" or "fail D S" (the
// reason on stderr).
const dkimpyVerify = `
import sys, dkim, dns.resolver
r = dns.resolver.Resolver(configure=False)
r.nameservers = ["127.0.0.1"]
r.port = int(sys.argv[1])
def txt(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    try:
        ans = r.resolve(name, "TXT", lifetime=timeout)
    except Exception:
        return None
    for rd in ans:
        return b"".join(rd.strings)
d = dkim.DKIM(sys.stdin.buffer.read())
try:
    ok = d.verify(dnsfunc=txt)
except dkim.DKIMException as e:
    ok = False
    print(e, file=sys.stderr)
dom = (d.domain or b"-").decode()
sel = (d.selector or b"-").decode()
print("pass" if ok else "fail", dom, sel)
`

// verifyWithDkimpy runs dkimpy on msg and returns its verdict line.
func verifyWithDkimpy(t *testing.T, dnsPort string, msg []byte) string {
	t.Helper()
	// The system's Python: the one first on PATH may lack python3-dkim.
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Fatalf("%s is missing: run scripts/deps.sh (Debian: apt-get install python3-dkim)", py)
	}
	r, err := segtest.Exec(exec.Command(py, "-c", dkimpyVerify, dnsPort), string(msg), 60*time.Second)
	if err != nil || r.Code != 0 {
		t.Fatalf("dkimpy: %v\n%s", err, r)
	}
	return strings.TrimSpace(r.Stdout)
}

// dnstxtRecord turns `domainkeys dnstxt` output ("S._domainkey.D. IN TXT
// "..." "..."") into a zone line the test's DNS server serves.
func dnstxtRecord(t *testing.T, out string) string {
	t.Helper()
	out = strings.TrimSpace(out)
	name, rest, ok := strings.Cut(out, " IN TXT ")
	if !ok || !strings.HasSuffix(name, ".") || !strings.HasPrefix(rest, `"`) || strings.Contains(out, "\n") {
		t.Fatalf("domainkeys dnstxt printed %q", out)
	}
	return name + " 300 IN TXT " + rest
}

// TestDKIMSigning: keys made by `domainkeys key new` (RSA 2048 and
// Ed25519) and one imported from a PEM file sign mail relayed through a
// RELAY policy with dkim_signing on; the records `domainkeys dnstxt`
// prints, served by a real DNS server, let dkimpy verify what the sink
// received. A From: no profile covers is logged and not signed, nor is
// mail that is not relayed.
func TestDKIMSigning(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new remote.test "+sink.Addr(),
		"listenerconfig edit IncomingMail rcptaccess new remote.test ACCEPT",
		"listenerconfig edit IncomingMail hostaccess default --dkim_signing=on",
		"domainkeys key new rk",
		"domainkeys key new ek --type ed25519",
		"domainkeys profile new prsa --domain rsa.test --selector s2048 --key rk",
		"domainkeys profile new ped --domain ed.test --selector sed --key ek",
	)
	// A key from a file: an Ed25519 key of a fixed seed, written where
	// AsyncOS and seg read imports (DATA/configuration).
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.Dir, "configuration", "imported.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	a.MustCli("domainkeys key import ik imported.pem ; domainkeys profile new pimp --domain imp.test --selector s1 --key ik --users .imp.test ; commit imported key")
	if out := a.MustCli("domainkeys key print"); !strings.Contains(out, "RSA 2048") || !strings.Contains(out, "ek   Ed25519") || strings.Contains(out, "PRIVATE") {
		t.Fatalf("domainkeys key print:\n%s", out)
	}
	var zone []string
	for _, p := range []string{"prsa", "ped", "pimp"} {
		zone = append(zone, dnstxtRecord(t, a.MustCli("domainkeys dnstxt "+p)))
	}
	dnsAddr := segtest.NewDNS(t, zone...)
	_, dnsPort, _ := strings.Cut(dnsAddr, ":")
	a.Start()

	relay := segtest.Client{LocalIP: "127.0.0.1"} // RELAYLIST: $RELAYED
	send := func(c segtest.Client, from, subject string) int64 {
		t.Helper()
		msg := []byte("From: Sender <" + from + ">\r\nTo: <r@remote.test>\r\nSubject: " + subject +
			"\r\nDate: Mon, 7 Dec 2026 01:00:00 +0000\r\nMessage-ID: <" + subject + "@client.test>\r\n\r\nHello,\r\n  signed   body.\r\n")
		mid, err := c.Send(a.SMTPAddr(), "env@client.test", []string{"r@remote.test"}, msg)
		if err != nil {
			t.Fatalf("sending %s: %v", subject, err)
		}
		return mid
	}
	cases := []struct{ from, subject, want string }{
		{"a@rsa.test", "rsa", "pass rsa.test s2048"},
		{"b@ed.test", "ed", "pass ed.test sed"},
		{"c@mail.imp.test", "imported", "pass imp.test s1"}, // a subdomain, by the user list
	}
	for _, c := range cases {
		mid := send(relay, c.from, c.subject)
		d, s := strings.Fields(c.want)[1], strings.Fields(c.want)[2]
		a.WaitLog(t, "MID "+strconv.FormatInt(mid, 10)+" DKIM: signed d="+d+" s="+s, 20*time.Second)
	}
	noProfile := send(relay, "d@none.test", "none")
	a.WaitLog(t, "MID "+strconv.FormatInt(noProfile, 10)+" DKIM: cannot sign - no profile matches d@none.test", 20*time.Second)
	notRelayed := send(segtest.Client{LocalIP: "127.0.0.2"}, "a@rsa.test", "inbound") // ALL: $ACCEPTED

	got := sink.WaitCount(t, 5, 30*time.Second)
	bySubject := map[string][]byte{}
	for _, m := range got {
		for _, s := range []string{"rsa", "ed", "imported", "none", "inbound"} {
			if bytes.Contains(m.Data, []byte("Subject: "+s+"\r\n")) {
				bySubject[s] = m.Data
			}
		}
	}
	for _, c := range cases {
		data := bySubject[c.subject]
		if !bytes.HasPrefix(data, []byte("DKIM-Signature: ")) {
			t.Errorf("%s: delivered without a signature first:\n%.300s", c.subject, data)
			continue
		}
		if v := verifyWithDkimpy(t, dnsPort, data); v != c.want {
			t.Errorf("%s: dkimpy says %q, want %q", c.subject, v, c.want)
		}
		// A changed body no longer verifies.
		tampered := bytes.Replace(data, []byte("signed   body"), []byte("signed   bodY"), 1)
		if v := verifyWithDkimpy(t, dnsPort, tampered); !strings.HasPrefix(v, "fail ") {
			t.Errorf("%s: tampered copy: dkimpy says %q", c.subject, v)
		}
	}
	for _, s := range []string{"none", "inbound"} {
		if data := bySubject[s]; data == nil || bytes.Contains(data, []byte("DKIM-Signature")) {
			t.Errorf("%s: missing or signed:\n%.300s", s, data)
		}
	}
	if n := a.CountLog("MID " + strconv.FormatInt(notRelayed, 10) + " DKIM"); n != 0 {
		t.Errorf("the inbound message has %d DKIM lines", n)
	}
	a.Stop()
}
