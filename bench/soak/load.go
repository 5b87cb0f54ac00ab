package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// kind is what a message is meant to become.
type kind int

const (
	kRelay   kind = iota // relayed (127.0.0.1, RELAYLIST) to relay.test: the main sink
	kBounce              // relayed to reject-N@relay.test: the sink says 550, a DSN goes to client.test
	kFlap                // relayed to flap.test: the flapping sink, queued while it is down
	kInbound             // inbound from 127.0.0.5/6 to in.test: the main sink, and a TDC copy to the intake
	nKinds
)

var kindNames = [nKinds]string{"relay", "bounce", "flap", "inbound"}

// sent is one message seg acknowledged with 250.
type sent struct {
	id   string
	kind kind
	rcpt string
}

// ledger is every acknowledged message, and what the clients saw.
type ledger struct {
	mu       sync.Mutex
	acked    []sent
	byKind   [nKinds]int
	refused  int // a 4xx/5xx or a broken connection before the 250: the client knows; not counted as acknowledged
	connErrs int
	next     int
}

func (l *ledger) newID() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	return fmt.Sprintf("soak-%d@soak.test", l.next)
}

func (l *ledger) ack(s sent) {
	l.mu.Lock()
	l.acked = append(l.acked, s)
	l.byKind[s.kind]++
	l.mu.Unlock()
}

func (l *ledger) fail(conn bool) {
	l.mu.Lock()
	if conn {
		l.connErrs++
	} else {
		l.refused++
	}
	l.mu.Unlock()
}

func (l *ledger) snapshot() ([]sent, [nKinds]int, int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sent(nil), l.acked...), l.byKind, l.refused, l.connErrs
}

// load sends rate messages a second over workers sessions until ctx
// ends. Even workers relay from 127.0.0.1 (relay 6 : bounce 1 : flap 2
// of 9); odd workers send inbound mail from 127.0.0.5 or 127.0.0.6. A
// session carries up to 10 messages, then QUITs and a new one starts,
// so connections come and go as from real MTAs.
func load(ctx context.Context, smtpAddr string, rate float64, workers int, l *ledger) {
	tokens := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				close(tokens)
				return
			case <-t.C:
				select {
				case tokens <- struct{}{}:
				case <-ctx.Done():
					close(tokens)
					return
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 15))
			src := "127.0.0.1"
			if w%2 == 1 {
				src = fmt.Sprintf("127.0.0.%d", 5+(w/2)%2)
			}
			for session(smtpAddr, src, w%2 == 1, rng, tokens, l) {
			}
		}(w)
	}
	wg.Wait()
}

// session runs one SMTP session; it returns false once the tokens end.
func session(addr, src string, inbound bool, rng *rand.Rand, tokens <-chan struct{}, l *ledger) bool {
	if _, ok := <-tokens; !ok {
		return false
	}
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		l.fail(true)
		time.Sleep(time.Second)
		return true
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout, c.SubmissionTimeout = time.Minute, 2*time.Minute
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		l.fail(true)
		return true
	}
	for i := 0; ; i++ {
		if i > 0 {
			if _, ok := <-tokens; !ok {
				_ = c.Quit()
				return false
			}
		}
		if !sendOne(c, inbound, rng, l) {
			return true // the session is unusable; start another
		}
		if i == 9 {
			_ = c.Quit()
			return true
		}
	}
}

// sendOne sends one message; false when the session should end.
func sendOne(c *smtp.Client, inbound bool, rng *rand.Rand, l *ledger) bool {
	id := l.newID()
	n := strings.TrimSuffix(strings.TrimPrefix(id, "soak-"), "@soak.test")
	var k kind
	var rcpt string
	switch r := rng.IntN(9); {
	case inbound:
		k, rcpt = kInbound, fmt.Sprintf("user%d@in.test", rng.IntN(50))
	case r == 0:
		k, rcpt = kBounce, "reject-"+n+"@relay.test"
	case r <= 2:
		k, rcpt = kFlap, fmt.Sprintf("user%d@flap.test", rng.IntN(50))
	default:
		k, rcpt = kRelay, fmt.Sprintf("user%d@relay.test", rng.IntN(50))
	}
	msg := message(id, rcpt, rng)
	if err := c.Mail("sender@client.test", nil); err != nil {
		return failed(c, err, l)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return failed(c, err, l)
	}
	w, err := c.Data()
	if err != nil {
		return failed(c, err, l)
	}
	if _, err := w.Write(msg); err != nil {
		l.fail(true)
		return false
	}
	if err := w.Close(); err != nil {
		return failed(c, err, l)
	}
	l.ack(sent{id: id, kind: k, rcpt: rcpt})
	return true
}

// failed counts a refusal; an SMTP reply keeps the session (after
// RSET), anything else ends it.
func failed(c *smtp.Client, err error, l *ledger) bool {
	if _, ok := err.(*smtp.SMTPError); ok {
		l.fail(false)
		return c.Reset() == nil
	}
	l.fail(true)
	return false
}

// message is a plain message of 2 to 12 KiB with the soak Message-ID.
func message(id, rcpt string, rng *rand.Rand) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: <sender@client.test>\r\nTo: <%s>\r\nSubject: soak %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\n",
		rcpt, id, id, time.Now().UTC().Format(time.RFC1123Z))
	size := 2048 + rng.IntN(10*1024)
	line := "The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return []byte(b.String())
}
