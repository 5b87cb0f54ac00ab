package smtpd

import (
	"strings"
	"testing"
)

// TestEnvelopeCanonical: what a client names in MAIL and RCPT is parsed
// from the line as sent; the RAT, mail_logs and the queue all see the
// canonical text: a quoted local part stays quoted, a trailing dot is
// gone before the RAT looks (its RAT has example.com, not
// example.com.), and a '>' inside quotes is no end of the path.
func TestEnvelopeCanonical(t *testing.T) {
	cfg := testConfig()
	e := newEnv(t, cfg)
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2") // outside RELAYLIST: the RAT applies
	c.greet("client.test")
	c.expect(`MAIL FROM:<"a@b> SIZE=1"@Sender.Test.> SIZE=100`, "250 ")
	for _, r := range []string{
		`"victim@outside.test> NOTIFY=NEVER"@example.com`,
		`"plain"@example.com`,
		`"john\ doe"@EXAMPLE.com.`,
		`<@relay.test:routed@example.com`,
	} {
		c.expect("RCPT TO:<"+strings.TrimPrefix(r, "<")+">", "250 ")
	}
	// The unquoted form of the first names another domain: the RAT
	// must refuse it.
	c.expect("RCPT TO:<victim@outside.test>", "550 ")
	c.send("DATA\r\n")
	c.reply()
	c.send("Subject: x\r\n\r\nbody\r\n.\r\n")
	if r := c.reply(); !strings.HasPrefix(r[0], "250 ") {
		t.Fatalf("DATA: %q", r)
	}
	msgs := e.q.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages queued", len(msgs))
	}
	m := msgs[0].m
	if m.From != `"a@b> SIZE=1"@Sender.Test` {
		t.Errorf("queued sender %q", m.From)
	}
	var got []string
	for _, r := range m.Rcpts {
		got = append(got, r.Addr)
	}
	want := `"victim@outside.test> NOTIFY=NEVER"@example.com,plain@example.com,"john doe"@EXAMPLE.com,routed@example.com`
	if strings.Join(got, ",") != want {
		t.Errorf("queued recipients %q, want %q", strings.Join(got, ","), want)
	}
	if m.Relayed {
		t.Errorf("mail from outside RELAYLIST recorded as relayed")
	}
	for _, l := range []string{
		`From: <"a@b> SIZE=1"@Sender.Test>`,
		`RID 0 To: <"victim@outside.test> NOTIFY=NEVER"@example.com>`,
		`RID 2 To: <"john doe"@EXAMPLE.com>`,
		`To: <victim@outside.test> Rejected by RAT`,
	} {
		if !e.hasLog(l) {
			t.Errorf("mail_logs lacks %q:\n%s", l, strings.Join(e.log.Lines(), "\n"))
		}
	}
}

// TestEnvelopeSyntaxErrors: addresses seg's parser refuses get 501 with
// RFC 3463's code, 5.1.7 for the sender and 5.1.3 for a recipient, a
// reason that does not quote the input, and a mail_logs line that
// cannot be forged (no input in it).
func TestEnvelopeSyntaxErrors(t *testing.T) {
	e := newEnv(t, testConfig())
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.1")
	c.greet("client.test")
	long := strings.Repeat("a", 300)
	for _, tc := range []struct{ cmd, want string }{
		{"MAIL FROM:<a\x00b@example.com>", "501 5.1.7 Bad sender address syntax: NUL in address"},
		{"MAIL FROM:<a\rb@example.com>", "501 5.1.7 Bad sender address syntax: CR or LF in address"},
		{"MAIL FROM:<" + long + "@example.com>", "501 5.1.7 Bad sender address syntax: local part longer than 64 octets"},
		{"MAIL FROM:<\"a\x01\"@example.com>", "501 5.1.7 Bad sender address syntax: control character"},
		{"MAIL FROM:<a@example.com>SIZE=1", "501 5.1.7 Bad sender address syntax: invalid character after the path"},
		{"MAIL FROM:<a@example.com>", "250 "},
		{"RCPT TO:<a\x00b@example.com>", "501 5.1.3 Bad recipient address syntax: NUL in address"},
		{"RCPT TO:<\"a\x00b\"@example.com>", "501 5.1.3 Bad recipient address syntax: NUL in address"},
		{"RCPT TO:<\"a\rRCPT TO:<x@y>\"@example.com>", "501 5.1.3 Bad recipient address syntax: CR or LF in address"},
		{"RCPT TO:<" + long + "@example.com>", "501 5.1.3 "},
		{"RCPT TO:<us\u00e9r@example.com>", "501 5.1.3 Bad recipient address syntax: non-ASCII address"},
		{"RCPT TO:<user@ex_ample.com>", "501 5.1.3 "},
		{"RCPT TO:<user@[300.1.1.1]>", "501 5.1.3 Bad recipient address syntax: invalid IPv4 address literal"},
		{"RCPT TO:<user@xn--zz.example.com>", "501 5.1.3 Bad recipient address syntax: invalid IDNA A-label in domain"},
		{"RCPT TO:<.user@example.com>", "501 5.1.3 "},
		{"RCPT TO:<ok@example.com>", "250 "},
	} {
		c.expect(tc.cmd, tc.want)
	}
	for _, l := range e.log.Lines() {
		if strings.ContainsAny(l, "\x00\r\n") || strings.Contains(l, long) {
			t.Errorf("mail_logs line %q holds input it should not", l)
		}
	}
	if !e.hasLog("RCPT refused: bad recipient address syntax: NUL in address") {
		t.Errorf("no mail_logs line for the refused recipient:\n%s", strings.Join(e.log.Lines(), "\n"))
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct{ line, verb, arg string }{
		{"MAIL FROM:<a@b>", "MAIL", "FROM:<a@b>"},
		{"mail from:<a@b> SIZE=1", "MAIL", "from:<a@b> SIZE=1"},
		{"MAIL  FROM: <a@b> ", "MAIL", "FROM: <a@b>"},
		{"MAIL ", "MAIL", ""},
		{"rcpt TO:<a@b>", "RCPT", "TO:<a@b>"},
		{"MAILFROM:<a@b>", "MAILFROM:<A@B>", ""},
		{"MAIL\tFROM:<a@b>", "MAIL\tFROM:<A@B>", ""},
		{"StartTLS", "STARTTLS", ""},
		{"", "", ""},
	} {
		verb, arg := parseCommand(tc.line)
		if verb != tc.verb || arg != tc.arg {
			t.Errorf("parseCommand(%q) = %q, %q; want %q, %q", tc.line, verb, arg, tc.verb, tc.arg)
		}
	}
}
