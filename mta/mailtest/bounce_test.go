package mailtest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

func plainMessage(to, subject, msgID string) []byte {
	return []byte("From: <sender@client.test>\r\nTo: <" + to + ">\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + msgID + ">\r\n\r\nHello.\r\n")
}

// logIndex returns where in log the first line matching re starts, -1
// when none does.
func logIndex(log string, re string) int {
	loc := regexp.MustCompile(re).FindStringIndex(log)
	if loc == nil {
		return -1
	}
	return loc[0]
}

// TestSoftBounceThenDelivered: the receiver answers the first RCPT with
// 451, the next with 250; seg logs Delayed, retries after initial_retry
// and logs Message done.
func TestSoftBounceThenDelivered(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{Reply: func(a segtest.Attempt) error {
		if a.Cmd == "RCPT" && a.N == 1 {
			return segtest.Reply(451, "4.3.0 Try again later")
		}
		return nil
	}})
	a := segtest.New(t,
		"smtproutes new soft.test "+sink.Addr(),
		"bounceconfig edit Default --initial_retry=1",
	)
	a.Start()
	mid, err := segtest.Client{}.Send(a.SMTPAddr(), "sender@client.test", []string{"user@soft.test"},
		plainMessage("user@soft.test", "soft", "soft@client.test"))
	if err != nil {
		t.Fatal(err)
	}
	got := sink.WaitCount(t, 1, 20*time.Second)
	if got[0].Rcpts[0] != "user@soft.test" || sink.Attempts("RCPT") != 2 {
		t.Errorf("sink: %q after %d RCPTs, want user@soft.test after 2", got[0].Rcpts, sink.Attempts("RCPT"))
	}
	log := a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 10*time.Second)
	delayed := logIndex(log, fmt.Sprintf(`Info: Delayed: DCID \d+ MID %d From: <[^>]*> To: <user@soft\.test> RID 0 - .*\('451', \['4\.3\.0 Try again later'\]\)`, mid))
	pending := logIndex(log, fmt.Sprintf(`(?m)Info: Message %d to RID \[0\] pending till \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$`, mid))
	done := logIndex(log, fmt.Sprintf(`Info: Message done DCID \d+ MID %d to RID \[0\]`, mid))
	if delayed < 0 || pending < 0 || done < 0 || !(delayed < pending && pending < done) {
		t.Errorf("want Delayed, pending till, then Message done for MID %d (at %d, %d, %d); log ends:\n%s",
			mid, delayed, pending, done, tailLines(log, 25))
	}
	if strings.Contains(log, "Bounced: DCID") {
		t.Errorf("a soft bounce was logged as Bounced")
	}
	a.Stop()
}

// TestHardBounceDSN: the receiver answers 550 to RCPT (or 554 to DATA);
// seg logs Bounced and sends an RFC 3464 DSN, which the sender's own
// server (another sink, by SMTP route) receives; none for the null
// sender.
func TestHardBounceDSN(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{Reply: func(a segtest.Attempt) error {
		if a.Cmd == "RCPT" {
			return segtest.Reply(550, "5.1.1 User unknown")
		}
		return nil
	}})
	dataSink := segtest.NewSink(t, segtest.SinkOptions{Reply: func(a segtest.Attempt) error {
		if a.Cmd == "DATA" {
			return segtest.Reply(554, "5.6.0 Content rejected")
		}
		return nil
	}})
	senders := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new hard.test "+sink.Addr(),
		"smtproutes new data.test "+dataSink.Addr(),
		"smtproutes new client.test "+senders.Addr(),
	)
	a.Start()
	orig := plainMessage("nobody@hard.test", "will bounce", "hard-1@client.test")
	mid, err := segtest.Client{}.Send(a.SMTPAddr(), "sender@client.test", []string{"nobody@hard.test"}, orig)
	if err != nil {
		t.Fatal(err)
	}
	log := a.WaitLog(t, fmt.Sprintf("was generated for bounce of MID %d", mid), 20*time.Second)
	if logIndex(log, fmt.Sprintf(`Info: Bounced: DCID \d+ MID %d From: <sender@client\.test> To: <nobody@hard\.test> RID 0 - .*\('550', \['5\.1\.1 User unknown'\]\)`, mid)) < 0 {
		t.Errorf("no Bounced line for MID %d; log ends:\n%s", mid, tailLines(log, 25))
	}
	if sink.Count() != 0 {
		t.Errorf("the receiver got %d messages, want none", sink.Count())
	}

	dsn := senders.WaitCount(t, 1, 20*time.Second)[0]
	if dsn.From != "" || len(dsn.Rcpts) != 1 || dsn.Rcpts[0] != "sender@client.test" {
		t.Fatalf("DSN envelope: from %q to %q, want <> to sender@client.test", dsn.From, dsn.Rcpts)
	}
	// seg made the DSN itself: no Received field of its own.
	checkDSN(t, dsn.Data, mid, "nobody@hard.test", "5.1.1", "hard-1@client.test", "550")

	// Refused after the data: the same, with the DATA reply.
	orig = plainMessage("user@data.test", "rejected content", "data-1@client.test")
	mid, err = segtest.Client{}.Send(a.SMTPAddr(), "sender@client.test", []string{"user@data.test"}, orig)
	if err != nil {
		t.Fatal(err)
	}
	dsn = senders.WaitCount(t, 2, 20*time.Second)[1]
	checkDSN(t, dsn.Data, mid, "user@data.test", "5.6.0", "data-1@client.test", "554")
	a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 10*time.Second)

	// A bounce of a bounce is never sent (SPEC 5): nothing for <>. The
	// DSN would be queued before the message is finished.
	mid, err = segtest.Client{}.Send(a.SMTPAddr(), "", []string{"nobody@hard.test"}, plainMessage("nobody@hard.test", "null sender", "null@client.test"))
	if err != nil {
		t.Fatal(err)
	}
	log = a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 20*time.Second)
	if logIndex(log, fmt.Sprintf(`Info: Bounced: DCID \d+ MID %d From: <> To: <nobody@hard\.test> RID 0 `, mid)) < 0 ||
		strings.Contains(log, fmt.Sprintf("was generated for bounce of MID %d\n", mid)) {
		t.Errorf("the null sender's message: want Bounced and no DSN; log ends:\n%s", tailLines(log, 20))
	}
	if senders.Count() != 2 {
		t.Errorf("%d DSNs, want 2", senders.Count())
	}
	a.Stop()
}

