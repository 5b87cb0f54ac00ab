package delivery

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/mta/queue"
	"seg/store"
)

func TestWindowSlides(t *testing.T) {
	w := &window{per: time.Minute}
	if r := w.room(3, t0); r != 3 {
		t.Fatalf("empty window room %d", r)
	}
	a := w.add(2, t0)
	w.add(1, t0.Add(30*time.Second))
	if r := w.room(3, t0.Add(31*time.Second)); r != 0 {
		t.Errorf("full window room %d", r)
	}
	if o := w.opens(); !o.Equal(t0.Add(time.Minute)) {
		t.Errorf("opens %v", o)
	}
	// An attempt that delivered one of its two gives the other back.
	w.settle(a, 1)
	if r := w.room(3, t0.Add(31*time.Second)); r != 1 {
		t.Errorf("after settle room %d", r)
	}
	// At t0+1m the first entry leaves the window (it is half-open).
	if r := w.room(3, t0.Add(time.Minute)); r != 2 {
		t.Errorf("after the first entry left: room %d", r)
	}
	w.settle(a, 0) // settling an expired entry changes nothing
	if r := w.room(3, t0.Add(time.Minute)); r != 2 || w.used != 1 {
		t.Errorf("settle after expiry: room %d used %d", r, w.used)
	}
}

func TestLimiterKeys(t *testing.T) {
	l := newLimiter(func() time.Time { return t0 }, &maillog.Memory{})
	dl := limitsOf(store.DestControls{MaxHostConcurrency: 2, LimitType: "MXIP", LimitApply: "VG", SourceIP: []string{"127.0.0.5", "127.0.0.6"}})
	if n := l.slots("d.test", dl); n != 4 {
		t.Errorf("slots before any route = %d, want 2 per source", n)
	}
	if !l.route("d.test", dl, []netip.Addr{ap("127.0.0.3"), ap("127.0.0.2"), ap("127.0.0.3")}) || l.route("d.test", dl, []netip.Addr{ap("127.0.0.2"), ap("127.0.0.3")}) {
		t.Error("route change not reported once")
	}
	if n := l.slots("d.test", dl); n != 8 {
		t.Errorf("slots = %d, want 2 per address and source", n)
	}
	// Each address takes two connections from each source.
	got := map[string]int{}
	for range 5 {
		ls, _, ok := l.place("d.test", dl, ap("127.0.0.2"), 1)
		if ok {
			got[ls.src.String()]++
		}
	}
	if got["127.0.0.5"] != 2 || got["127.0.0.6"] != 2 {
		t.Errorf("placed %v", got)
	}
	if _, _, ok := l.place("d.test", dl, ap("127.0.0.3"), 1); !ok {
		t.Error("the other address is full too")
	}
	st := l.state("d.test", dl)
	if len(st) != 3 || st[0] != (KeyState{IP: "127.0.0.2", Source: "127.0.0.5", Connections: 2}) {
		t.Errorf("state %+v", st)
	}
	// system: the sources share one count and are used in turn.
	sys := dl
	sys.perSrc, sys.perIP = false, false
	var srcs []string
	for range 3 {
		ls, _, ok := l.place("e.test", sys, ap("127.0.0.2"), 1)
		if ok {
			srcs = append(srcs, ls.src.String())
		}
	}
	if strings.Join(srcs, " ") != "127.0.0.5 127.0.0.6" {
		t.Errorf("system sources %q", srcs)
	}
}

