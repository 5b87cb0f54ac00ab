package segtest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 3, 5, 14, 21, 4, 0, time.UTC)
	c := NewClock(t0)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				c.Advance(time.Second)
				c.Now()
			}
		}()
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(t0.Add(400 * time.Second)) {
		t.Errorf("Now = %v, want %v", got, t0.Add(400*time.Second))
	}
}

func TestPoll(t *testing.T) {
	n := 0
	if !Poll(time.Second, func() bool { n++; return n == 3 }) || n != 3 {
		t.Errorf("Poll: cond true at the third look, looked %d times", n)
	}
	start := time.Now()
	if Poll(50*time.Millisecond, func() bool { return false }) {
		t.Error("Poll reported a condition that never held")
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 2*time.Second {
		t.Errorf("Poll gave up after %v, want 50 ms", d)
	}
}

func TestGrepAndMustLog(t *testing.T) {
	lines := []string{"Info: MID 1 done", "Info: MID 2 done", "Warning: MID 1 late"}
	if got := Grep(lines, "MID 1", "Info:"); !slices.Equal(got, lines[:1]) {
		t.Errorf("Grep = %q", got)
	}
	ft := &fakeT{TB: t}
	MustLog(ft, lines, "Info: MID 2 done", "Info: MID 2")
	if len(ft.errs) != 1 || !strings.Contains(ft.errs[0], `"Info: MID 2"`) {
		t.Errorf("MustLog of one present and one partial line reported %q", ft.errs)
	}
}

// fakeT records Errorf instead of failing the test.
type fakeT struct {
	testing.TB
	errs []string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// Fatalf records like Errorf and ends the goroutine, as testing's does
// (call the code under test in a goroutine of its own).
func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

// send sends one message by hand (the sink's reply to DATA has no MID
// for Transact to read) and returns the reply to DATA.
func send(t *testing.T, addr string) error {
	t.Helper()
	cl, err := Client{}.Dial(addr)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.Mail("a@x.test", nil); err != nil {
		return err
	}
	if err := cl.Rcpt("b@x.test", nil); err != nil {
		return err
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		return err
	}
	return w.Close()
}

// TestSinkHoldDataAndSetReply: HoldData keeps DATA unanswered until
// release; SetReply takes effect for the next command.
func TestSinkHoldDataAndSetReply(t *testing.T) {
	s := NewSink(t, SinkOptions{})
	release := s.HoldData()
	done := make(chan error, 1)
	go func() { done <- send(t, s.Addr()) }()
	Wait(t, 5*time.Second, "a DATA held", func() bool { return s.InData() == 1 })
	select {
	case err := <-done:
		t.Fatalf("DATA answered while held: %v", err)
	default:
	}
	if s.Count() != 0 || s.Open() != 1 {
		t.Fatalf("while held: %v", s)
	}
	release()
	release() // a second call does nothing
	if err := <-done; err != nil {
		t.Fatalf("after release: %v", err)
	}
	if s.Count() != 1 || s.InData() != 0 {
		t.Fatalf("after release: %v", s)
	}

	s.SetReply(Refuse("MAIL", Reply(421, "4.3.2 Shutting down")))
	if err := send(t, s.Addr()); err == nil || !strings.Contains(err.Error(), "Shutting down") {
		t.Errorf("MAIL after SetReply: %v", err)
	}
	if got := s.String(); !strings.Contains(got, "MAIL 2, RCPT 1, DATA 1, 1 messages") {
		t.Errorf("String() = %q", got)
	}
}

func TestSinkTLS(t *testing.T) {
	for _, c := range []struct {
		name string
		o    SinkOptions
		ok   bool
	}{{"TLS", SinkOptions{TLS: true}, true}, {"BrokenTLS", SinkOptions{BrokenTLS: true}, false}} {
		t.Run(c.name, func(t *testing.T) {
			s := NewSink(t, c.o)
			cl, err := smtp.DialStartTLS(s.Addr(), &tls.Config{InsecureSkipVerify: true})
			if err == nil {
				// The handshake may wait for the first command.
				err = cl.SendMail("a@x.test", []string{"b@x.test"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
				cl.Close()
			}
			if (err == nil) != c.ok {
				t.Fatalf("sending over STARTTLS: %v", err)
			}
			if !c.ok {
				if s.Conns() != 1 || s.Attempts("MAIL") != 0 {
					t.Errorf("a transaction after a broken handshake: %v", s)
				}
				return
			}
			if m := s.WaitCount(t, 1, 5*time.Second); !m[0].TLS {
				t.Errorf("message over STARTTLS recorded as plain: %+v", m[0])
			}
		})
	}
}

func TestSilent(t *testing.T) {
	s := NewSilent(t)
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	Wait(t, 5*time.Second, "the connection", func() bool { return s.Conns() == 1 && s.Open() == 1 })
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var b [1]byte
	var ne net.Error
	if _, err := c.Read(b[:]); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("the silent server said something: %v", err)
	}
	c.Close()
	Wait(t, 5*time.Second, "the close to be seen", func() bool { return s.Open() == 0 })
}
