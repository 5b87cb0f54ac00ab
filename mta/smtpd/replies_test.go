package smtpd

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"seg/store"
)

var updateReplies = flag.Bool("update", false, "rewrite testdata/replies.txt")

// replyCase is one scripted session: the client sends in all at once
// (pipelined), half-closes, and reads every reply until the server
// hangs up.
type replyCase struct {
	name string
	src  string              // client address; "" is 127.0.0.2 (ACCEPT, the RAT applies)
	edit func(*store.Config) // nil: testConfig as is
	in   string
}

// limits gives $ACCEPTED small limits, to reach their replies.
func limits(p store.Params) func(*store.Config) {
	return func(cfg *store.Config) { policy(cfg, "$ACCEPTED").Params = p }
}

const (
	rHi   = "EHLO client.test\r\n"
	rTx   = "MAIL FROM:<a@sender.test>\r\nRCPT TO:<b@example.com>\r\n"
	rBody = "Subject: s\r\n\r\nbody\r\n.\r\n"
)

var replyCases = []replyCase{
	{name: "one message", in: rHi + rTx + "DATA\r\n" + rBody + "QUIT\r\n"},
	{name: "HELO", in: "HELO old.test\r\n" + rTx + "DATA\r\n" + rBody + "QUIT\r\n"},
	{name: "relay host", src: "127.0.0.1", in: rHi + "MAIL FROM:<a@inside.test>\r\nRCPT TO:<x@far.test>\r\nDATA\r\n" + rBody + "QUIT\r\n"},
	{name: "lower-case verbs", in: "ehlo client.test\r\nmail from:<a@sender.test>\r\nrcpt to:<b@example.com>\r\ndata\r\n" + rBody + "rset\r\nnoop\r\nvrfy x\r\nhelp\r\nquit\r\n"},
	{name: "mixed-case verbs", in: "EhLo client.test\r\nMaIl FrOm:<a@sender.test>\r\nRcPt To:<b@example.com>\r\nDaTa\r\n" + rBody + "QuIt\r\n"},
	{name: "bare LF commands", in: "EHLO client.test\nMAIL FROM:<a@sender.test>\nRCPT TO:<b@example.com>\nDATA\n" + rBody + "QUIT\n"},
	{name: "bare LF data", in: rHi + rTx + "DATA\r\nSubject: s\n\nbody\n.\nmore\r\n.\r\nQUIT\r\n"},
	{name: "bare CR", in: "EHLO client.test\rNOOP\r\nNOOP\r\r\nQUIT\r\n"},
	{name: "dot stuffing", in: rHi + rTx + "DATA\r\n..one\r\n.two\r\n...\r\n. \r\n.\rx\r\nend\r\n.\r\nQUIT\r\n"},
	{name: "CR CR LF before the dot", in: rHi + rTx + "DATA\r\nx\r\r\n.\r\nQUIT\r\n"},
	{name: "trailing spaces after verbs", in: "EHLO client.test \r\n" + rTx + "DATA \r\n" + rBody + "RSET \r\nQUIT \r\n"},
	{name: "empty message", in: rHi + rTx + "DATA\r\n.\r\nQUIT\r\n"},
	{name: "data without final CRLF", in: rHi + rTx + "DATA\r\nno newline.\r\n.\r\nQUIT\r\n"},
	{name: "NUL bytes in data", in: rHi + rTx + "DATA\r\nSubject: \x00\r\n\r\n\x00body\x00\r\n.\r\nQUIT\r\n"},
	{name: "8-bit data", in: rHi + rTx + "DATA\r\nSubject: \xe9t\xe9\r\n\r\n\xff\xfe\r\n.\r\nQUIT\r\n"},
	{name: "two messages", in: rHi + rTx + "DATA\r\n" + rBody + rTx + "DATA\r\n" + rBody + "QUIT\r\n"},
	{name: "pipelined with bad rcpt", in: rHi + "MAIL FROM:<a@sender.test>\r\nRCPT TO:<x@far.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n" + rBody + "QUIT\r\n"},
	{name: "pipelined no valid rcpt", in: rHi + "MAIL FROM:<a@sender.test>\r\nRCPT TO:<x@far.test>\r\nDATA\r\n" + rBody + "QUIT\r\n"},
	{name: "null sender", in: rHi + "MAIL FROM:<>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n" + rBody + "QUIT\r\n"},
	{name: "no greeting", in: "MAIL FROM:<a@sender.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nAUTH PLAIN AAAA\r\nNOOP\r\nRSET\r\nVRFY x\r\nQUIT\r\n"},
	{name: "RCPT before MAIL", in: rHi + "RCPT TO:<b@example.com>\r\nQUIT\r\n"},
	{name: "DATA before MAIL", in: rHi + "DATA\r\nQUIT\r\n"},
	{name: "DATA before RCPT", in: rHi + "MAIL FROM:<a@sender.test>\r\nDATA\r\nQUIT\r\n"},
	{name: "DATA with argument", in: rHi + rTx + "DATA now\r\nQUIT\r\n"},
	{name: "nested MAIL", in: rHi + "MAIL FROM:<a@sender.test>\r\nMAIL FROM:<b@sender.test>\r\nQUIT\r\n"},
	{name: "RSET then MAIL", in: rHi + "MAIL FROM:<a@sender.test>\r\nRSET\r\nMAIL FROM:<b@sender.test>\r\nQUIT\r\n"},
	{name: "EHLO again mid-transaction", in: rHi + rTx + "EHLO again.test\r\nRCPT TO:<b@example.com>\r\n" + rTx + "DATA\r\n" + rBody + "QUIT\r\n"},
	{name: "HELO then EHLO", in: "HELO one.test\r\nEHLO two.test\r\n" + rTx + "DATA\r\n" + rBody + "QUIT\r\n"},
	{name: "EHLO without argument", in: "EHLO\r\nEHLO \r\nHELO\r\nHELO  \r\nQUIT\r\n"},
	{name: "EHLO with extra words", in: "EHLO client.test extra words\r\nQUIT\r\n"},
	{name: "EHLO address literal", in: "EHLO [127.0.0.2]\r\nQUIT\r\n"},
	{name: "MAIL missing args", in: rHi + "MAIL\r\nMAIL \r\nMAIL FROM\r\nMAIL FROM:\r\nMAIL TO:<a@b.test>\r\nQUIT\r\n"},
	{name: "RCPT missing args", in: rHi + "MAIL FROM:<a@sender.test>\r\nRCPT\r\nRCPT \r\nRCPT TO\r\nRCPT TO:\r\nRCPT FROM:<b@example.com>\r\nQUIT\r\n"},
	{name: "space after colon", in: rHi + "MAIL FROM: <a@sender.test>\r\nRCPT TO: <b@example.com>\r\nDATA\r\n" + rBody + "QUIT\r\n"},
	{name: "spaces after verb", in: rHi + "MAIL  FROM:<a@sender.test>\r\nRCPT   TO:<b@example.com>\r\nQUIT\r\n"},
	{name: "tab after verb", in: rHi + "MAIL\tFROM:<a@sender.test>\r\nQUIT\r\n"},
	{name: "no angle brackets", in: rHi + "MAIL FROM:a@sender.test\r\nRCPT TO:b@example.com\r\nQUIT\r\n"},
	{name: "bad addresses", in: rHi + "MAIL FROM:<a>\r\nMAIL FROM:<@sender.test>\r\nMAIL FROM:<a@>\r\nMAIL FROM:<a@sender.test\r\nMAIL FROM:<a@sender.test>>\r\nMAIL FROM:<a b@sender.test>\r\nMAIL FROM:<\"a b\"@sender.test>\r\nRCPT TO:<>\r\nRCPT TO:<b>\r\nRCPT TO:<b@example.com\r\nRCPT TO:<b@@example.com>\r\nRCPT TO:<@x.test:b@example.com>\r\nRCPT TO:<@x.test,@y.test:b@example.com>\r\nRCPT TO:<@x.test b@example.com>\r\nRCPT TO:<postmaster>\r\nQUIT\r\n"},
	{name: "quoted local parts", in: rHi + "MAIL FROM:<\"a\\\"b\"@sender.test>\r\nRCPT TO:<\"x y\"@example.com>\r\nRCPT TO:<\"plain\"@example.com>\r\nRCPT TO:<\"x>\"@example.com>\r\nQUIT\r\n"},
	{name: "NUL bytes in commands", in: rHi + "MAIL FROM:<a\x00b@sender.test>\r\nNO\x00P\r\n\x00\r\nNOOP\x00\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<b\x00@example.com>\r\nQUIT\r\n"},
	{name: "SIZE", in: rHi + "MAIL FROM:<a@sender.test> SIZE=1000\r\nRSET\r\nMAIL FROM:<a@sender.test> SIZE=\r\nMAIL FROM:<a@sender.test> SIZE=abc\r\nMAIL FROM:<a@sender.test> SIZE=-1\r\nMAIL FROM:<a@sender.test> SIZE=99999999999\r\nMAIL FROM:<a@sender.test> SIZE=10485761\r\nMAIL FROM:<a@sender.test> SIZE\r\nMAIL FROM:<a@sender.test> size=10\r\nQUIT\r\n"},
	{name: "BODY", in: rHi + "MAIL FROM:<a@sender.test> BODY=8BITMIME\r\nRSET\r\nMAIL FROM:<a@sender.test> BODY=7BIT\r\nRSET\r\nMAIL FROM:<a@sender.test> body=8bitmime\r\nRSET\r\nMAIL FROM:<a@sender.test> BODY=BINARYMIME\r\nMAIL FROM:<a@sender.test> BODY=9BIT\r\nMAIL FROM:<a@sender.test> BODY\r\nQUIT\r\n"},
	{name: "MAIL parameters", in: rHi + "MAIL FROM:<a@sender.test> SMTPUTF8\r\nMAIL FROM:<a@sender.test> REQUIRETLS\r\nMAIL FROM:<a@sender.test> RET=FULL\r\nMAIL FROM:<a@sender.test> ENVID=x\r\nMAIL FROM:<a@sender.test> XFOO=1\r\nMAIL FROM:<a@sender.test> XFOO\r\nMAIL FROM:<a@sender.test> A=B=C\r\nMAIL FROM:<a@sender.test>SIZE=1\r\nMAIL FROM:<a@sender.test>  SIZE=1  BODY=8BITMIME \r\nQUIT\r\n"},
	{name: "MAIL AUTH parameter", in: rHi + "MAIL FROM:<a@sender.test> AUTH=<>\r\nRSET\r\nMAIL FROM:<a@sender.test> AUTH=a@sender.test\r\nRSET\r\nMAIL FROM:<a@sender.test> AUTH=a+2Bb@sender.test\r\nRSET\r\nMAIL FROM:<a@sender.test> AUTH=a+2@sender.test\r\nMAIL FROM:<a@sender.test> AUTH=nobody\r\nMAIL FROM:<a@sender.test> AUTH=\r\nQUIT\r\n"},
	{name: "RCPT parameters", in: rHi + "MAIL FROM:<a@sender.test>\r\nRCPT TO:<b@example.com> NOTIFY=NEVER\r\nRCPT TO:<b@example.com> ORCPT=rfc822;b@example.com\r\nRCPT TO:<b@example.com> RRVS=2020-01-01T00:00:00Z\r\nRCPT TO:<b@example.com> BY=120;R\r\nRCPT TO:<b@example.com> MT-PRIORITY=1\r\nRCPT TO:<b@example.com> XFOO=1\r\nRCPT TO:<b@example.com> A=B=C\r\nRCPT TO:<b@example.com>X\r\nRCPT TO:<b@example.com> \r\nQUIT\r\n"},
	{name: "AUTH", in: "AUTH PLAIN AAAA\r\n" + rHi + "AUTH\r\nAUTH PLAIN\r\nAUTH PLAIN AAAA\r\nAUTH LOGIN\r\nAUTH XYZ\r\nauth plain\r\nQUIT\r\n"},
	{name: "STARTTLS", in: "STARTTLS\r\n" + rHi + "STARTTLS\r\nstarttls\r\nSTARTTLS now\r\nSTARTTLSX\r\nQUIT\r\n"},
	{name: "BDAT", in: rHi + rTx + "BDAT 5 LAST\r\nhello\r\nQUIT\r\n"},
	{name: "EXPN HELP VRFY", in: rHi + "EXPN list\r\nHELP\r\nHELP MAIL\r\nhelp\r\nVRFY\r\nVRFY postmaster\r\nVRFY <a@example.com>\r\nQUIT\r\n"},
	{name: "NOOP and RSET with arguments", in: rHi + "NOOP hello\r\nRSET now\r\nQUIT now\r\n"},
	{name: "other verbs", in: rHi + "TURN\r\nETRN x\r\nSEND FROM:<a@b>\r\nSOML\r\nSAML\r\nQUIT\r\n"},
	{name: "short and mangled lines", in: rHi + "\r\nAB\r\nABCDE\r\nMAILFROM:<a@b>\r\nQUIT\r\n"},
	{name: "bad command limit", in: rHi + "FOO\r\nBAR\r\nNOOP\r\nBAZ\r\nQUX\r\nQUUX\r\nNOOP\r\nQUIT\r\n"},
	{name: "bad command limit mid-transaction", in: rHi + "MAIL FROM:<a@sender.test>\r\nA1\r\nA2\r\nA3\r\nA4\r\nA5\r\nRCPT TO:<b@example.com>\r\n"},
	{name: "bad commands before greeting", in: "X1\r\nX2\r\nX3\r\nX4\r\nX5\r\nEHLO client.test\r\n"},
	{name: "commands after QUIT", in: rHi + "QUIT\r\nNOOP\r\nMAIL FROM:<a@sender.test>\r\n"},
	{name: "command at EOF without CRLF", in: rHi + "NOOP"},
	{name: "unknown at EOF without CRLF", in: rHi + "FOO"},
	{name: "EOF in data", in: rHi + rTx + "DATA\r\nSubject: cut\r\n\r\nhalf"},
	{name: "EOF after data dot without LF", in: rHi + rTx + "DATA\r\nSubject: cut\r\n\r\nx\r\n.\r"},
	{name: "command line of 1998+CRLF", in: rHi + "NOOP " + strings.Repeat("n", 1993) + "\r\nQUIT\r\n"},
	{name: "command line of 1999+CRLF", in: rHi + "NOOP " + strings.Repeat("n", 1994) + "\r\nQUIT\r\n"},
	{name: "command line of 3000", in: rHi + "NOOP " + strings.Repeat("n", 2995) + "\r\nQUIT\r\n"},
	{name: "command line of 5000", in: rHi + "NOOP " + strings.Repeat("n", 4995) + "\r\nQUIT\r\n"},
	{name: "first line of 1999+CRLF", in: "EHLO " + strings.Repeat("h", 1994) + "\r\nQUIT\r\n"},
	{name: "first line of 2000+CRLF", in: "EHLO " + strings.Repeat("h", 1995) + "\r\nQUIT\r\n"},
	{name: "data line of 1998+CRLF", in: rHi + rTx + "DATA\r\n" + strings.Repeat("d", 1998) + "\r\n.\r\nQUIT\r\n"},
	{name: "data line of 1999+CRLF", in: rHi + rTx + "DATA\r\n" + strings.Repeat("d", 1999) + "\r\n.\r\nQUIT\r\n"},
	{name: "data line of 5000", in: rHi + rTx + "DATA\r\nSubject: long\r\n\r\n" + strings.Repeat("d", 5000) + "\r\n.\r\nQUIT\r\n"},
	{name: "max_message_size", edit: limits(store.Params{"max_message_size": "1024"}),
		in: rHi + "MAIL FROM:<a@sender.test> SIZE=1025\r\nMAIL FROM:<a@sender.test> SIZE=1024\r\nRCPT TO:<b@example.com>\r\nDATA\r\n" + strings.Repeat("x", 1030) + "\r\n.\r\n" + rTx + "DATA\r\n" + strings.Repeat("y", 1022) + "\r\n.\r\nQUIT\r\n"},
	{name: "max_rcpts_per_msg", edit: limits(store.Params{"max_rcpts_per_msg": "2"}),
		in: rHi + "MAIL FROM:<a@sender.test>\r\nRCPT TO:<b1@example.com>\r\nRCPT TO:<b2@example.com>\r\nRCPT TO:<b3@example.com>\r\nRCPT TO:<x@far.test>\r\nDATA\r\n" + rBody + "QUIT\r\n"},
	{name: "max_msgs_per_session", edit: limits(store.Params{"max_msgs_per_session": "1"}),
		in: rHi + rTx + "DATA\r\n" + rBody + rTx + "DATA\r\n" + rBody + "QUIT\r\n"},
	{name: "RAT entry code and text", edit: func(cfg *store.Config) {
		cfg.Listeners[0].RAT = append([]store.RATEntry{{Entry: "nobody@example.com", Action: store.RATReject, Code: 551, Text: "#5.1.1 No such user"}}, cfg.Listeners[0].RAT...)
	}, in: rHi + "MAIL FROM:<a@sender.test>\r\nRCPT TO:<nobody@example.com>\r\nQUIT\r\n"},
	{name: "banner override", edit: limits(store.Params{"smtp_banner_code": "221", "smtp_banner_text": "$Hostname ready for $RemoteIP"}),
		in: rHi + "QUIT\r\n"},
	{name: "reject policy", edit: func(cfg *store.Config) {
		cfg.Listeners[0].HAT.SenderGroup("BLOCKED_LIST").Members = []string{"127.0.0.2"}
	}, in: "EHLO x\r\nMAIL FROM:<a@b>\r\nQUIT\r\nNOOP\r\n"},
	{name: "reject policy bad limit", edit: func(cfg *store.Config) {
		cfg.Listeners[0].HAT.SenderGroup("BLOCKED_LIST").Members = []string{"127.0.0.2"}
	}, in: "A\r\nB\r\nC\r\nD\r\nE\r\nF\r\n"},
}

