package mailtest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/internal/address"
	"seg/internal/segtest"
)

// Envelope integrity (issue 8, points 5, 6 and 9): each test is the
// attack, from 127.0.0.2, a host outside RELAYLIST whose recipients must
// pass the RAT.

const outsideIP = "127.0.0.2"

// ratExample makes example.test a domain the RAT accepts, routed to sink.
func ratExample(sink *segtest.Sink) []string {
	return []string{
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		"smtproutes new example.test " + sink.Addr(),
	}
}

// TestEnvelopeSmuggledRcptStaysQuoted: a quoted local part holding "> "
// and a parameter, `"victim@outside.test> NOTIFY=NEVER"@example.test`,
// passes the RAT as an example.test address; it must reach the next hop
// as that one address, still quoted, never as RCPT TO:<victim@outside.test>
// with a NOTIFY parameter after it. Sent with Python's smtplib.
func TestEnvelopeSmuggledRcptStaysQuoted(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, ratExample(sink)...)
	a.Start()
	const rcpt = `"victim@outside.test> NOTIFY=NEVER"@example.test`
	replies := pyDialog(t, a.SMTPAddr(), outsideIP,
		"MAIL FROM:<attacker@client.test>",
		"RCPT TO:<"+rcpt+">",
		"DATA Subject: smuggle\r\n\r\nhello",
	)
	for i, r := range replies {
		if !strings.HasPrefix(r, "250 ") {
			t.Fatalf("step %d: %q, want 250 (replies %q)", i, r, replies)
		}
	}
	lines := waitLine(t, sink, "RCPT ", 20*time.Second)
	for _, l := range lines {
		if strings.Contains(l, "TO:<victim@outside.test>") || strings.HasPrefix(l, "RCPT") && l != "RCPT TO:<"+rcpt+">" {
			t.Errorf("the next hop was sent %q, want exactly RCPT TO:<%s>", l, rcpt)
		}
	}
	got := sink.WaitCount(t, 1, 20*time.Second)[0]
	// go-smtp's server unquotes: the one address, not victim@outside.test.
	if len(got.Rcpts) != 1 || got.Rcpts[0] != "victim@outside.test> NOTIFY=NEVER@example.test" {
		t.Errorf("the next hop took recipients %q", got.Rcpts)
	}
	a.WaitLog(t, "To: <"+rcpt+">", 5*time.Second)
	a.Stop()
}

// TestEnvelopeSmuggledMailFromStaysQuoted: the same through MAIL FROM,
// sent with swaks: the next hop's MAIL line carries the quoted sender
// and only the parameters seg adds.
func TestEnvelopeSmuggledMailFromStaysQuoted(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, ratExample(sink)...)
	a.Start()
	const from = `"attacker@evil.test> SIZE=1 X-INJECTED=1"@client.test`
	host, port, _ := strings.Cut(a.SMTPAddr(), ":")
	out := run(t, "swaks", "--server", host, "--port", port, "--local-interface", outsideIP,
		"--helo", "attacker.test", "--from", from, "--to", "user@example.test",
		"--header", "Subject: smuggled sender", "--body", "hello", "--timeout", "30")
	mid := midOf(t, out)
	lines := waitLine(t, sink, "MAIL ", 20*time.Second)
	for _, l := range lines {
		if !strings.HasPrefix(l, "MAIL ") {
			continue
		}
		rest, ok := strings.CutPrefix(l, "MAIL FROM:<"+from+">")
		if !ok {
			t.Errorf("the next hop was sent %q, want MAIL FROM:<%s> and seg's own parameters", l, from)
			continue
		}
		for _, p := range strings.Fields(rest) {
			if k, _, _ := strings.Cut(p, "="); k != "BODY" && k != "SIZE" {
				t.Errorf("MAIL parameter %q, want only BODY and SIZE (line %q)", p, l)
			}
		}
	}
	got := sink.WaitCount(t, 1, 20*time.Second)[0]
	if got.From != "attacker@evil.test> SIZE=1 X-INJECTED=1@client.test" {
		t.Errorf("the next hop took sender %q", got.From)
	}
	a.WaitLog(t, fmt.Sprintf("MID %d ICID", mid), 5*time.Second)
	a.Stop()
}

