package dns

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"seg/store"
)

// testServer is an in-process authoritative-style DNS server on 127.0.0.1
// answering from a zone of RR strings. Names under "servfail." answer
// SERVFAIL, under "refused." REFUSED, under "silent." nothing at all;
// answers for "big." are truncated over UDP.
type testServer struct {
	addr    string
	queries atomic.Int64
	mu      sync.Mutex
	zone    map[string][]mdns.RR // fqdn -> records
}

func newTestServer(t *testing.T, records ...string) *testServer {
	t.Helper()
	s := &testServer{zone: map[string][]mdns.RR{}}
	for _, r := range records {
		rr, err := mdns.NewRR(r)
		if err != nil {
			t.Fatalf("bad RR %q: %v", r, err)
		}
		n := mdns.CanonicalName(rr.Header().Name)
		s.zone[n] = append(s.zone[n], rr)
	}
	// The UDP port the kernel picks may be taken for TCP by another
	// test's connection: try again with another port.
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ; try++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			t.Fatal(err)
		}
	}
	s.addr = pc.LocalAddr().String()
	for _, srv := range []*mdns.Server{{PacketConn: pc, Handler: s}, {Listener: ln, Handler: s}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return s
}

func (s *testServer) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	s.queries.Add(1)
	q := req.Question[0]
	name := mdns.CanonicalName(q.Name)
	m := new(mdns.Msg)
	m.SetReply(req)
	switch {
	case mdns.IsSubDomain("silent.", name):
		return
	case mdns.IsSubDomain("servfail.", name):
		m.Rcode = mdns.RcodeServerFailure
	case mdns.IsSubDomain("refused.", name):
		m.Rcode = mdns.RcodeRefused
	default:
		s.mu.Lock()
		rrs, ok := s.zone[name]
		s.mu.Unlock()
		if !ok {
			m.Rcode = mdns.RcodeNameError
			soa, _ := mdns.NewRR(". 60 IN SOA ns. host. 1 2 3 4 30")
			m.Ns = append(m.Ns, soa)
			break
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype || rr.Header().Rrtype == mdns.TypeCNAME {
				m.Answer = append(m.Answer, rr)
			}
		}
		if w.LocalAddr().Network() == "udp" && mdns.IsSubDomain("big.", name) {
			m.Answer, m.Truncated = nil, true
		}
	}
	w.WriteMsg(m)
}