func TestRecipientLimitHoldsMailQueued(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, edits(viaRoute("example.test", srv),
		destParams("example.test", store.Params{"recipient_limit": "3", "recipient_minutes": "1"})))
	h.start()
	var mids []int64
	for i := range 4 {
		mids = append(mids, h.send("a@src.test", fmt.Sprintf("r%d@example.test", i)))
	}
	mids = append(mids, h.send("a@src.test", "s0@example.test", "s1@example.test", "s2@example.test", "s3@example.test"))
	rcpts := func() int {
		n := 0
		for _, r := range srv.received() {
			n += len(r.rcpts)
		}
		return n
	}
	throttled := "Info: Delivery to example.test throttled by recipient limit"
	resumed := "Info: Recipient limit expired; resume delivery to example.test"
	h.waitIdle("the first window", func() bool { return rcpts() == 3 && len(h.lines(throttled)) == 1 })
	if hs := h.host("example.test"); hs.Active() != 5 || hs.Unattempted != 5 {
		t.Errorf("held recipients: %+v", hs)
	}
	st, _ := h.x.DestState("example.test")
	if st.RecipientLimit != 3 || st.Keys[0].WindowUsed != 3 || st.Queued != 5 {
		t.Errorf("state %+v", st)
	}
	// 59 s on, the window is still full.
	h.tick(59 * time.Second)
	h.waitIdle("nothing new", func() bool { return true })
	if n := rcpts(); n != 3 {
		t.Fatalf("%d recipients inside one minute", n)
	}
	h.tick(time.Second)
	h.waitIdle("the second window", func() bool { return rcpts() == 6 && len(h.lines(throttled)) == 2 })
	if len(h.lines(resumed)) != 1 {
		t.Errorf("resume lines %q", h.lines(resumed))
	}
	h.tick(time.Minute)
	h.waitIdle("everything", func() bool { return rcpts() == 8 })
	for _, mid := range mids {
		h.waitFinished(mid)
		m := h.q.msgs[mid]
		for _, rc := range m.Rcpts {
			if rc.State != queue.Delivered || rc.Attempts != 1 {
				t.Errorf("MID %d %s: state %d after %d attempts", mid, rc.Addr, rc.State, rc.Attempts)
			}
		}
	}
	if len(h.q.bounces()) != 0 {
		t.Error("a held recipient bounced")
	}
	// The message of four cannot go whole through a window of three: it
	// went in pieces of at most three. Which window took which piece
	// depends on the order the five messages became due (under -race the
	// four-recipient one sometimes comes first: [1 1 2], else [2 2]).
	var parts []int
	sum := 0
	for _, r := range srv.received() {
		if strings.HasPrefix(r.rcpts[0], "s") {
			parts = append(parts, len(r.rcpts))
			sum += len(r.rcpts)
			if len(r.rcpts) > 3 {
				t.Errorf("a piece of %d recipients went through a window of 3", len(r.rcpts))
			}
		}
	}
	if sum != 4 || len(parts) < 2 {
		t.Errorf("the message of four went as %v", parts)
	}
}

// mxipSetup routes mxip.test to two MX hosts, 127.0.0.2 and 127.0.0.3,
// served by two test servers whose DATA waits for gate.
func mxipSetup(t *testing.T, params store.Params) (*harness, [2]*smtpServer, chan struct{}) {
	var srvs [2]*smtpServer
	gate := make(chan struct{})
	for i := range srvs {
		srvs[i] = newSMTPServer(t, nil)
		srvs[i].set(func(s *smtpServer) { s.gate = gate })
	}
	h := newHarness(t, destParams("mxip.test", params))
	h.dataTO = time.Minute // the gate holds DATA's reply
	h.fake.MX = map[string][]dns.MX{"mxip.test": {{Host: "mx1.mxip.test", Pref: 10}, {Host: "mx2.mxip.test", Pref: 10}}}
	h.fake.IP = map[string][]netip.Addr{"mx1.mxip.test": {ap("127.0.0.2")}, "mx2.mxip.test": {ap("127.0.0.3")}}
	var nd net.Dialer
	h.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		switch addr {
		case "127.0.0.2:25":
			return nd.DialContext(ctx, network, srvs[0].addr)
		case "127.0.0.3:25":
			return nd.DialContext(ctx, network, srvs[1].addr)
		}
		return nil, fmt.Errorf("unexpected dial to %s", addr)
	}
	return h, srvs, gate
}

