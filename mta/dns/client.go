package dns

import (
	"context"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// Options configure a Client.
type Options struct {
	// Servers are recursive resolvers as "host:port" (a bare host gets
	// port 53), asked in order: the next one is tried when one times out,
	// cannot be reached or answers SERVFAIL/REFUSED.
	Servers []string
	// Timeout bounds each query to one server (default 5s).
	Timeout time.Duration
	// Now is the cache's clock (default time.Now).
	Now func() time.Time
	// CacheSize is the most answers kept (default 4096; negative: no cache).
	CacheSize int
	// Trusted marks the servers as validating resolvers whose AD bit can
	// be believed (dnsconfig --dnssec-trusted yes): queries then ask for
	// DNSSEC (the DO and AD bits, RFC 3225 and RFC 6840 section 5.7) and
	// LookupTLSA reports the AD bit of the answer. Untrusted servers'
	// answers are never authentic.
	Trusted bool
	// Stats counts the lookups (dnsstatus); nil: not counted.
	Stats *Stats
}

// Client is the real Resolver: it sends queries to recursive servers with
// miekg/dns and caches answers for their TTL.
type Client struct {
	servers []string
	timeout time.Duration
	trusted bool
	cache   *cache
	stats   *Stats
}

// NewClient makes a Client; it fails when no server is given.
func NewClient(o Options) (*Client, error) {
	if len(o.Servers) == 0 {
		return nil, errors.New("no DNS servers configured")
	}
	c := &Client{timeout: o.Timeout, trusted: o.Trusted, stats: o.Stats}
	for _, s := range o.Servers {
		c.servers = append(c.servers, hostPort(s))
	}
	if c.timeout <= 0 {
		c.timeout = 5 * time.Second
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if o.CacheSize >= 0 {
		size := o.CacheSize
		if size == 0 {
			size = 4096
		}
		c.cache = newCache(now, size)
	}
	return c, nil
}

// SystemServers returns the name servers of a resolv.conf file
// (/etc/resolv.conf when path is empty), as host:port.
func SystemServers(path string) ([]string, error) {
	if path == "" {
		path = "/etc/resolv.conf"
	}
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	cc, err := mdns.ClientConfigFromFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range cc.Servers {
		out = append(out, net.JoinHostPort(s, cc.Port))
	}
	if len(out) == 0 {
		return nil, errors.New(path + " lists no name servers")
	}
	return out, nil
}

func hostPort(s string) string {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s
	}
	return net.JoinHostPort(strings.Trim(s, "[]"), "53")
}

// LookupMX implements Resolver.
func (c *Client) LookupMX(ctx context.Context, domain string) ([]MX, error) {
	rrs, err := c.lookup(ctx, canon(domain), mdns.TypeMX)
	if err != nil {
		return nil, err
	}
	var out []MX
	for _, rr := range rrs {
		if mx, ok := rr.(*mdns.MX); ok {
			h := strings.TrimSuffix(strings.ToLower(mx.Mx), ".")
			if h == "" {
				h = "." // RFC 7505 null MX
			}
			out = append(out, MX{Host: h, Pref: mx.Preference})
		}
	}
	return out, nil
}

// LookupIP implements Resolver: A and AAAA. Addresses of one type are
// enough; the lookup fails only when both do, temporarily if either
// failure was temporary.
func (c *Client) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	name := canon(host)
	if a, err := netip.ParseAddr(name); err == nil {
		return []netip.Addr{a}, nil
	}
	var out []netip.Addr
	var errs [2]error
	for i, t := range []uint16{mdns.TypeA, mdns.TypeAAAA} {
		rrs, err := c.lookup(ctx, name, t)
		errs[i] = err
		for _, rr := range rrs {
			switch v := rr.(type) {
			case *mdns.A:
				if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
					out = append(out, a)
				}
			case *mdns.AAAA:
				if a, ok := netip.AddrFromSlice(v.AAAA); ok {
					out = append(out, a)
				}
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	e := &Error{Name: name, Type: "A/AAAA", Code: NoRecords}
	for _, err := range errs {
		var de *Error
		if errors.As(err, &de) {
			switch {
			case de.Temporary():
				return nil, &Error{Name: name, Type: "A/AAAA", Code: de.Code, Err: de.Err}
			case de.Code == NXDomain:
				e.Code = NXDomain
			}
		}
	}
	return nil, e
}

// LookupPTR implements Resolver.
func (c *Client) LookupPTR(ctx context.Context, addr netip.Addr) ([]string, error) {
	arpa, err := mdns.ReverseAddr(addr.String())
	if err != nil {
		return nil, &Error{Name: addr.String(), Type: "PTR", Code: NXDomain, Err: err}
	}
	rrs, err := c.lookup(ctx, canon(arpa), mdns.TypePTR)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range rrs {
		if p, ok := rr.(*mdns.PTR); ok {
			out = append(out, strings.TrimSuffix(p.Ptr, "."))
		}
	}
	return out, nil
}

// LookupTXT implements Resolver.
func (c *Client) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := c.lookup(ctx, canon(name), mdns.TypeTXT)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range rrs {
		if t, ok := rr.(*mdns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, nil
}

// LookupTLSA implements Resolver. The answer is authentic only when the
// servers are trusted and set the AD bit on it.
func (c *Client) LookupTLSA(ctx context.Context, name string) ([]TLSA, bool, error) {
	rrs, ad, err := c.lookupAD(ctx, canon(name), mdns.TypeTLSA)
	if err != nil {
		return nil, false, err
	}
	var out []TLSA
	for _, rr := range rrs {
		t, ok := rr.(*mdns.TLSA)
		if !ok {
			continue
		}
		data, err := hex.DecodeString(t.Certificate)
		if err != nil {
			continue // unusable (RFC 7671 section 4.1 keeps the rest)
		}
		out = append(out, TLSA{Usage: t.Usage, Selector: t.Selector, MatchingType: t.MatchingType, Data: data})
	}
	return out, ad && c.trusted, nil
}

// lookup returns the answer records of type t for name (following the
// CNAME chain a recursive server puts in the answer), from the cache when
// it can.
func (c *Client) lookup(ctx context.Context, name string, t uint16) ([]mdns.RR, error) {
	rrs, _, err := c.lookupAD(ctx, name, t)
	return rrs, err
}

// lookupAD is lookup that also reports the answer's AD bit.
func (c *Client) lookupAD(ctx context.Context, name string, t uint16) (_ []mdns.RR, _ bool, err error) {
	typ := mdns.TypeToString[t]
	if name == "" {
		return nil, false, &Error{Name: name, Type: typ, Code: NXDomain}
	}
	key := cacheKey{name, t}
	c.stats.add(Requests)
	rrs, ad, code, ok, expired := c.cache.lookup(key)
	if expired {
		c.stats.add(CacheExpired)
	}
	if ok {
		c.stats.add(CacheHits)
		if rrs == nil {
			return nil, false, &Error{Name: name, Type: typ, Code: code}
		}
		return rrs, ad, nil
	}
	c.stats.add(CacheMisses)
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), t)
	m.RecursionDesired = true
	// A trusted (validating) resolver is asked for DNSSEC: DO in EDNS0
	// (RFC 3225) and AD in the query, which asks for the AD bit in the
	// answer (RFC 6840 section 5.7).
	m.SetEdns0(1232, c.trusted)
	m.AuthenticatedData = c.trusted

	var last *Error
	defer func() {
		if IsTemporary(err) {
			c.stats.add(CacheExceptions)
		}
	}()
	for _, srv := range c.servers {
		c.stats.add(NetRequests)
		r, err := c.exchange(ctx, m, srv)
		if err != nil {
			last = &Error{Name: name, Type: typ, Code: NetError, Err: err}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
				last.Code = Timeout
			}
			if ctx.Err() != nil {
				return nil, false, last
			}
			continue
		}
		switch r.Rcode {
		case mdns.RcodeSuccess:
		case mdns.RcodeNameError:
			c.cache.putNegative(key, NXDomain, negativeTTL(r))
			return nil, false, &Error{Name: name, Type: typ, Code: NXDomain}
		case mdns.RcodeRefused:
			last = &Error{Name: name, Type: typ, Code: Refused}
			continue
		default:
			last = &Error{Name: name, Type: typ, Code: ServFail}
			continue
		}
		var rrs []mdns.RR
		ttl := uint32(0)
		for _, rr := range r.Answer {
			if rr.Header().Rrtype == t {
				rrs = append(rrs, rr)
				if ttl == 0 || rr.Header().Ttl < ttl {
					ttl = rr.Header().Ttl
				}
			}
		}
		if len(rrs) == 0 {
			c.cache.putNegative(key, NoRecords, negativeTTL(r))
			return nil, false, &Error{Name: name, Type: typ, Code: NoRecords}
		}
		c.cache.put(key, rrs, r.AuthenticatedData, ttl)
		return rrs, r.AuthenticatedData, nil
	}
	return nil, false, last
}

// exchange asks one server over UDP, and again over TCP when the answer
// was truncated (RFC 7766 section 5).
func (c *Client) exchange(ctx context.Context, m *mdns.Msg, srv string) (*mdns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cl := &mdns.Client{Net: "udp", Timeout: c.timeout}
	r, _, err := cl.ExchangeContext(ctx, m, srv)
	if err == nil && r.Truncated {
		cl.Net = "tcp"
		r, _, err = cl.ExchangeContext(ctx, m, srv)
	}
	return r, err
}

// negativeTTL is the SOA minimum of a negative answer (RFC 2308 section 5).
func negativeTTL(r *mdns.Msg) uint32 {
	for _, rr := range r.Ns {
		if soa, ok := rr.(*mdns.SOA); ok {
			return min(soa.Minttl, soa.Hdr.Ttl)
		}
	}
	return 0
}
