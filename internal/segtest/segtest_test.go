package segtest

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	mdns "github.com/miekg/dns"
)

func TestReply(t *testing.T) {
	for _, c := range []struct {
		code int
		text string
		ec   smtp.EnhancedCode
		msg  string
	}{
		{451, "4.3.0 Try again later", smtp.EnhancedCode{4, 3, 0}, "Try again later"},
		{550, "User unknown", smtp.NoEnhancedCode, "User unknown"},
		{550, "5.x.1 odd", smtp.NoEnhancedCode, "5.x.1 odd"},
	} {
		e := Reply(c.code, c.text)
		if e.Code != c.code || e.EnhancedCode != c.ec || e.Message != c.msg {
			t.Errorf("Reply(%d, %q) = %+v", c.code, c.text, e)
		}
	}
}

func TestQueuedAs(t *testing.T) {
	if mid, err := QueuedAs("2.0.0 Ok: queued as 42"); err != nil || mid != 42 {
		t.Errorf("QueuedAs = %d, %v", mid, err)
	}
	if _, err := QueuedAs("2.0.0 Ok"); err == nil {
		t.Error("QueuedAs of a reply without a MID did not fail")
	}
}

func TestSplitReceived(t *testing.T) {
	msg := "Received: from a ([127.0.0.1])\r\n\tby b with ESMTP id 1\r\n\tfor <c@d>; date\r\nSubject: x\r\n\r\nbody\r\n"
	rcv, rest, err := SplitReceived([]byte(msg))
	if err != nil || string(rcv) != msg[:len(msg)-len("Subject: x\r\n\r\nbody\r\n")] || string(rest) != "Subject: x\r\n\r\nbody\r\n" {
		t.Errorf("SplitReceived = %q, %q, %v", rcv, rest, err)
	}
	if _, _, err := SplitReceived([]byte("Subject: x\r\n\r\n")); err == nil {
		t.Error("a message without Received was split")
	}
}

// TestSinkInjectsAndCounts: the first RCPT for an address gets the
// injected 451, the second is accepted; DATA is recorded byte for byte.
func TestSinkInjectsAndCounts(t *testing.T) {
	s := NewSink(t, SinkOptions{Reply: func(a Attempt) error {
		if a.Cmd == "RCPT" && a.N == 1 {
			return Reply(451, "4.3.0 Try again later")
		}
		if a.Cmd == "RCPT" && a.Rcpt == "bad@x.test" {
			return errors.New("plain errors become 451")
		}
		return nil
	}})
	cl, err := Client{}.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Mail("a@x.test", nil); err != nil {
		t.Fatal(err)
	}
	var se *smtp.SMTPError
	if err := cl.Rcpt("b@x.test", nil); !errors.As(err, &se) || se.Code != 451 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 0}) {
		t.Fatalf("first RCPT: %v, want 451 4.3.0", err)
	}
	if err := cl.Rcpt("b@x.test", nil); err != nil {
		t.Fatalf("second RCPT: %v", err)
	}
	w, err := cl.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: hi\r\n\r\n.dot\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := s.WaitCount(t, 1, 5*time.Second)
	if got[0].From != "a@x.test" || len(got[0].Rcpts) != 1 || string(got[0].Data) != "Subject: hi\r\n\r\n.dot\r\n" || got[0].Conn != 1 {
		t.Errorf("recorded %+v", got[0])
	}
	if s.Attempts("RCPT") != 2 || s.Attempts("DATA") != 1 || s.Conns() != 1 || s.MaxConns() != 1 {
		t.Errorf("attempts RCPT %d DATA %d, conns %d max %d", s.Attempts("RCPT"), s.Attempts("DATA"), s.Conns(), s.MaxConns())
	}
	if err := cl.Rcpt("bad@x.test", nil); err == nil {
		t.Error("an injected plain error was accepted")
	}
}

func TestDNS(t *testing.T) {
	addr := NewDNS(t, "mx.test. 60 IN MX 10 mx1.mx.test.", "mx1.mx.test. 60 IN A 127.0.0.42")
	for _, proto := range []string{"udp", "tcp"} {
		c := &mdns.Client{Net: proto, Timeout: 2 * time.Second}
		m := new(mdns.Msg)
		m.SetQuestion("mx.test.", mdns.TypeMX)
		r, _, err := c.ExchangeContext(context.Background(), m, addr)
		if err != nil || len(r.Answer) != 1 || r.Answer[0].(*mdns.MX).Mx != "mx1.mx.test." {
			t.Errorf("%s MX: %v %v", proto, r, err)
		}
		m.SetQuestion("mx1.mx.test.", mdns.TypeAAAA)
		if r, _, err := c.ExchangeContext(context.Background(), m, addr); err != nil || r.Rcode != mdns.RcodeSuccess || len(r.Answer) != 0 {
			t.Errorf("%s AAAA (NODATA): %v %v", proto, r, err)
		}
		m.SetQuestion("nowhere.test.", mdns.TypeA)
		if r, _, err := c.ExchangeContext(context.Background(), m, addr); err != nil || r.Rcode != mdns.RcodeNameError {
			t.Errorf("%s unknown name (NXDOMAIN): %v %v", proto, r, err)
		}
	}
	r := net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	if ips, err := r.LookupHost(context.Background(), "mx1.mx.test"); err != nil || len(ips) != 1 || ips[0] != "127.0.0.42" {
		t.Errorf("LookupHost through the server: %v %v", ips, err)
	}
}