func newClient(t *testing.T, now func() time.Time, servers ...string) *Client {
	t.Helper()
	c, err := NewClient(Options{Servers: servers, Timeout: 300 * time.Millisecond, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientLookups(t *testing.T) {
	s := newTestServer(t,
		"example.test. 300 IN MX 20 mx2.example.test.",
		"example.test. 300 IN MX 10 mx1.example.test.",
		"example.test. 300 IN TXT \"v=spf1 \" \"-all\"",
		"mx1.example.test. 300 IN A 127.0.0.10",
		"mx1.example.test. 300 IN AAAA ::1",
		"alias.example.test. 300 IN CNAME mx1.example.test.",
		"alias.example.test. 300 IN A 127.0.0.10",
		"nullmx.test. 300 IN MX 0 .",
		"10.0.0.127.in-addr.arpa. 300 IN PTR mx1.example.test.",
		"big.test. 300 IN A 127.0.0.99",
	)
	c := newClient(t, time.Now, s.addr)
	ctx := context.Background()

	mx, err := c.LookupMX(ctx, "Example.TEST.")
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(mx, func(a, b MX) int { return int(a.Pref) - int(b.Pref) })
	if want := []MX{{"mx1.example.test", 10}, {"mx2.example.test", 20}}; !slices.Equal(mx, want) {
		t.Errorf("MX = %v, want %v", mx, want)
	}
	ips, err := c.LookupIP(ctx, "mx1.example.test")
	if err != nil {
		t.Fatal(err)
	}
	if want := []netip.Addr{netip.MustParseAddr("127.0.0.10"), netip.MustParseAddr("::1")}; !slices.Equal(ips, want) {
		t.Errorf("IP = %v, want %v", ips, want)
	}
	if ips, err := c.LookupIP(ctx, "alias.example.test"); err != nil || len(ips) != 1 || ips[0] != netip.MustParseAddr("127.0.0.10") {
		t.Errorf("IP via CNAME = %v, %v", ips, err)
	}
	txt, err := c.LookupTXT(ctx, "example.test")
	if err != nil || !slices.Equal(txt, []string{"v=spf1 -all"}) {
		t.Errorf("TXT = %q, %v", txt, err)
	}
	ptr, err := c.LookupPTR(ctx, netip.MustParseAddr("127.0.0.10"))
	if err != nil || !slices.Equal(ptr, []string{"mx1.example.test"}) {
		t.Errorf("PTR = %q, %v", ptr, err)
	}
	if mx, err := c.LookupMX(ctx, "nullmx.test"); err != nil || !slices.Equal(mx, []MX{{".", 0}}) {
		t.Errorf("null MX = %v, %v", mx, err)
	}
	// Truncated over UDP: the client asks again over TCP.
	if ips, err := c.LookupIP(ctx, "big.test"); err != nil || len(ips) != 1 {
		t.Errorf("truncated answer: %v, %v", ips, err)
	}
	// An IP literal needs no query.
	if ips, err := c.LookupIP(ctx, "127.0.0.5"); err != nil || ips[0] != netip.MustParseAddr("127.0.0.5") {
		t.Errorf("literal: %v, %v", ips, err)
	}
}

func TestClientErrors(t *testing.T) {
	s := newTestServer(t, "example.test. 300 IN A 127.0.0.10")
	c := newClient(t, time.Now, s.addr)
	ctx := context.Background()
	cases := []struct {
		name      string
		lookup    func() error
		code      Code
		temporary bool
	}{
		{"nxdomain", func() error { _, err := c.LookupMX(ctx, "nope.test"); return err }, NXDomain, false},
		{"no MX records", func() error { _, err := c.LookupMX(ctx, "example.test"); return err }, NoRecords, false},
		{"no IP", func() error { _, err := c.LookupIP(ctx, "nope.test"); return err }, NXDomain, false},
		{"servfail", func() error { _, err := c.LookupMX(ctx, "x.servfail"); return err }, ServFail, true},
		{"servfail IP", func() error { _, err := c.LookupIP(ctx, "x.servfail"); return err }, ServFail, true},
		{"refused", func() error { _, err := c.LookupTXT(ctx, "x.refused"); return err }, Refused, true},
		{"timeout", func() error { _, err := c.LookupMX(ctx, "x.silent"); return err }, Timeout, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.lookup()
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not *Error", err, err)
			}
			if e.Code != tc.code || e.Temporary() != tc.temporary || IsTemporary(err) != tc.temporary || IsNotFound(err) == tc.temporary {
				t.Errorf("got code %v temporary %v, want %v %v", e.Code, e.Temporary(), tc.code, tc.temporary)
			}
		})
	}
}

func TestClientFailsOverToNextServer(t *testing.T) {
	good := newTestServer(t, "example.test. 300 IN MX 10 mx.example.test.")
	// A closed port: the first server cannot be reached.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := pc.LocalAddr().String()
	pc.Close()
	c := newClient(t, time.Now, dead, good.addr)
	if mx, err := c.LookupMX(context.Background(), "example.test"); err != nil || len(mx) != 1 {
		t.Fatalf("MX = %v, %v", mx, err)
	}
	// With only the dead server the failure is temporary.
	c2 := newClient(t, time.Now, dead)
	if _, err := c2.LookupMX(context.Background(), "example.test"); !IsTemporary(err) {
		t.Fatalf("dead server: %v, want temporary", err)
	}
}

func TestClientCache(t *testing.T) {
	s := newTestServer(t, "example.test. 30 IN MX 10 mx.example.test.")
	now := time.Unix(1_000_000, 0)
	c := newClient(t, func() time.Time { return now }, s.addr)
	ctx := context.Background()
	for range 3 {
		if _, err := c.LookupMX(ctx, "example.test"); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.queries.Load(); n != 1 {
		t.Fatalf("queries within TTL = %d, want 1", n)
	}
	now = now.Add(31 * time.Second)
	if _, err := c.LookupMX(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	if n := s.queries.Load(); n != 2 {
		t.Fatalf("queries after TTL = %d, want 2", n)
	}
	// Negative answers are cached (SOA minimum 30s here)...
	for range 2 {
		c.LookupMX(ctx, "nope.test")
	}
	if n := s.queries.Load(); n != 3 {
		t.Fatalf("queries for NXDOMAIN = %d, want 3", n)
	}
	// ...temporary failures are not.
	for range 2 {
		c.LookupMX(ctx, "x.servfail")
	}
	if n := s.queries.Load(); n != 5 {
		t.Fatalf("queries for SERVFAIL = %d, want 5", n)
	}
}

func TestResolversFromConfig(t *testing.T) {
	s := newTestServer(t, "example.test. 300 IN MX 10 mx.example.test.")
	dir := t.TempDir()
	host, _, _ := net.SplitHostPort(s.addr)
	conf := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver "+host+"\noptions timeout:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	servers, err := SystemServers(conf)
	if err != nil || !slices.Equal(servers, []string{net.JoinHostPort(host, "53")}) {
		t.Fatalf("SystemServers = %v, %v", servers, err)
	}

	r := &Resolvers{ResolvConf: conf}
	cfg := testConfig([]string{s.addr}, false)
	a := r.For(cfg)
	if mx, err := a.LookupMX(context.Background(), "example.test"); err != nil || len(mx) != 1 {
		t.Fatalf("MX = %v, %v", mx, err)
	}
	if b := r.For(testConfig([]string{s.addr}, false)); b != a {
		t.Error("same dnsconfig should give the same resolver (cache kept)")
	}
	// No servers: lookups fail temporarily, never permanently.
	bad := r.For(testConfig(nil, false))
	if _, err := bad.LookupMX(context.Background(), "example.test"); !IsTemporary(err) {
		t.Errorf("unusable config: %v, want temporary", err)
	}
}

func testConfig(servers []string, system bool) *store.Config {
	c := &store.Config{}
	c.System.DNS = store.DNSConfig{Servers: servers, UseSystem: system}
	return c
}