func TestConcurrencyPerMXIP(t *testing.T) {
	h, srvs, gate := mxipSetup(t, store.Params{"max_host_concurrency": "2", "limit_type": "MXIP"})
	h.start()
	for i := range 12 {
		h.send("a@src.test", fmt.Sprintf("r%d@mxip.test", i))
	}
	h.wait("two sessions in DATA at each address", func() bool {
		_, _, _, a := srvs[0].stats()
		_, _, _, b := srvs[1].stats()
		return a == 2 && b == 2
	})
	h.wait("the limit lines", func() bool {
		return len(h.lines("Maximum outbound connections (2) reached for MXIP 127.0.0.2 (mxip.test)")) > 0 &&
			len(h.lines("Maximum outbound connections (2) reached for MXIP 127.0.0.3 (mxip.test)")) > 0
	})
	st, _ := h.x.DestState("mxip.test")
	if st.Connections != 4 || len(st.Keys) != 2 || st.Keys[0].Connections != 2 || st.Keys[1].Connections != 2 {
		t.Errorf("state %+v", st)
	}
	close(gate)
	h.waitIdle("all delivered", func() bool { return len(srvs[0].received())+len(srvs[1].received()) == 12 })
	for i, s := range srvs {
		if _, _, top, _ := s.stats(); top > 2 {
			t.Errorf("MX %d saw %d connections at once, limit 2", i+1, top)
		}
	}
}

func TestConcurrencyPerDomainAcrossMX(t *testing.T) {
	h, srvs, gate := mxipSetup(t, store.Params{"max_host_concurrency": "2", "limit_type": "host"})
	h.start()
	for i := range 6 {
		h.send("a@src.test", fmt.Sprintf("r%d@mxip.test", i))
	}
	h.wait("two sessions in DATA", func() bool {
		_, _, _, a := srvs[0].stats()
		_, _, _, b := srvs[1].stats()
		return a+b == 2
	})
	h.wait("the limit line", func() bool {
		return len(h.lines("Info: Maximum outbound connections (2) reached for mxip.test")) == 1
	})
	_, curA, _, _ := srvs[0].stats()
	_, curB, _, _ := srvs[1].stats()
	if curA+curB != 2 {
		t.Errorf("%d connections open, limit 2 for the domain", curA+curB)
	}
	close(gate)
	h.waitIdle("all delivered", func() bool { return len(srvs[0].received())+len(srvs[1].received()) == 6 })
}

func TestRecipientLimitPerMXIP(t *testing.T) {
	h, srvs, gate := mxipSetup(t, store.Params{"recipient_limit": "2", "recipient_minutes": "1", "limit_type": "MXIP"})
	close(gate)
	h.start()
	for i := range 6 {
		h.send("a@src.test", fmt.Sprintf("r%d@mxip.test", i))
	}
	got := func() (int, int) { return len(srvs[0].received()), len(srvs[1].received()) }
	h.waitIdle("one window at each address", func() bool {
		a, b := got()
		return a == 2 && b == 2 && len(h.lines("throttled by recipient limit")) == 1
	})
	h.mustLog("Info: Maximum recipients (2 per 1 minutes) reached for MXIP 127.0.0.2 (mxip.test)",
		"Info: Maximum recipients (2 per 1 minutes) reached for MXIP 127.0.0.3 (mxip.test)")
	h.tick(time.Minute)
	h.waitIdle("the rest", func() bool { a, b := got(); return a+b == 6 })
	if a, b := got(); a > 4 || b > 4 {
		t.Errorf("deliveries per address %d %d: over 2 per window", a, b)
	}
}