// checkDSN parses a DSN: a multipart/report; report-type=delivery-status
// (RFC 6522) whose second part is message/delivery-status (RFC 3464)
// about rcpt, and whose third carries the original's header.
func checkDSN(t *testing.T, raw []byte, origMID int64, rcpt, status, origMsgID, code string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("DSN is not a message: %v\n%s", err, raw)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("DSN Content-Type %q, want multipart/report; report-type=delivery-status", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	var fields, header string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("DSN parts: %v", err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		b, _ := io.ReadAll(p)
		switch ct {
		case "message/delivery-status":
			fields = string(b)
		case "text/rfc822-headers", "message/rfc822":
			header = string(b)
		}
	}
	if len(types) != 3 || types[0] != "text/plain" || types[1] != "message/delivery-status" {
		t.Errorf("DSN parts %q, want text/plain, message/delivery-status, the original's header", types)
	}
	for _, want := range []string{
		"Final-Recipient: rfc822; " + rcpt,
		"Action: failed",
		"Status: " + status,
		"Diagnostic-Code: smtp; " + code,
		fmt.Sprintf("X-Original-MID: %d\r\n", origMID),
	} {
		if !strings.Contains(fields, want) {
			t.Errorf("delivery-status part lacks %q:\n%s", want, fields)
		}
	}
	if !strings.Contains(header, "Message-ID: <"+origMsgID+">") {
		t.Errorf("the DSN does not carry the original's header (Message-ID <%s>):\n%s", origMsgID, header)
	}
}

func tailLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// use_dsn_bounce_format off (SPEC 5): the bounce is one text/plain
// message naming the recipient, its status and the receiver's reply, with
// the original's header; a commit back to on restores the RFC 3464
// report for the next bounce.
func TestPlainBounceFormat(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{Reply: func(a segtest.Attempt) error {
		if a.Cmd == "RCPT" {
			return segtest.Reply(550, "5.1.1 User unknown")
		}
		return nil
	}})
	senders := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new hard.test "+sink.Addr(),
		"smtproutes new client.test "+senders.Addr(),
		"bounceconfig edit Default --use_dsn_bounce_format=off",
	)
	a.Start()
	send := func(id string) int64 {
		t.Helper()
		mid, err := segtest.Client{}.Send(a.SMTPAddr(), "sender@client.test", []string{"nobody@hard.test"},
			plainMessage("nobody@hard.test", "will bounce", id))
		if err != nil {
			t.Fatal(err)
		}
		return mid
	}
	mid := send("plain-1@client.test")
	bounce := senders.WaitCount(t, 1, 20*time.Second)[0]
	msg, err := mail.ReadMessage(bytes.NewReader(bounce.Data))
	if err != nil {
		t.Fatalf("the bounce does not parse: %v\n%s", err, bounce.Data)
	}
	body, _ := io.ReadAll(msg.Body)
	ct := msg.Header.Get("Content-Type")
	for _, want := range []string{"<nobody@hard.test>: 5.1.1", "550 5.1.1 User unknown", "Message-ID: <plain-1@client.test>"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the plain bounce lacks %q:\n%s", want, body)
		}
	}
	if !strings.HasPrefix(ct, "text/plain") || bounce.From != "" || msg.Header.Get("Auto-Submitted") != "auto-replied" {
		t.Fatalf("bounce of MID %d: Content-Type %q, from <%s>; want text/plain from <>", mid, ct, bounce.From)
	}

	a.MustCli("bounceconfig edit Default --use_dsn_bounce_format=on ; commit dsn format")
	mid = send("plain-2@client.test")
	bounce = senders.WaitCount(t, 2, 20*time.Second)[1]
	checkDSN(t, bounce.Data, mid, "nobody@hard.test", "5.1.1", "plain-2@client.test", "550")
}
