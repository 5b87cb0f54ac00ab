package segtest

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Client sends mail with go-smtp's client.
type Client struct {
	// LocalIP is the source address (default: the kernel's choice,
	// 127.0.0.1 for a loopback server). "127.0.0.2" is a host outside
	// the default RELAYLIST.
	LocalIP string
	Helo    string        // default "client.test"
	Timeout time.Duration // per command; default 30 s
}

// Dial opens an SMTP session and says EHLO.
func (c Client) Dial(addr string) (*smtp.Client, error) {
	d := net.Dialer{Timeout: c.timeout()}
	if c.LocalIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(c.LocalIP)}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	cl := smtp.NewClient(nc)
	cl.CommandTimeout = c.timeout()
	cl.SubmissionTimeout = c.timeout()
	helo := c.Helo
	if helo == "" {
		helo = "client.test"
	}
	if err := cl.Hello(helo); err != nil {
		cl.Close()
		return nil, err
	}
	return cl, nil
}

func (c Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 30 * time.Second
}

// Send delivers one message in one session and returns the MID from
// "250 ... queued as MID".
func (c Client) Send(addr, from string, to []string, data []byte) (int64, error) {
	cl, err := c.Dial(addr)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	mid, err := Transact(cl, from, to, data)
	if err != nil {
		return 0, err
	}
	cl.Quit()
	return mid, nil
}

// SendN sends data n times over one session and returns the MIDs; any
// failure fails the test.
func (c Client) SendN(t testing.TB, addr string, n int, from string, to []string, data []byte) []int64 {
	t.Helper()
	cl, err := c.Dial(addr)
	if err != nil {
		t.Fatalf("connecting to %s: %v", addr, err)
	}
	defer cl.Close()
	mids := make([]int64, 0, n)
	for i := range n {
		mid, err := Transact(cl, from, to, data)
		if err != nil {
			t.Fatalf("message %d of %d: %v", i+1, n, err)
		}
		mids = append(mids, mid)
	}
	if err := cl.Quit(); err != nil {
		t.Fatalf("QUIT: %v", err)
	}
	return mids
}

// Transact sends one message on an open session and returns its MID.
func Transact(cl *smtp.Client, from string, to []string, data []byte) (int64, error) {
	if err := cl.Mail(from, nil); err != nil {
		return 0, err
	}
	for _, r := range to {
		if err := cl.Rcpt(r, nil); err != nil {
			return 0, err
		}
	}
	w, err := cl.Data()
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(data); err != nil {
		return 0, err
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return 0, err
	}
	return QueuedAs(resp.StatusText)
}

// QueuedAs reads the MID from seg's reply to DATA, "Ok: queued as MID".
func QueuedAs(reply string) (int64, error) {
	i := strings.LastIndex(reply, "queued as ")
	if i < 0 {
		return 0, fmt.Errorf("reply %q does not say queued as", reply)
	}
	f := strings.Fields(reply[i+len("queued as "):])
	if len(f) == 0 {
		return 0, fmt.Errorf("reply %q has no MID", reply)
	}
	return strconv.ParseInt(f[0], 10, 64)
}

// SplitReceived splits a message as seg passed it on into the trace
// field seg prepended (the first header field, "Received:" and its
// continuation lines) and the rest.
func SplitReceived(data []byte) (received, rest []byte, err error) {
	if !bytes.HasPrefix(data, []byte("Received: ")) {
		return nil, nil, fmt.Errorf("message does not start with a Received field: %.80q", data)
	}
	end := 0
	for {
		i := bytes.Index(data[end:], []byte("\r\n"))
		if i < 0 {
			return nil, nil, fmt.Errorf("unterminated Received field: %.200q", data)
		}
		end += i + 2
		if end >= len(data) || (data[end] != ' ' && data[end] != '\t') {
			return data[:end], data[end:], nil
		}
	}
}
