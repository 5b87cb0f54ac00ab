package smtpd

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/store"
)

// pipeConn gives one end of a net.Pipe a TCP client address, as an
// accepted connection has.
type pipeConn struct {
	net.Conn
	remote net.Addr
}

func (p pipeConn) RemoteAddr() net.Addr { return p.remote }
func (p pipeConn) LocalAddr() net.Addr  { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 25} }

// panicWatch is a mail_logs Logger that keeps only what matters to the
// fuzzer: the panics the command loop recovers from, which it reports as
// Warnings.
type panicWatch struct {
	mu     sync.Mutex
	panics []string
}

func (p *panicWatch) Info(string, ...any) {}
func (p *panicWatch) Warning(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.Contains(msg, "panic") {
		p.mu.Lock()
		p.panics = append(p.panics, msg)
		p.mu.Unlock()
	}
}

// FuzzSession feeds arbitrary client input to a session over net.Pipe:
// whatever the client says, the server must not panic, must not hang,
// and must let the connection go.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"EHLO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@example.com>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n",
		"HELO x\r\nMAIL FROM:<> SIZE=99999999999\r\nMAIL FROM:<a@b> SIZE=5000\r\nRCPT TO:<c@example.com>\r\n",
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@example.com>\r\nRCPT TO:<2@example.com>\r\nRCPT TO:<3@example.com>\r\nRCPT TO:<4@example.com>\r\nDATA\r\n" + strings.Repeat("y", 5000) + "\r\n.\r\n",
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@example.com>\r\nDATA\r\nx\r\n.\r\nMAIL FROM:<a@b>\r\n",
		"BDAT 5 LAST\r\nhello", "\r\n\r\n\r\n\r\n\r\n\r\n", "FOO\r\nBAR\r\nBAZ\r\nQUX\r\nQUUX\r\nNOOP\r\n",
		"AUTH PLAIN AAAA\r\n", "STARTTLS\r\n", "EHLO x\r\nDATA\r\n", "EHLO x\r\nRCPT TO:<a@b>\r\n",
		"EHLO " + strings.Repeat("h", 3000) + "\r\n", "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n" + strings.Repeat("z", 3000),
		"\x00\xff\r\n", "MAIL", "EHLO x\r\nMAIL FROM:<\"q\\\"x\"@b>\r\nRCPT TO:<@route:c@example.com>\r\nVRFY x\r\nHELP\r\nRSET\r\n",
	} {
		f.Add([]byte(s))
	}
	cfg := testConfig()
	policy(cfg, "$ACCEPTED").Params = store.Params{"max_rcpts_per_msg": "3", "max_msgs_per_session": "2", "max_message_size": "4096"}
	watch := &panicWatch{}
	cfg.Listeners[0].IdleTimeout = 5
	srv := New(Deps{Queue: &fakeQueue{}, Log: watch})
	if err := srv.Apply(cfg); err != nil {
		f.Fatal(err)
	}
	defer srv.Close(context.Background())
	srv.mu.Lock()
	l := srv.lis["incomingmail"]
	srv.mu.Unlock()

	f.Fuzz(func(t *testing.T, in []byte) {
		server, client := net.Pipe()
		raw := pipeConn{Conn: server, remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 40000}}
		srv.track(raw)
		go srv.connect(l, raw)

		client.SetDeadline(time.Now().Add(5 * time.Second))
		read := make(chan struct{})
		go func() {
			io.Copy(io.Discard, client)
			close(read)
		}()
		client.Write(in) // may fail once the server hangs up
		client.Close()
		<-read

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.waitDrained(ctx); err != nil {
			t.Fatalf("the session did not end: %v", err)
		}
		watch.mu.Lock()
		defer watch.mu.Unlock()
		if len(watch.panics) > 0 {
			t.Fatalf("panic in a session: %s", watch.panics[0])
		}
	})
}
