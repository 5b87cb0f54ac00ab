package mailtest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// TestQueueSurvivesSIGTERM: with delivery suspended, accepted mail waits
// in the queue; SIGTERM stops seg with exit 0 and the queue intact, and
// after the restart everything is delivered.
func TestQueueSurvivesSIGTERM(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr())
	a.Start()
	if out := a.MustCli("suspenddel"); !strings.Contains(strings.ToLower(out), "suspended") {
		t.Errorf("suspenddel: %q", out)
	}
	const n = 20
	var mids []int64
	for i := range n {
		rcpt := fmt.Sprintf("user%d@example.test", i)
		mid, err := segtest.Client{}.Send(a.SMTPAddr(), "sender@client.test", []string{rcpt}, plainMessage(rcpt, "held", rcpt+".id@client.test"))
		if err != nil {
			t.Fatal(err)
		}
		mids = append(mids, mid)
	}
	st := a.MustCli("status")
	if !regexp.MustCompile(fmt.Sprintf(`(?m)^ +Messages In Delivery Queue +%d$`, n)).MatchString(st) ||
		!regexp.MustCompile(fmt.Sprintf(`(?m)^ +Unattempted Recipients +%d$`, n)).MatchString(st) {
		t.Errorf("status with delivery suspended: want %d messages, unattempted:\n%s", n, st)
	}
	if sink.Count() != 0 {
		t.Fatalf("%d messages delivered while delivery was suspended", sink.Count())
	}
	a.Stop()

	// Offline, the configuration is there and the mail system is not.
	if out, errOut, code := a.Cli("tophosts", "1"); code == 0 || !strings.Contains(out+errOut, "The mail system is not running.") {
		t.Errorf("tophosts offline: exit %d %q %q", code, out, errOut)
	}

	a.Start() // suspenddel does not survive a restart
	got := sink.WaitCount(t, n, 30*time.Second)
	var rcpts []string
	for _, m := range got {
		rcpts = append(rcpts, m.Rcpts...)
	}
	slices.Sort(rcpts)
	if len(slices.Compact(rcpts)) != n {
		t.Errorf("after the restart the sink got %d distinct recipients in %d messages, want %d", len(rcpts), len(got), n)
	}
	for _, mid := range mids {
		a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 10*time.Second)
	}
	a.Stop()
}

// TestSplitAndLarge: one message for recipients of three domains goes
// out as one transaction per destination; a 4 MB message arrives intact;
// one over the size limit of $ACCEPTED is refused with 552, one under it
// taken.
func TestSplitAndLarge(t *testing.T) {
	sinks := map[string]*segtest.Sink{}
	var setup []string
	for _, d := range []string{"one.test", "two.test", "three.test"} {
		sinks[d] = segtest.NewSink(t, segtest.SinkOptions{})
		setup = append(setup, "smtproutes new "+d+" "+sinks[d].Addr())
	}
	a := segtest.New(t, append(setup,
		"listenerconfig edit IncomingMail rcptaccess new one.test ACCEPT",
		"listenerconfig edit IncomingMail hostaccess default --max_message_size=1M")...)
	a.Start()

	rcpts := []string{"a@one.test", "b@two.test", "c@one.test", "d@three.test", "e@two.test", "f@one.test"}
	msg := plainMessage("undisclosed-recipients:;", "split", "split@client.test")
	if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "sender@client.test", rcpts, msg); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"one.test":   {"a@one.test", "c@one.test", "f@one.test"},
		"two.test":   {"b@two.test", "e@two.test"},
		"three.test": {"d@three.test"},
	}
	for d, w := range want {
		got := sinks[d].WaitCount(t, 1, 20*time.Second)
		if len(got) != 1 || !slices.Equal(got[0].Rcpts, w) {
			t.Errorf("%s: %d transactions, first for %q; want one for %q", d, len(got), got[0].Rcpts, w)
		}
		rcv, rest, err := segtest.SplitReceived(got[0].Data)
		if err != nil || !bytes.Equal(rest, msg) {
			t.Errorf("%s: message changed: %q (%v)", d, got[0].Data, err)
		}
		// Several recipients: the Received field names none (RFC 5321
		// section 7.2).
		if bytes.Contains(rcv, []byte("for <")) {
			t.Errorf("%s: Received field discloses a recipient: %q", d, rcv)
		}
	}

	big := bigMessage(t, 4<<20)
	if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "sender@client.test", []string{"big@one.test"}, big); err != nil {
		t.Fatalf("4 MB message: %v", err)
	}
	got := sinks["one.test"].WaitCount(t, 2, 30*time.Second)[1]
	if _, rest, err := segtest.SplitReceived(got.Data); err != nil || !bytes.Equal(rest, big) {
		t.Errorf("the 4 MB message arrived with %d bytes (%v), want %d intact", len(got.Data), err, len(big))
	}

	// 127.0.0.1 relays under $RELAYED (100 MB); 127.0.0.2 sends under
	// $ACCEPTED, whose limit is the listener default's, set to 1 MB here
	// (SPEC 4.2).
	outside := segtest.Client{LocalIP: "127.0.0.2"}
	_, err := outside.Send(a.SMTPAddr(), "sender@client.test", []string{"huge@one.test"}, bigMessage(t, 1100<<10))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 552 || se.EnhancedCode != (smtp.EnhancedCode{5, 3, 4}) {
		t.Errorf("1.1 MB message under $ACCEPTED: %v, want 552 5.3.4", err)
	}
	// A size declared in MAIL is refused there (RFC 1870 section 6.1).
	cl, err := outside.Dial(a.SMTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Mail("sender@client.test", &smtp.MailOptions{Size: 1<<20 + 1}); !errors.As(err, &se) || se.Code != 552 {
		t.Errorf("MAIL SIZE=%d: %v, want 552", 1<<20+1, err)
	}
	if err := cl.Mail("sender@client.test", &smtp.MailOptions{Size: 1 << 20}); err != nil {
		t.Errorf("MAIL SIZE=%d: %v, want 250", 1<<20, err)
	}
	cl.Close()
	if _, err := outside.Send(a.SMTPAddr(), "sender@client.test", []string{"fits@one.test"}, bigMessage(t, 900<<10)); err != nil {
		t.Errorf("900 kB message under $ACCEPTED: %v", err)
	}
	sinks["one.test"].WaitCount(t, 3, 30*time.Second)
	a.Stop()
}

// bigMessage is a message of about size bytes: base64 lines of random
// data, as an attachment would be.
func bigMessage(t *testing.T, size int) []byte {
	raw := make([]byte, size*3/4)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	var b bytes.Buffer
	b.WriteString("From: <sender@client.test>\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