// TestEnvelopeBadAddressSyntax: NUL and CR inside an address, and a
// 300-character local part, get 501 (5.1.3 for a recipient, 5.1.7 for a
// sender, RFC 3463), and nothing of them reaches the next hop.
func TestEnvelopeBadAddressSyntax(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, ratExample(sink)...)
	a.Start()
	long := strings.Repeat("a", 300)
	steps := []struct{ cmd, want string }{
		{"MAIL FROM:<attacker@client.test>", "250 "},
		{"RCPT TO:<vic\x00tim@example.test>", "501 5.1.3 "},
		{"RCPT TO:<\"vic\x00tim\"@example.test>", "501 5.1.3 "},
		{"RAW RCPT TO:<vic\rtim@example.test>", "501 5.1.3 "},
		{"RAW RCPT TO:<\"vic\rRCPT TO:<x@outside.test>\"@example.test>", "501 5.1.3 "},
		{"RCPT TO:<" + long + "@example.test>", "501 5.1.3 "},
		{"RCPT TO:<\"" + long + "\"@example.test>", "501 5.1.3 "},
		{"RCPT TO:<ok@example.test>", "250 "},
		{"RSET", "250 "},
		{"MAIL FROM:<att\x00acker@client.test>", "501 5.1.7 "},
		{"RAW MAIL FROM:<att\racker@client.test>", "501 5.1.7 "},
		{"MAIL FROM:<" + long + "@client.test>", "501 5.1.7 "},
		{"MAIL FROM:<attacker@client.test>", "250 "},
		{"RCPT TO:<ok@example.test.>", "250 "},
		{"DATA Subject: after the refusals\r\n\r\nhello", "250 "},
	}
	var cmds []string
	for _, s := range steps {
		cmds = append(cmds, s.cmd)
	}
	replies := pyDialog(t, a.SMTPAddr(), outsideIP, cmds...)
	for i, s := range steps {
		if !strings.HasPrefix(replies[i], s.want) {
			t.Errorf("%q: %q, want %q", s.cmd, replies[i], s.want+"...")
		}
	}
	sink.WaitCount(t, 1, 20*time.Second)
	lines := sink.EnvelopeLines()
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "MAIL FROM:<attacker@client.test>") || lines[1] != "RCPT TO:<ok@example.test>" {
		t.Errorf("the next hop was sent %q, want the one good transaction", lines)
	}
	a.Stop()
}

