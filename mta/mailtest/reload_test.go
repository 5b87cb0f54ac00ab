package mailtest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// banner dials addr and reads the greeting; "" when nothing answers.
func banner(addr string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	io.WriteString(c, "QUIT\r\n")
	return line
}

// openData starts a transaction on addr and stops in the middle of the
// DATA: the session is open, with half a message sent.
func openData(t *testing.T, addr string, rcpt string, first []byte) (*smtp.Client, io.WriteCloser) {
	t.Helper()
	cl, err := segtest.Client{}.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Mail("sender@client.test", nil); err != nil {
		t.Fatal(err)
	}
	if err := cl.Rcpt(rcpt, nil); err != nil {
		t.Fatal(err)
	}
	w, err := cl.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(first); err != nil {
		t.Fatal(err)
	}
	return cl, w
}

// finish sends the rest of an open DATA and returns the MID.
func finish(t *testing.T, w io.WriteCloser, rest []byte) int64 {
	t.Helper()
	if _, err := w.Write(rest); err != nil {
		t.Fatalf("the open session broke: %v", err)
	}
	resp, err := w.(*smtp.DataCommand).CloseWithResponse()
	if err != nil {
		t.Fatalf("the open session's message: %v", err)
	}
	mid, err := segtest.QueuedAs(resp.StatusText)
	if err != nil {
		t.Fatal(err)
	}
	return mid
}

// waitBanner polls addr until it greets and returns how long that took.
func waitBanner(t *testing.T, addr string, since time.Time) time.Duration {
	t.Helper()
	var b string
	if !segtest.Poll(5*time.Second, func() bool { b = banner(addr); return strings.HasPrefix(b, "220 ") }) {
		t.Fatalf("nothing greets on %s 5 s after the commit (last: %q)", addr, b)
	}
	return time.Since(since)
}

// TestHotReload commits listener changes through seg cli while the
// appliance runs and a session is in the middle of its DATA: the new
// listener greets within 1 s of the commit, and the open session
// completes its message. Then the same with the open session's own
// listener deleted, and moved to another port.
func TestHotReload(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr())
	a.Start()
	msg := plainMessage("rcpt@example.test", "reload", "reload@client.test")
	half := len(msg) / 2

	// A new listener while a session is open on IncomingMail.
	cl, w := openData(t, a.SMTPAddr(), "rcpt@example.test", msg[:half])
	port2 := segtest.FreePort(t)
	addr2 := net.JoinHostPort("127.0.0.1", strconv.Itoa(port2))
	a.MustCli(fmt.Sprintf("listenerconfig new Second --type public --address 127.0.0.1 --port %d ; "+
		"listenerconfig edit Second rcptaccess new example.test ACCEPT ; commit add Second", port2))
	committed := time.Now()
	if d := waitBanner(t, addr2, committed); d > time.Second {
		t.Errorf("the new listener greeted %v after the commit, want within 1 s", d)
	}
	mid := finish(t, w, msg[half:])
	cl.Quit()
	got := sink.WaitCount(t, 1, 20*time.Second)[0]
	if _, rest, err := segtest.SplitReceived(got.Data); err != nil || !bytes.Equal(rest, msg) {
		t.Errorf("the open session's message arrived as %q (%v), want %q after Received", got.Data, err, msg)
	}
	a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 10*time.Second)

	// The new listener takes mail: a public listener, its RAT accepts
	// example.test.
	if _, err := (segtest.Client{}).Send(addr2, "sender@client.test", []string{"rcpt@example.test"},
		plainMessage("rcpt@example.test", "via Second", "second@client.test")); err != nil {
		t.Fatalf("sending through the new listener: %v", err)
	}
	sink.WaitCount(t, 2, 20*time.Second)

	// Second goes away while a session is open on it: nothing new is
	// taken there, the open session finishes its message.
	cl, w = openData(t, addr2, "rcpt@example.test", msg[:half])
	a.MustCli("listenerconfig delete Second ; commit delete Second")
	if !segtest.Poll(time.Second, func() bool { return banner(addr2) == "" }) {
		t.Errorf("the deleted listener still greets on %s a second after the commit", addr2)
	}
	finish(t, w, msg[half:])
	cl.Quit()
	sink.WaitCount(t, 3, 20*time.Second)

	// IncomingMail moves to another port while a session is open on it.
	cl, w = openData(t, a.SMTPAddr(), "rcpt@example.test", msg[:half])
	port3 := segtest.FreePort(t)
	addr3 := net.JoinHostPort("127.0.0.1", strconv.Itoa(port3))
	a.MustCli(fmt.Sprintf("listenerconfig edit IncomingMail setup --port %d ; commit move IncomingMail", port3))
	committed = time.Now()
	if d := waitBanner(t, addr3, committed); d > time.Second {
		t.Errorf("IncomingMail greeted on its new port %v after the commit, want within 1 s", d)
	}
	if !segtest.Poll(5*time.Second, func() bool { return banner(a.SMTPAddr()) == "" }) {
		t.Errorf("the old port %s still answers after the move", a.SMTPAddr())
	}
	finish(t, w, msg[half:])
	cl.Quit()
	sink.WaitCount(t, 4, 20*time.Second)
	a.SMTPPort = port3
	a.Stop()
}

// TestRouteChangeWithOpenConnection: an SMTP route changes while a
// connection to the old host is open and the next message waits for it
// (one connection allowed): the next message goes by the new route,
// since delivery reads the configuration on each attempt (SPEC 2).
func TestRouteChangeWithOpenConnection(t *testing.T) {
	gate := make(chan struct{})
	var once sync.Once
	oldSink := segtest.NewSink(t, segtest.SinkOptions{Hold: func(a segtest.Attempt) {
		if a.Rcpts[0] == "first@example.test" {
			<-gate
		}
	}})
	newSink := segtest.NewSink(t, segtest.SinkOptions{})
	t.Cleanup(func() { once.Do(func() { close(gate) }) })
	a := segtest.New(t,
		"smtproutes new example.test "+oldSink.Addr(),
		"destconfig new example.test --max_host_concurrency=1",
	)
	a.Start()
	send := func(rcpt string) {
		t.Helper()
		if _, err := (segtest.Client{}).Send(a.SMTPAddr(), "sender@client.test", []string{rcpt}, plainMessage(rcpt, "route", rcpt+".id@client.test")); err != nil {
			t.Fatal(err)
		}
	}
	send("first@example.test")
	// The first delivery is in its DATA on the old route's connection.
	if !segtest.Poll(20*time.Second, func() bool { return oldSink.InData() == 1 }) {
		t.Fatal("the first message never reached the old route")
	}
	a.MustCli("smtproutes delete example.test ; smtproutes new example.test " + newSink.Addr() + " ; commit new route")
	send("second@example.test")
	once.Do(func() { close(gate) })

	got := newSink.WaitCount(t, 1, 20*time.Second)
	if got[0].Rcpts[0] != "second@example.test" {
		t.Errorf("the new route got %q, want second@example.test", got[0].Rcpts)
	}
	if n := oldSink.Count(); n != 1 {
		t.Errorf("the old route got %d messages, want only the first", n)
	}
	a.Stop()
}