// TestReplies runs every scripted session and compares what the client
// read (replies, byte for byte), what was queued and what mail_logs said
// with testdata/replies.txt. go test -run TestReplies -update rewrites
// it; the diff then shows each change of behaviour.
func TestReplies(t *testing.T) {
	var out strings.Builder
	for _, rc := range replyCases {
		out.WriteString(runReplyCase(t, rc))
	}
	const file = "testdata/replies.txt"
	if *updateReplies {
		if err := os.WriteFile(file, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from line %d:\n got %s\nwant %s\n(go test -run TestReplies -update rewrites it)", file, i+1, g, w)
			}
		}
	}
}

func runReplyCase(t *testing.T, rc replyCase) string {
	t.Helper()
	cfg := testConfig()
	if rc.edit != nil {
		rc.edit(cfg)
	}
	e := newEnv(t, cfg)
	src := rc.src
	if src == "" {
		src = "127.0.0.2"
	}
	conn, err := dialRaw(e.addr("IncomingMail"), src)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(conn) // a reset after the last reply is not a reply
		got <- b
	}()
	if _, err := conn.Write([]byte(rc.in)); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Logf("%s: write: %v", rc.name, err) // the server may hang up first
	}
	conn.(*net.TCPConn).CloseWrite()
	replies := <-got
	e.waitLog("Info: ICID 1 close")

	var b strings.Builder
	fmt.Fprintf(&b, "== %s\n", rc.name)
	for _, l := range strings.SplitAfter(rc.in, "\n") {
		if l != "" {
			fmt.Fprintf(&b, "> %s\n", clip(fmt.Sprintf("%q", l)))
		}
	}
	r := bufio.NewReader(strings.NewReader(string(replies)))
	for {
		l, err := r.ReadString('\n')
		if l != "" {
			if strings.HasSuffix(l, "\r\n") {
				fmt.Fprintf(&b, "< %s\n", clip(strings.TrimSuffix(l, "\r\n")))
			} else {
				fmt.Fprintf(&b, "< %q (no CRLF)\n", l)
			}
		}
		if err != nil {
			break
		}
	}
	for _, q := range e.q.messages() {
		var rcpts []string
		for _, r := range q.m.Rcpts {
			rcpts = append(rcpts, r.Addr)
		}
		fmt.Fprintf(&b, "queued MID %d from <%s> to %s: %s\n", q.m.MID, q.m.From, strings.Join(rcpts, ","), clip(fmt.Sprintf("%q", q.body)))
	}
	for _, l := range e.log.Lines() {
		fmt.Fprintf(&b, "log %s\n", clip(l))
	}
	b.WriteString("\n")
	return b.String()
}

// clip shortens the long lines of the length cases.
func clip(s string) string {
	if len(s) <= 200 {
		return s
	}
	return fmt.Sprintf("%s...(%d bytes)...%s", s[:80], len(s)-160, s[len(s)-80:])
}
