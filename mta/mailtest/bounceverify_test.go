package mailtest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
	"seg/mta/bounceverify"
	"seg/store"
)

// sendBounce delivers one <> message to the recipients the client's RCPT
// got 250 for, and fails the test when DATA is refused.
func sendBounce(t *testing.T, cl *smtp.Client, to string) {
	t.Helper()
	w, err := cl.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	w.Write(plainMessage(to, "bounce", "bv@client.test"))
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
}

// Bounce verification, inbound (SPEC 10): with no key nothing is
// checked; once a key is committed, a <> message to an untagged or
// badly tagged recipient is refused at RCPT, a validly tagged one is
// accepted and leaves untagged; accept_untagged_bounces lets untagged
// ones in (not bad tags); mail with a sender is never checked. Each
// commit applies from the next connection.
func TestBounceVerificationOnTheWire(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new example.test "+sink.Addr(),
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"listenerconfig edit IncomingMail hostaccess default --accept_untagged_bounces=off")
	a.Start()
	const refused = "550 5.7.1 Bounce verification failed"
	key := store.BVKey{Number: 0, Secret: "s3cret"}
	now := time.Now()
	tagged := bounceverify.Sign("joe@example.test", bounceverify.Day(now)+3, key)
	forged := bounceverify.Sign("joe@example.test", bounceverify.Day(now)+3, store.BVKey{Number: 0, Secret: "guess"})
	expired := bounceverify.Sign("joe@example.test", bounceverify.Day(now)-1, key)

	// No key: nothing checked, a tag-like recipient is kept as it is.
	cl := dialFromAs(t, "127.0.0.30", a.SMTPAddr(), "")
	expectRcpt(t, cl, "joe@example.test", "250")
	expectRcpt(t, cl, forged, "250")
	sendBounce(t, cl, "joe@example.test")
	got := sink.WaitCount(t, 1, 20*time.Second)
	if !slices.Equal(got[0].Rcpts, []string{"joe@example.test", forged}) || got[0].From != "" {
		t.Fatalf("without keys delivered from <%s> to %q", got[0].From, got[0].Rcpts)
	}

	a.MustCli("bvconfig new k1 --text s3cret ; commit bounce verification key")
	// cli_logs records the command with the secret masked.
	var cli []byte
	if !segtest.Poll(10*time.Second, func() bool {
		cli, _ = os.ReadFile(filepath.Join(a.Dir, "logs", "cli_logs"))
		return strings.Contains(string(cli), "bvconfig new k1 --text *****")
	}) || strings.Contains(string(cli), "s3cret") {
		t.Fatalf("cli_logs does not mask the key text:\n%s", cli)
	}
	cl = dialFromAs(t, "127.0.0.30", a.SMTPAddr(), "")
	expectRcpt(t, cl, "joe@example.test", refused)
	a.WaitLog(t, "invalid bounce, rcpt address <joe@example.test> rejected by bounce verification.", 10*time.Second)
	expectRcpt(t, cl, forged, refused)
	expectRcpt(t, cl, expired, refused)
	a.WaitLog(t, "invalid bounce, rcpt address <"+expired+"> rejected by bounce verification.", 10*time.Second)
	expectRcpt(t, cl, tagged, "250")
	sendBounce(t, cl, "joe@example.test")
	got = sink.WaitCount(t, 2, 20*time.Second)
	if !slices.Equal(got[1].Rcpts, []string{"joe@example.test"}) {
		t.Fatalf("a validly tagged bounce was delivered to %q, want the untagged joe@example.test", got[1].Rcpts)
	}
	// The RAT and the log see the untagged address.
	a.WaitLog(t, "MID 2 ICID 2 RID 0 To: <joe@example.test>\n", 10*time.Second)

	// Mail with a sender is not checked.
	n := dialFromAs(t, "127.0.0.31", a.SMTPAddr(), "someone@client.test")
	expectRcpt(t, n, "joe@example.test", "250")
	expectRcpt(t, n, forged, "250")

	// accept_untagged_bounces on: untagged bounces pass from the next
	// connection; a bad tag is still refused.
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --accept_untagged_bounces=on ; commit accept untagged")
	cl = dialFromAs(t, "127.0.0.30", a.SMTPAddr(), "")
	expectRcpt(t, cl, "joe@example.test", "250")
	expectRcpt(t, cl, forged, refused)
	expectRcpt(t, cl, tagged, "250")
	sendBounce(t, cl, "joe@example.test")
	got = sink.WaitCount(t, 3, 20*time.Second)
	if !slices.Equal(got[2].Rcpts, []string{"joe@example.test", "joe@example.test"}) {
		t.Fatalf("delivered to %q, want joe@example.test twice (untagged and the tag removed)", got[2].Rcpts)
	}
}

// Bounce verification, outbound (SPEC 11): mail relayed to a destination
// with bounce_validation on leaves with its envelope sender tagged by
// bvconfig's newest key, and only then; a bounce that comes back to the
// tagged address passes the inbound check and reaches the sender
// untagged, while backscatter to the bare address is refused.
func TestBounceTaggingOutbound(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new example.test "+sink.Addr(),
		"smtproutes new plain.test "+sink.Addr(),
		"smtproutes new client.test "+sink.Addr(),
		"listenerconfig edit IncomingMail rcptaccess new client.test ACCEPT",
		"listenerconfig edit IncomingMail hostaccess default --accept_untagged_bounces=off",
		"bvconfig new k1 --text s3cret",
		"destconfig new example.test --bounce_validation=on")
	a.Start()

	// 127.0.0.1 is in RELAYLIST: this mail is relayed out.
	send := func(to string) {
		t.Helper()
		if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "joe@client.test", []string{to}, plainMessage(to, "out", "<out@client.test>")); err != nil {
			t.Fatalf("relaying to %s: %v", to, err)
		}
	}
	send("rcpt@example.test")
	got := sink.WaitCount(t, 1, 20*time.Second)
	from := got[0].From
	key := store.BVKey{Number: 0, Secret: "s3cret"}
	bv := &store.BounceVerification{Keys: []store.BVKey{key}}
	if orig, ok, why := bounceverify.Verify(bv, from, time.Now()); !ok || orig != "joe@client.test" || !strings.HasPrefix(from, "prvs=0") {
		t.Fatalf("to a bounce_validation destination the sender went out as <%s> (verifies: %v %s)", from, ok, why)
	}
	// A destination without bounce_validation gets the sender as it is.
	send("rcpt@plain.test")
	got = sink.WaitCount(t, 2, 20*time.Second)
	if got[1].From != "joe@client.test" {
		t.Fatalf("to plain.test the sender went out as <%s>, want it untagged", got[1].From)
	}

	// The bounce comes back from another host to the tagged address.
	cl := dialFromAs(t, "127.0.0.40", a.SMTPAddr(), "")
	expectRcpt(t, cl, "joe@client.test", "550 5.7.1 Bounce verification failed")
	expectRcpt(t, cl, from, "250")
	sendBounce(t, cl, "joe@client.test")
	got = sink.WaitCount(t, 3, 20*time.Second)
	if !slices.Equal(got[2].Rcpts, []string{"joe@client.test"}) || got[2].From != "" {
		t.Fatalf("the bounce was delivered from <%s> to %q, want <> to joe@client.test", got[2].From, got[2].Rcpts)
	}
}
