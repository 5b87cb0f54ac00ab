package smtpd

import (
	"strings"
	"testing"
)

// BenchmarkSession measures one message (MAIL, RCPT, DATA of about 4 kB)
// through a loopback session into the fake queue.
func BenchmarkSession(b *testing.B) { benchSession(b, 52) }

// BenchmarkSessionLarge is BenchmarkSession with a message of about
// 1 MB: the cost of reading message data.
func BenchmarkSessionLarge(b *testing.B) { benchSession(b, 13000) }

// benchSession sends messages of lines lines of 78 octets.
func benchSession(b *testing.B, lines int) {
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = map[string]string{"max_msgs_per_session": "1000000"}
	e := newEnv(b, cfg)
	c := dialFrom(b, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("bench.test")
	body := "Subject: bench\r\nMessage-ID: <b@bench.test>\r\n\r\n" + strings.Repeat(strings.Repeat("b", 76)+"\r\n", lines)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.send("MAIL FROM:<a@bench.test>\r\nRCPT TO:<r@example.com>\r\nDATA\r\n")
		c.reply()
		c.reply()
		if r := c.reply(); !strings.HasPrefix(r[0], "354") {
			b.Fatalf("DATA: %q", r)
		}
		c.send(body + ".\r\n")
		if r := c.reply(); !strings.HasPrefix(r[0], "250 ") {
			b.Fatalf("message %d: %q", i, r)
		}
	}
}
