package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/mta/dns"
	"seg/mta/queue"
	"seg/store"
)

func TestBackoff(t *testing.T) {
	s := time.Second
	cases := []struct {
		initial, max time.Duration
		attempts     int
		want         time.Duration
	}{
		{60 * s, 3600 * s, 0, 60 * s},
		{60 * s, 3600 * s, 1, 60 * s},
		{60 * s, 3600 * s, 2, 120 * s},
		{60 * s, 3600 * s, 3, 240 * s},
		{60 * s, 3600 * s, 6, 1920 * s},
		{60 * s, 3600 * s, 7, 3600 * s}, // 3840 capped
		{60 * s, 3600 * s, 1000, 3600 * s},
		{100 * s, 50 * s, 1, 50 * s}, // initial above max
		{0, 600 * s, 5, 600 * s},
	}
	for _, c := range cases {
		if got := Backoff(c.initial, c.max, c.attempts); got != c.want {
			t.Errorf("Backoff(%v, %v, %d) = %v, want %v", c.initial, c.max, c.attempts, got, c.want)
		}
	}
}

func TestProfilePolicy(t *testing.T) {
	cfg := store.Default("seg.test", "")
	cfg.Bounce = append(cfg.Bounce, store.BounceProfile{Name: "fast", Params: store.Params{"max_retries": "2", "initial_retry": "10", "max_retry_timeout": "15", "send_bounces": "off"}})
	cfg.Destinations = []store.Destination{{Domain: "fast.test", Params: store.Params{"bounce_profile": "fast"}}}

	def := NewProfilePolicy(cfg, "example.test")
	if def.Name() != "Default" || def.MaxRetries != 100 || def.MaxLifetime != 72*time.Hour || !def.Bounces().Send {
		t.Errorf("Default = %+v", def)
	}
	p := NewProfilePolicy(cfg, "fast.test")
	if p.Name() != "fast" || p.MaxRetries != 2 || p.Bounces().Send || p.MaxLifetime != 72*time.Hour {
		t.Fatalf("fast = %+v", p)
	}
	m := &queue.Message{Received: t0}
	for _, c := range []struct {
		attempts int
		wait     time.Duration
		ok       bool
	}{{1, 10 * time.Second, true}, {2, 15 * time.Second, true}, {3, 0, false}} {
		next, ok := p.NextRetry(m, c.attempts, t0)
		if ok != c.ok || (ok && next.Sub(t0) != c.wait) {
			t.Errorf("NextRetry after %d = %v %v, want +%v %v", c.attempts, next.Sub(t0), ok, c.wait, c.ok)
		}
	}
	if p.Expired(m, 2, t0) || !p.Expired(m, 3, t0) || !p.Expired(m, 0, t0.Add(72*time.Hour)) {
		t.Error("Expired by retries or lifetime is wrong")
	}
	// A retry never lands after the expiry time.
	late := &queue.Message{Received: t0.Add(-72*time.Hour + 5*time.Second)}
	if next, ok := p.NextRetry(late, 1, t0); !ok || !next.Equal(t0.Add(5*time.Second)) {
		t.Errorf("late retry = %v %v", next, ok)
	}
	// An unknown profile name falls back to Default.
	cfg.Destinations[0].Params["bounce_profile"] = "gone"
	if p := NewProfilePolicy(cfg, "fast.test"); p.Name() != "Default" {
		t.Errorf("unknown profile gave %q", p.Name())
	}
}

func TestSMTPFailure(t *testing.T) {
	cases := []struct {
		err                  error
		code                 int
		status, text, reason string
		permanent            bool
		tuple                string
	}{
		{&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}, 550, "5.1.1", "5.1.1 No such user", "5.1.1 - Bad destination mailbox address", true, "('550', ['5.1.1 No such user'])"},
		{&smtp.SMTPError{Code: 550, Message: "<george@x>... Relaying denied"}, 550, "5.1.0", "<george@x>... Relaying denied", "5.1.0 - Unknown address error", true, "('550', ['<george@x>... Relaying denied'])"},
		{&smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "try again later"}, 421, "4.3.2", "4.3.2 try again later", "4.3.2 - Not accepting messages at this time", false, "('421', ['4.3.2 try again later'])"},
		{&smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "full\nreally"}, 452, "4.2.2", "4.2.2 full\n4.2.2 really", "4.2.2 - Mailbox full", false, "('452', ['4.2.2 full', '4.2.2 really'])"},
		// An enhanced code of the wrong class takes the reply's class.
		{&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "no"}, 550, "5.7.1", "4.7.1 no", "5.7.1 - Delivery not authorized, message refused", true, "('550', ['4.7.1 no'])"},
		{fmt.Errorf("reading reply: %w", io.EOF), 0, "4.4.2", "connection closed by remote host", "4.4.2 - Bad connection", false, "('000', ['connection closed by remote host'])"},
	}
	for _, c := range cases {
		f := smtpFailure(c.err, "mx")
		if f.Code != c.code || f.Status != c.status || f.Text != c.text || f.Permanent != c.permanent || f.reason() != c.reason || f.logTuple() != c.tuple {
			t.Errorf("%v: got %+v reason %q tuple %s", c.err, f, f.reason(), f.logTuple())
		}
		if f.Temporary() == c.permanent {
			t.Errorf("%v: Temporary() = %v", c.err, f.Temporary())
		}
	}
}

