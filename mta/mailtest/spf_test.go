package mailtest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// spfDNS serves the SPF records of the tests. The clients connect from
// 127.0.0.21 to 127.0.0.29; only 127.0.0.21 is authorised anywhere.
func spfDNS(t *testing.T) string {
	return segtest.NewFailingDNS(t, []string{"servfail.test"}, []string{"silent.test"},
		`helo.test. 60 IN TXT "v=spf1 ip4:127.0.0.0/8 -all"`,
		`pass.test. 60 IN TXT "v=spf1 mx ip4:127.0.0.21 -all"`,
		`pass.test. 60 IN MX 10 mx.pass.test.`,
		`mx.pass.test. 60 IN A 127.0.0.23`,
		`fail.test. 60 IN TXT "v=spf1 ip4:127.0.0.21 -all"`,
		`soft.test. 60 IN TXT "v=spf1 ip4:127.0.0.21 ~all"`,
		`neutral.test. 60 IN TXT "v=spf1 ip4:127.0.0.21 ?all"`,
		`none.test. 60 IN A 127.0.0.21`,
		`none.test. 60 IN TXT "not an SPF record"`,
		`two.test. 60 IN TXT "v=spf1 ip4:127.0.0.21 -all"`,
		`two.test. 60 IN TXT "v=spf1 +all"`,
		`syntax.test. 60 IN TXT "v=spf1 ip4:127.0.0.300 -all"`,
		// Sender ID: the PRA scope passes 127.0.0.21 only; v=spf1 would
		// pass anybody, and is not read for the PRA at sidf_compatible.
		`pra.test. 60 IN TXT "spf2.0/pra ip4:127.0.0.21 -all"`,
		`pra.test. 60 IN TXT "v=spf1 +all"`,
	)
}

// receivedSPF returns the unfolded Received-SPF field of the message
// that says identity=identity, or "".
func receivedSPF(data []byte, identity string) string {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	unfolded := strings.NewReplacer("\r\n\t", " ", "\r\n ", " ").Replace(string(head))
	for _, l := range strings.Split(unfolded, "\r\n") {
		if strings.HasPrefix(l, "Received-SPF: ") && strings.Contains(l, "identity="+identity+";") {
			return l
		}
	}
	return ""
}

// TestSPFResults: with spf on, each SPF result of the MAIL FROM identity
// gets its Received-SPF field in the delivered message, its
// Authentication-Results clause and its mail_logs line; the HELO identity
// too. Each case connects from a loopback address of its own.
func TestSPFResults(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, append(ratExample(sink),
		"dnsconfig setup --servers "+spfDNS(t),
		"listenerconfig edit IncomingMail hostaccess default --spf=on")...)
	a.Start()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mail_logs ends:\n%s", tailLines(a.MailLog(), 60))
		}
	})
	cases := []struct {
		ip, from, result, why string
	}{
		{"127.0.0.21", "u@pass.test", "Pass", "designates 127.0.0.21 as permitted sender"},
		{"127.0.0.23", "u@pass.test", "Pass", "designates 127.0.0.23 as permitted sender"}, // by its mx
		{"127.0.0.22", "u@fail.test", "Fail", "does not designate 127.0.0.22 as permitted sender"},
		{"127.0.0.24", "u@soft.test", "SoftFail", "domain of transitioning u@soft.test"},
		{"127.0.0.25", "u@neutral.test", "Neutral", "127.0.0.25 is neither permitted nor denied"},
		{"127.0.0.26", "u@none.test", "None", "does not designate permitted sender hosts"},
		{"127.0.0.26", "u@nx.test", "None", "does not designate permitted sender hosts"},
		{"127.0.0.27", "u@servfail.test", "TempError", "temporary error"},
		{"127.0.0.27", "u@silent.test", "TempError", "temporary error"},
		{"127.0.0.28", "u@two.test", "PermError", "permanent error"},
		{"127.0.0.28", "u@syntax.test", "PermError", "permanent error"},
	}
	// The cases run at once: a silent DNS server holds up only its own
	// session.
	mids := make([]int64, len(cases))
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := fmt.Sprintf("From: x@helo.test\r\nSubject: case %d\r\n\r\nbody\r\n", i)
			cl := segtest.Client{LocalIP: c.ip, Helo: "helo.test"}
			mids[i], errs[i] = cl.Send(a.SMTPAddr(), c.from, []string{"r@example.test"}, []byte(msg))
		}()
	}
	wg.Wait()
	got := map[string][]byte{}
	for _, m := range sink.WaitCount(t, len(cases), 30*time.Second) {
		_, subject, _ := bytes.Cut(m.Data, []byte("Subject: case "))
		n, _, _ := bytes.Cut(subject, []byte("\r\n"))
		got[string(n)] = m.Data
	}
	for i, c := range cases {
		if errs[i] != nil {
			t.Errorf("%s from %s: %v", c.from, c.ip, errs[i])
			continue
		}
		data := got[fmt.Sprint(i)]
		hdr := receivedSPF(data, "mailfrom")
		if !strings.HasPrefix(hdr, "Received-SPF: "+c.result+" (") || !strings.Contains(hdr, c.why) ||
			!strings.Contains(hdr, "client-ip="+c.ip+";") || !strings.Contains(hdr, `envelope-from="`+c.from+`";`) {
			t.Errorf("%s from %s: %q, want %s (%s)", c.from, c.ip, hdr, c.result, c.why)
		}
		if ar := "spf=" + strings.ToLower(c.result) + " smtp.mailfrom=" + c.from; !bytes.Contains(data, []byte(ar)) {
			t.Errorf("%s from %s: no %q in\n%s", c.from, c.ip, ar, data)
		}
		if h := receivedSPF(data, "helo"); !strings.HasPrefix(h, "Received-SPF: Pass (") || !strings.Contains(h, "postmaster@helo.test") {
			t.Errorf("%s from %s: HELO identity %q", c.from, c.ip, h)
		}
		a.WaitLog(t, fmt.Sprintf("MID %d SPF: mailfrom identity %s %s (v=spf1)", mids[i], c.from, c.result), 5*time.Second)
		a.WaitLog(t, fmt.Sprintf("MID %d SPF: helo identity postmaster@helo.test Pass", mids[i]), 5*time.Second)
	}
}

