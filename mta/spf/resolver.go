package spf

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"

	"seg/mta/dns"
)

// libResolver presents seg's dns.Resolver (the one way to the DNS, STYLE
// 4) as the spf.DNSResolver the library asks. The library tells a missing
// record (result none, RFC 7208 section 4.3) from a failed lookup
// (temperror, section 2.6.6) only by the fields of a bare *net.DNSError,
// so every error leaves here as one.
type libResolver struct{ r dns.Resolver }

func (l libResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, timedOut(name)
	}
	txt, err := l.r.LookupTXT(ctx, name)
	return txt, dnsError(name, err)
}

func (l libResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if err := ctx.Err(); err != nil {
		return nil, timedOut(name)
	}
	mxs, err := l.r.LookupMX(ctx, name)
	if err != nil {
		return nil, dnsError(name, err)
	}
	out := make([]*net.MX, 0, len(mxs))
	for _, m := range mxs {
		if m.Host == "." {
			continue // RFC 7505 null MX: no host to match
		}
		out = append(out, &net.MX{Host: m.Host, Pref: m.Pref})
	}
	return out, nil
}

func (l libResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if err := ctx.Err(); err != nil {
		return nil, timedOut(host)
	}
	ips, err := l.r.LookupIP(ctx, host)
	if err != nil {
		return nil, dnsError(host, err)
	}
	out := make([]net.IPAddr, 0, len(ips))
	for _, ip := range ips {
		out = append(out, net.IPAddr{IP: net.IP(ip.Unmap().AsSlice())})
	}
	return out, nil
}

func (l libResolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, timedOut(addr)
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: "not an IP address", Name: addr, IsNotFound: true}
	}
	names, err := l.r.LookupPTR(ctx, ip.Unmap())
	return names, dnsError(addr, err)
}

// dnsError converts a seg lookup error. NXDOMAIN and "no records" are
// not-found answers; everything else (SERVFAIL, REFUSED, a timeout, no
// server, the deadline) is temporary, as dns.IsTemporary says.
func dnsError(name string, err error) error {
	if err == nil {
		return nil
	}
	e := &net.DNSError{Err: err.Error(), Name: name}
	var de *dns.Error
	switch {
	case dns.IsNotFound(err):
		e.IsNotFound = true
	case errors.As(err, &de) && de.Code == dns.Timeout:
		e.IsTimeout, e.IsTemporary = true, true
	default:
		e.IsTemporary = true
	}
	return e
}

// timedOut is the error for a lookup the check's deadline left no time
// for.
func timedOut(name string) error {
	return &net.DNSError{Err: "SPF check deadline passed", Name: name, IsTimeout: true, IsTemporary: true}
}

// notFoundCode reports whether err is NXDOMAIN (the name does not exist),
// as opposed to "no records of the type".
func nxdomain(err error) bool {
	var de *dns.Error
	return errors.As(err, &de) && de.Code == dns.NXDomain
}

// lowerPrefix reports whether s starts with prefix, ignoring ASCII case.
func lowerPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