func TestFindRoute(t *testing.T) {
	cfg := &store.Config{}
	cfg.System.Routes = []store.SMTPRoute{
		{Domain: "example.com", Hosts: []string{"a"}},
		{Domain: ".example.com", Hosts: []string{"b"}},
		{Domain: ".deep.example.com", Hosts: []string{"c"}},
		{Domain: "ALL", Hosts: []string{"d"}},
	}
	for _, c := range []struct {
		name     string
		allowAll bool
		want     string
	}{
		{"Example.COM", true, "a"},
		{"mx.example.com", true, "b"},
		{"x.deep.example.com", true, "c"},
		{"other.org", true, "d"},
		{"other.org", false, ""},
	} {
		hosts, ok := findRoute(cfg, c.name, c.allowAll)
		if got := ""; ok {
			got = hosts[0]
			if got != c.want {
				t.Errorf("findRoute(%q) = %q, want %q", c.name, got, c.want)
			}
		} else if c.want != "" {
			t.Errorf("findRoute(%q): no route, want %q", c.name, c.want)
		}
	}
}

func TestOrderMXAndAddrs(t *testing.T) {
	in := []dns.MX{{Host: "c", Pref: 30}, {Host: "a1", Pref: 10}, {Host: "b", Pref: 20}, {Host: "a2", Pref: 10}}
	seen := map[string]bool{}
	for range 200 {
		out := orderMX(in)
		if out[2].Host != "b" || out[3].Host != "c" || out[0].Pref != 10 || out[1].Pref != 10 {
			t.Fatalf("order = %v", out)
		}
		seen[out[0].Host] = true
	}
	if !seen["a1"] || !seen["a2"] {
		t.Errorf("equal preferences not randomised: first was always one of %v", seen)
	}
	v4, v6 := ap("127.0.0.1"), ap("::1")
	for pref, want := range map[string][]string{
		"PREFER_V4":  {"127.0.0.1", "::1"},
		"PREFER_V6":  {"::1", "127.0.0.1"},
		"REQUIRE_V4": {"127.0.0.1"},
		"REQUIRE_V6": {"::1"},
	} {
		var got []string
		for _, a := range sortAddrs([]netip.Addr{v6, v4}, pref) {
			got = append(got, a.String())
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", pref, got, want)
		}
	}
	for in, want := range map[string]struct {
		h string
		p int
	}{"mx.test": {"mx.test", 25}, "mx.test:2525": {"mx.test", 2525}, "[::1]:26": {"::1", 26}, "::1": {"::1", 25}, "10.0.0.1": {"10.0.0.1", 25}} {
		if h, p := splitHostPort(in); h != want.h || p != want.p {
			t.Errorf("splitHostPort(%q) = %q %d", in, h, p)
		}
	}
}

// TestDialDetail: the details field is AsyncOS's short word, never Go's
// "dial tcp ..." text.
func TestDialDetail(t *testing.T) {
	op := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{op(syscall.ECONNREFUSED), "connection refused"},
		{context.DeadlineExceeded, "timeout"},
		{io.EOF, "EOF"},
		{op(syscall.ECONNRESET), "connection reset by peer"},
		{op(syscall.EACCES), "permission denied"},
		{errors.New("something else"), "something else"},
	} {
		if got := dialDetail(c.err); got != c.want {
			t.Errorf("dialDetail(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// TestSourceAddr: a bound source address is the interface; otherwise the
// route's source address, never 0.0.0.0 for a reachable destination.
func TestSourceAddr(t *testing.T) {
	if got := sourceAddr(netip.MustParseAddr("127.0.0.9"), netip.MustParseAddr("127.0.0.5")); got != "127.0.0.5" {
		t.Errorf("with source_ip: %s", got)
	}
	if got := sourceAddr(netip.MustParseAddr("127.0.0.9"), netip.Addr{}); got != "127.0.0.1" {
		t.Errorf("route to loopback: %s, want 127.0.0.1", got)
	}
}