// TestSPFFailReject: spf_fail_action reject refuses a MAIL FROM Fail at
// MAIL and a PRA Fail after DATA with 550 5.7.1; a PRA pass under
// sidf_compatible is delivered with its header, and with
// spf_downgrade_pra on, a pass for a PRA taken from Resent-From is None.
func TestSPFFailReject(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, append(ratExample(sink),
		"dnsconfig setup --servers "+spfDNS(t),
		"listenerconfig edit IncomingMail hostaccess default --spf=on --spf_fail_action=reject --spf_helo_test=off --spf_downgrade_pra=on")...)
	a.Start()
	addr := a.SMTPAddr()
	if got := mailFromReply(t, addr, "127.0.0.22", "u@fail.test"); got != "550 5.7.1 SPF check failed" {
		t.Errorf("MAIL FROM Fail: %q", got)
	}
	a.WaitLog(t, "SPF: mailfrom identity u@fail.test Fail (v=spf1)", 5*time.Second)

	// The PRA, From: b@pra.test, passes 127.0.0.21 only.
	msg := []byte("From: b@pra.test\r\nSubject: pra\r\n\r\nbody\r\n")
	_, err := segtest.Client{LocalIP: "127.0.0.29"}.Send(addr, "u@neutral.test", []string{"r@example.test"}, msg)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) || se.Message != "SPF check failed" {
		t.Errorf("PRA Fail: %v, want 550 5.7.1 SPF check failed after DATA", err)
	}
	a.WaitLog(t, "SPF: pra identity b@pra.test Fail", 5*time.Second)

	mid, err := segtest.Client{LocalIP: "127.0.0.21"}.Send(addr, "u@pass.test", []string{"r@example.test"}, msg)
	if err != nil {
		t.Fatalf("PRA pass: %v", err)
	}
	data := sink.WaitCount(t, 1, 20*time.Second)[0].Data
	if h := receivedSPF(data, "pra"); !strings.HasPrefix(h, "Received-SPF: Pass (") || !strings.Contains(h, `x-sender="b@pra.test"`) ||
		!strings.Contains(h, "x-conformance=sidf_compatible") {
		t.Errorf("PRA pass: %q", h)
	}
	if !bytes.Contains(data, []byte("sender-id=pass header.from=b@pra.test")) {
		t.Errorf("PRA pass: no sender-id clause in\n%s", data)
	}
	if receivedSPF(data, "helo") != "" {
		t.Error("spf_helo_test off, but a HELO Received-SPF field")
	}
	a.WaitLog(t, fmt.Sprintf("MID %d SPF: pra identity b@pra.test Pass", mid), 5*time.Second)

	resent := []byte("Resent-From: b@pra.test\r\nFrom: c@fail.test\r\nSubject: resent\r\n\r\nbody\r\n")
	mid, err = segtest.Client{LocalIP: "127.0.0.21"}.Send(addr, "u@pass.test", []string{"r@example.test"}, resent)
	if err != nil {
		t.Fatalf("resent: %v", err)
	}
	data = sink.WaitCount(t, 2, 20*time.Second)[1].Data
	if h := receivedSPF(data, "pra"); !strings.HasPrefix(h, "Received-SPF: None (") || !strings.Contains(h, "PRA pass downgraded to none: the PRA came from Resent-From") {
		t.Errorf("downgraded PRA: %q", h)
	}
	a.WaitLog(t, fmt.Sprintf("MID %d SPF: pra identity b@pra.test None", mid), 5*time.Second)
	a.Stop()
}