// TestEnvelopeTrailingDotTakesRoute: `user@example.test.` passes the RAT
// as example.test; it must go by the smtproutes entry for example.test,
// not by the domain's MX, which points at another server.
func TestEnvelopeTrailingDotTakesRoute(t *testing.T) {
	routed := segtest.NewSink(t, segtest.SinkOptions{})
	mx := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.58:25"})
	dnsAddr := segtest.NewDNS(t,
		"example.test. 300 IN MX 10 mx.example.test.",
		"mx.example.test. 300 IN A 127.0.0.58",
	)
	a := segtest.New(t, append(ratExample(routed), "dnsconfig setup --servers "+dnsAddr)...)
	a.Start()
	mid, err := segtest.Client{LocalIP: outsideIP}.Send(a.SMTPAddr(), "sender@client.test",
		[]string{"user@example.test.", "Other@EXAMPLE.test."}, []byte("Subject: trailing dot\r\n\r\nhello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	log := a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 20*time.Second)
	if mx.Count() != 0 || mx.Attempts("MAIL") != 0 {
		t.Errorf("the MX server got %d messages: the route was skipped", mx.Count())
	}
	got := routed.WaitCount(t, 1, 5*time.Second)
	if len(got) != 1 || strings.Join(got[0].Rcpts, ",") != "user@example.test,Other@EXAMPLE.test" {
		t.Errorf("routed server got %+v, want one message to user@example.test,Other@EXAMPLE.test", got)
	}
	if !strings.Contains(log, "To: <user@example.test>") || strings.Contains(log, "example.test.>") {
		t.Errorf("mail_logs does not show the normalised address; log ends:\n%s", tailLines(log, 20))
	}
	a.Stop()
}

// TestEnvelopeBounceToOutsideSenderHoldsContent: mail accepted from
// outside with a forged sender (a victim at client.test) bounces at the
// next hop (550). The bounce goes to the victim: it must carry none of
// the attacker's content, neither the body nor the Subject nor other
// header text, under seg's own fixed Subject. The second message has no
// empty line after its header: its text must not be taken for header.
func TestEnvelopeBounceToOutsideSenderHoldsContent(t *testing.T) {
	dest := segtest.NewSink(t, segtest.SinkOptions{Reply: func(at segtest.Attempt) error {
		if at.Cmd == "RCPT" {
			return segtest.Reply(550, "5.1.1 User unknown")
		}
		return nil
	}})
	victims := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, append(ratExample(dest), "smtproutes new client.test "+victims.Addr())...)
	a.Start()
	msgs := []string{
		"From: \"BUY-PILLS-FROM\" <victim@client.test>\r\nTo: <nobody@example.test>\r\n" +
			"Subject: BUY-PILLS-SUBJECT\r\nX-Spam-Text: BUY-PILLS-HEADER\r\nMessage-ID: <spam-1@client.test>\r\n" +
			"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nBUY-PILLS-BODY\r\n",
		"Subject: BUY-PILLS-SUBJECT-2\r\nMessage-ID: <spam-2@client.test>\r\nBUY-PILLS-BODY-2 has no empty line before it\r\n",
	}
	for i, m := range msgs {
		mid, err := segtest.Client{LocalIP: outsideIP}.Send(a.SMTPAddr(), "victim@client.test", []string{"nobody@example.test"}, []byte(m))
		if err != nil {
			t.Fatal(err)
		}
		a.WaitLog(t, fmt.Sprintf("was generated for bounce of MID %d", mid), 20*time.Second)
		dsn := victims.WaitCount(t, i+1, 20*time.Second)[i]
		if bytes.Contains(dsn.Data, []byte("BUY-PILLS")) {
			t.Errorf("the bounce to the forged sender carries the attacker's text:\n%s", dsn.Data)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(dsn.Data))
		if err != nil {
			t.Fatal(err)
		}
		if s := msg.Header.Get("Subject"); s != "Delivery Status Notification (Failure)" {
			t.Errorf("bounce Subject %q, want seg's fixed text", s)
		}
		parts := dsnParts(t, msg)
		if h, ok := parts["text/rfc822-headers"]; !ok || !strings.Contains(h, fmt.Sprintf("Message-ID: <spam-%d@client.test>", i+1)) {
			t.Errorf("the bounce does not identify the original by its Message-ID: %q", h)
		}
		if _, ok := parts["message/rfc822"]; ok {
			t.Errorf("the bounce carries the whole original")
		}
		if !strings.Contains(parts["message/delivery-status"], "Final-Recipient: rfc822; nobody@example.test") {
			t.Errorf("delivery-status part: %q", parts["message/delivery-status"])
		}
	}
	a.Stop()
}

// dsnParts returns the parts of a multipart/report by content type.
func dsnParts(t *testing.T, msg *mail.Message) map[string]string {
	t.Helper()
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		b, _ := io.ReadAll(p)
		out[ct] = string(b)
	}
}

