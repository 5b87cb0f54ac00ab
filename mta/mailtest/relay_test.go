package mailtest

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// TestNoRelayFromUnlistedHost: under the embedded default (RELAYLIST
// holds 127.0.0.1 only, RAT ALL REJECT) a client at 127.0.0.2 cannot
// relay, whatever form the address takes (SPEC 4.4), while 127.0.0.1 can.
func TestNoRelayFromUnlistedHost(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr())
	a.Start()

	outside := segtest.Client{LocalIP: "127.0.0.2"}
	cl, err := outside.Dial(a.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Mail("spammer@client.test", nil); err != nil {
		t.Fatalf("MAIL from 127.0.0.2: %v", err)
	}
	rcpts := []string{
		"victim@example.test",                 // routed, but not in the RAT
		"victim@elsewhere.test",               // external
		"victim%elsewhere.test@example.test",  // the percent hack
		"@example.test:victim@elsewhere.test", // a source route (RFC 5321 appendix C)
	}
	for _, r := range rcpts {
		err := cl.Rcpt(r, nil)
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
			t.Errorf("RCPT TO:<%s> from 127.0.0.2: %v, want 550 5.7.1", r, err)
		}
	}
	// No recipient was taken, so there is nothing to send.
	if _, err := cl.Data(); err == nil {
		t.Errorf("DATA after only rejected recipients was accepted")
	}
	cl.Quit()

	log := a.WaitLog(t, "Rejected by RAT", 10*time.Second)
	if !regexp.MustCompile(`ICID \d+ ACCEPT SG None match ALL`).MatchString(log) {
		t.Errorf("127.0.0.2 did not match the ALL sender group; log ends:\n%s", tailLines(log, 20))
	}
	if n := strings.Count(log, "Rejected by RAT"); n != len(rcpts) {
		t.Errorf("%d recipients logged as rejected by the RAT, want %d", n, len(rcpts))
	}

	// The relay host may: the same recipient from 127.0.0.1 goes through.
	if _, err := (segtest.Client{LocalIP: "127.0.0.1"}).Send(a.SMTPAddr(), "sender@client.test",
		[]string{"victim@example.test"}, plainMessage("victim@example.test", "relayed", "ok@client.test")); err != nil {
		t.Fatalf("relaying from 127.0.0.1: %v", err)
	}
	if got := sink.WaitCount(t, 1, 20*time.Second); len(got) != 1 || got[0].From != "sender@client.test" {
		t.Errorf("the sink got %d messages (%+v), want only the relayed one", len(got), got)
	}
	if r := statusRow(t, a.MustCli("status"), "Rejected Recipients"); r[0] != len(rcpts) {
		t.Errorf("status Rejected Recipients %v, want %d", r, len(rcpts))
	}
	a.Stop()
}