func TestSourceIPPerSource(t *testing.T) {
	srv := newSMTPServer(t, nil)
	gate := make(chan struct{})
	srv.set(func(s *smtpServer) { s.gate = gate })
	h := newHarness(t, edits(viaRoute("example.test", srv),
		destParams("example.test", store.Params{"max_host_concurrency": "1", "limit_apply": "VG", "source_ip": "127.0.0.5,127.0.0.6"})))
	h.dataTO = time.Minute
	h.start()
	for i := range 4 {
		h.send("a@src.test", fmt.Sprintf("r%d@example.test", i))
	}
	h.wait("one session from each source", func() bool { _, _, _, n := srv.stats(); return n == 2 })
	srv.mu.Lock()
	peers := slices.Sorted(slices.Values(srv.peers))
	srv.mu.Unlock()
	if strings.Join(peers, " ") != "127.0.0.5 127.0.0.6" {
		t.Errorf("peers %q", peers)
	}
	if len(h.lines("New SMTP DCID", "interface 127.0.0.5")) != 1 || len(h.lines("New SMTP DCID", "interface 127.0.0.6")) != 1 {
		t.Errorf("DCID lines: %q", h.lines("New SMTP DCID"))
	}
	close(gate)
	h.waitIdle("all delivered", func() bool { return len(srv.received()) == 4 })
	if _, _, top := srv.cc.Stats(); top != 2 {
		t.Errorf("most connections at once %d, want one per source", top)
	}
}

func TestSourceOfTheAddressFamily(t *testing.T) {
	l := newLimiter(func() time.Time { return t0 }, &maillog.Memory{})
	dl := limitsOf(store.DestControls{MaxHostConcurrency: 5, LimitApply: "VG", SourceIP: []string{"2001:db8::5", "127.0.0.5"}})
	for range 3 {
		if ls, _, ok := l.place("d.test", dl, ap("127.0.0.2"), 1); !ok || ls.src != ap("127.0.0.5") {
			t.Fatalf("IPv4 destination: source %v %v", ls.src, ok)
		}
	}
	if ls, _, ok := l.place("d.test", dl, ap("2001:db8::25"), 1); !ok || ls.src != ap("2001:db8::5") {
		t.Errorf("IPv6 destination: source %v %v", ls.src, ok)
	}
	v4only := limitsOf(store.DestControls{MaxHostConcurrency: 5, SourceIP: []string{"127.0.0.5"}})
	if ls, _, ok := l.place("e.test", v4only, ap("2001:db8::25"), 1); !ok || ls.src.IsValid() {
		t.Errorf("no IPv6 source: %v %v, want the system's choice", ls.src, ok)
	}
}

// TestMXIPAttemptWaitsForASlot: with one MX address refusing
// connections and the other at its limit, an attempt waits for a slot
// at the working one rather than failing: each message goes in its first
// attempt, and the working address never has more than its limit.
func TestMXIPAttemptWaitsForASlot(t *testing.T) {
	h, srvs, gate := mxipSetup(t, store.Params{"max_host_concurrency": "1", "limit_type": "MXIP"})
	var nd net.Dialer
	h.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == "127.0.0.2:25" {
			return nd.DialContext(ctx, network, srvs[0].addr)
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("connection refused")}
	}
	h.start()
	var mids []int64
	for i := range 3 {
		mids = append(mids, h.send("a@src.test", fmt.Sprintf("r%d@mxip.test", i)))
	}
	h.wait("one session held and an attempt waiting", func() bool {
		_, _, _, n := srvs[0].stats()
		return n == 1 && len(h.lines("Connection Error", "IP: 127.0.0.3")) > 0 && h.x.WorkQueue().Connections == 2
	})
	close(gate)
	for _, mid := range mids {
		h.waitFinished(mid)
		if rc := h.q.rcpt(mid, 0); rc.State != queue.Delivered || rc.Attempts != 1 {
			t.Errorf("MID %d: state %d after %d attempts", mid, rc.State, rc.Attempts)
		}
	}
	if _, _, top, _ := srvs[0].stats(); top != 1 {
		t.Errorf("the working MX saw %d connections at once, limit 1", top)
	}
	if len(h.lines("Delayed:")) != 0 {
		t.Errorf("an attempt gave up: %q", h.lines("Delayed:"))
	}
}
