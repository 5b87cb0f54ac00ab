package mailtest

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// TestDMARCEndToEnd: with dmarc_verification on and the DEFAULT profile,
// against a real DNS server publishing the policies: a message whose
// aligned DKIM signature verifies passes under p=reject; an unsigned one
// is refused after DATA with the profile's 550 under p=reject, delivered
// with X-DMARC-Quarantine: yes under p=quarantine, and delivered as is
// under p=none. Each has its mail_logs lines and, when delivered, its
// Authentication-Results clause.
func TestDMARCEndToEnd(t *testing.T) {
	key := newDKIMKey(t)
	dnsAddr := segtest.NewDNS(t,
		key.zone(t, "sel._domainkey.reject.test"),
		`_dmarc.reject.test. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@reject.test"`,
		`_dmarc.quarantine.test. 300 IN TXT "v=DMARC1; p=quarantine"`,
		`_dmarc.none.test. 300 IN TXT "v=DMARC1; p=none"`,
		`spf.test. 300 IN TXT "v=spf1 ip4:127.0.0.2 -all"`,
		`_dmarc.spf.test. 300 IN TXT "v=DMARC1; p=reject"`)
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := senderAuthAppliance(t, sink, dnsAddr, "--dmarc_verification=on")
	client := segtest.Client{LocalIP: "127.0.0.2"}
	send := func(author string, msg []byte) (int64, error) {
		t.Helper()
		return client.Send(a.SMTPAddr(), author, []string{"bob@example.test"}, msg)
	}
	waitLines := func(mid int64, lines ...string) {
		t.Helper()
		for _, l := range lines {
			a.WaitLog(t, "Info: MID "+strconv.FormatInt(mid, 10)+" "+l+"\n", 10*time.Second)
		}
	}

	// p=reject, unsigned: refused after DATA.
	_, err := send("u@reject.test", senderAuthMessage("u@reject.test", "forged"))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.Message != "#5.7.1 DMARC unauthenticated mail is prohibited" {
		t.Fatalf("unaligned mail under p=reject: %v, want 550 #5.7.1 DMARC unauthenticated mail is prohibited", err)
	}
	log := a.WaitLog(t, "DMARC: Verification failed", 10*time.Second)
	for _, l := range []string{
		"DMARC: Message from domain reject.test, DMARC fail (SPF aligned False, DKIM aligned False)",
		"DMARC: Message from domain reject.test, policy reject, action reject",
	} {
		if !strings.Contains(log, l+"\n") {
			t.Errorf("missing %q in\n%s", l, tailLines(log, 20))
		}
	}

	// p=reject, signed by the From: domain: passes.
	mid, err := send("u@reject.test", key.sign(t, senderAuthMessage("u@reject.test", "aligned"), "reject.test", "sel"))
	if err != nil {
		t.Fatalf("aligned mail under p=reject: %v", err)
	}
	waitLines(mid, "DMARC: Message from domain reject.test, DMARC pass (SPF aligned False, DKIM aligned True)", "DMARC: Verification passed")

	// p=reject, unsigned, but the MAIL FROM domain's SPF passes and is
	// the From: domain: SPF alignment alone passes. The policy's spf is
	// off: DMARC runs the check itself, without a header or an SPF line.
	smid, err := send("u@spf.test", senderAuthMessage("u@spf.test", "spf-aligned"))
	if err != nil {
		t.Fatalf("SPF-aligned mail under p=reject: %v", err)
	}
	waitLines(smid, "DMARC: Message from domain spf.test, DMARC pass (SPF aligned True, DKIM aligned False)", "DMARC: Verification passed")
	if log := a.WaitLog(t, "DMARC: Verification passed", time.Second); strings.Contains(log, "MID "+strconv.FormatInt(smid, 10)+" SPF: ") {
		t.Errorf("spf off: DMARC's own SPF check wrote an SPF line")
	}

	// p=quarantine: delivered with the header.
	qmid, err := send("u@quarantine.test", senderAuthMessage("u@quarantine.test", "quarantined"))
	if err != nil {
		t.Fatalf("unaligned mail under p=quarantine: %v", err)
	}
	waitLines(qmid, "DMARC: Message from domain quarantine.test, policy quarantine, action quarantine", "DMARC: Verification failed")

	// p=none: delivered as is.
	nmid, err := send("u@none.test", senderAuthMessage("u@none.test", "monitored"))
	if err != nil {
		t.Fatalf("unaligned mail under p=none: %v", err)
	}
	waitLines(nmid, "DMARC: Message from domain none.test, policy none, action none")

	sink.WaitCount(t, 4, 30*time.Second)
	if n := sink.Count(); n != 4 {
		t.Errorf("the sink has %d messages, want 4 (the refused one never left)", n)
	}
	for _, c := range []struct {
		subject, clause string
		quarantined     bool
	}{
		{"aligned", "dmarc=pass (p=reject dis=none) header.from=reject.test", false},
		{"spf-aligned", "dmarc=pass (p=reject dis=none) header.from=spf.test", false},
		{"quarantined", "dmarc=fail (p=quarantine dis=quarantine) header.from=quarantine.test", true},
		{"monitored", "dmarc=fail (p=none dis=none) header.from=none.test", false},
	} {
		got := sinkMessageBySubject(t, sink, c.subject)
		trace, _, _ := bytes.Cut(got, []byte("Received: "))
		if !bytes.HasPrefix(trace, []byte("Authentication-Results: seg.localdomain;\r\n\t"+c.clause+"\r\n")) {
			t.Errorf("%s: delivered message starts\n%q\nwant the clause %q", c.subject, headLines(got, 3), c.clause)
		}
		if q := bytes.Contains(trace, []byte("\r\nX-DMARC-Quarantine: yes\r\n")); q != c.quarantined {
			t.Errorf("%s: X-DMARC-Quarantine %v, want %v:\n%s", c.subject, q, c.quarantined, headLines(got, 4))
		}
	}
	a.Stop()
}

// TestAuthResultsRemovedEndToEnd: an Authentication-Results field that
// claims seg's hostname as its authserv-id does not reach the recipient
// (RFC 8601 section 5); one of another host does.
func TestAuthResultsRemovedEndToEnd(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := senderAuthAppliance(t, sink, segtest.NewDNS(t), "--dkim_verification=off")
	msg := append([]byte("Authentication-Results: seg.localdomain; dkim=pass header.d=bank.test\r\n"+
		"Authentication-Results: mx.other.test; spf=pass smtp.mailfrom=bank.test\r\n"),
		senderAuthMessage("ceo@bank.test", "forged-results")...)
	mid, err := (segtest.Client{LocalIP: "127.0.0.2"}).Send(a.SMTPAddr(), "ceo@bank.test", []string{"bob@example.test"}, msg)
	if err != nil {
		t.Fatal(err)
	}
	sink.WaitCount(t, 1, 30*time.Second)
	got := sinkMessageBySubject(t, sink, "forged-results")
	if !bytes.Contains(got, []byte("\r\nAuthentication-Results: mx.other.test; spf=pass")) || bytes.Contains(got, []byte("seg.localdomain; dkim=pass")) {
		t.Errorf("delivered:\n%s", got)
	}
	a.WaitLog(t, "Info: MID "+strconv.FormatInt(mid, 10)+" removed 1 Authentication-Results header(s) claiming this host's authserv-id seg.localdomain (RFC 8601 section 5)\n", 10*time.Second)
	a.Stop()
}