// TestEnvelopeRoundTrip is the round-trip property end to end: each
// tricky address, parsed by seg, queued and sent on, reaches the next hop
// as exactly its canonical text on the MAIL and RCPT lines (the canonical
// text computed here by the same parser, and spelled out).
func TestEnvelopeRoundTrip(t *testing.T) {
	routed := segtest.NewSink(t, segtest.SinkOptions{})
	literal := segtest.NewSink(t, segtest.SinkOptions{Addr: "127.0.0.59:25"})
	a := segtest.New(t,
		"listenerconfig edit IncomingMail rcptaccess new rt.test ACCEPT",
		"listenerconfig edit IncomingMail rcptaccess new [127.0.0.59] ACCEPT",
		"smtproutes new rt.test "+routed.Addr(),
	)
	a.Start()
	rcpts := []struct{ in, want string }{
		{`"john doe"@rt.test`, `"john doe"@rt.test`},
		{`"john\ doe"@rt.test`, `"john doe"@rt.test`},
		{`"a@b> X=Y"@rt.test`, `"a@b> X=Y"@rt.test`},
		{`"say \"hi\""@rt.test`, `"say \"hi\""@rt.test`},
		{`"back\\slash"@rt.test`, `"back\\slash"@rt.test`},
		{`"plain"@rt.test`, `plain@rt.test`},
		{`Mixed.Case@RT.Test`, `Mixed.Case@RT.Test`},
		{`dot@rt.test.`, `dot@rt.test`},
		{`<@relay.example:routed@rt.test`, `routed@rt.test`},
		{`user@[127.0.0.59]`, `user@[127.0.0.59]`},
	}
	senders := []struct{ in, want string }{
		{`"john doe"@client.test`, `"john doe"@client.test`},
		{`"a@b> SIZE=1"@client.test`, `"a@b> SIZE=1"@client.test`},
		{`Sender@[IPv6:2001:DB8:0::1]`, `Sender@[IPv6:2001:db8::1]`},
		{`"quoted"@Client.Test.`, `quoted@Client.Test`},
	}
	for _, c := range append(append([]struct{ in, want string }{}, rcpts...), senders...) {
		in := strings.TrimPrefix(c.in, "<")
		if got, err := address.Canonical(strings.TrimPrefix(in, "@relay.example:")); err != nil || got != c.want {
			t.Fatalf("canonical(%q) = %q, %v; the table wants %q", c.in, got, err, c.want)
		}
	}
	var steps []string
	for _, s := range senders {
		steps = append(steps, "MAIL FROM:<"+s.in+">")
		for _, r := range rcpts {
			steps = append(steps, "RCPT TO:<"+strings.TrimPrefix(r.in, "<")+">")
		}
		steps = append(steps, "DATA Subject: round trip\r\n\r\nhello")
	}
	replies := pyDialog(t, a.SMTPAddr(), outsideIP, steps...)
	for i, r := range replies {
		if !strings.HasPrefix(r, "250 ") {
			t.Fatalf("%q: %q, want 250", steps[i], r)
		}
	}
	routed.WaitCount(t, len(senders), 30*time.Second)
	literal.WaitCount(t, len(senders), 30*time.Second)
	for _, sink := range []*segtest.Sink{routed, literal} {
		var want []string
		for _, s := range senders {
			tx := "MAIL FROM:<" + s.want + ">"
			for _, r := range rcpts {
				if (sink == literal) == strings.HasSuffix(r.want, "]") {
					tx += "\n" + "RCPT TO:<" + r.want + ">"
				}
			}
			want = append(want, tx)
		}
		got := transactions(t, sink.EnvelopeLines())
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("sink %s was sent:\n%s\nwant:\n%s", sink.Addr(), strings.Join(got, "\n--\n"), strings.Join(want, "\n--\n"))
		}
	}
	for _, s := range senders {
		a.WaitLog(t, "From: <"+s.want+">", 5*time.Second)
	}
	a.Stop()
}

// transactions groups envelope lines by transaction, each MAIL line cut
// after its path: seg adds BODY and SIZE parameters, and nothing else.
func transactions(t *testing.T, lines []string) []string {
	t.Helper()
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "MAIL FROM:<") {
			if len(out) == 0 {
				t.Fatalf("RCPT before MAIL: %q", lines)
			}
			out[len(out)-1] += "\n" + l
			continue
		}
		// The path ends at the first '>' after the last '@'; the
		// parameters after it are seg's own.
		end := strings.LastIndex(l, "@")
		end += strings.IndexByte(l[end:], '>') + 1
		for _, p := range strings.Fields(l[end:]) {
			if k, _, _ := strings.Cut(p, "="); k != "BODY" && k != "SIZE" {
				t.Errorf("MAIL parameter %q in %q, want only BODY and SIZE", p, l)
			}
		}
		out = append(out, l[:end])
	}
	return out
}
