package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"seg/internal/address"
	"seg/mta/counters"
	"seg/mta/dns"
	"seg/store"
)

// target is one host to try, with its addresses.
type target struct {
	host  string // the name routed to (MX host, smtproute host, relay)
	port  int
	addrs []netip.Addr
}

// route is where an item goes.
type route struct {
	devnull bool // smtproutes "/dev/null": discard, count as delivered
	relay   bool // an SMTP route (or a message's relay host): no DANE (SPEC 11)
	targets []target
	hosts   []string // for the Route gauge
	fail    *Failure // no usable target
	failLog string   // the mail_logs line of fail's DNS error ("": none)
}

// devNull is the smtproutes destination that discards mail.
const devNull = "/dev/null"

// findRoute returns the smtproutes entry for a name: exact, then the
// closest ".parent" entry, then ALL when allowAll.
func findRoute(cfg *store.Config, name string, allowAll bool) ([]string, bool) {
	name = strings.ToLower(name)
	var best *store.SMTPRoute
	bestLen := -1
	for i := range cfg.System.Routes {
		r := &cfg.System.Routes[i]
		d := strings.ToLower(r.Domain)
		switch {
		case d == name:
			return r.Hosts, true
		case strings.HasPrefix(d, ".") && strings.HasSuffix(name, d) && len(d) > bestLen:
			best, bestLen = r, len(d)
		}
	}
	if best != nil {
		return best.Hosts, true
	}
	if allowAll {
		for i := range cfg.System.Routes {
			if strings.EqualFold(cfg.System.Routes[i].Domain, "ALL") {
				return cfg.System.Routes[i].Hosts, true
			}
		}
	}
	return nil, false
}

// pseudoQueue reports whether a message Host names one of the appliance's
// internal queues ("the.tdc.queue"), which route by recipient domain,
// rather than a relay host (redirectrecipients).
func pseudoQueue(host string) bool { return strings.HasPrefix(strings.ToLower(host), "the.") }

// route finds the hosts for an item: smtproutes first (no MX lookup),
// else MX with A/AAAA fallback (RFC 5321 section 5.1). planRoute decides;
// route logs a DNS failure and updates the Route gauge.
func (x *Delivery) route(ctx context.Context, j *job) *route {
	ctx, cancel := context.WithTimeout(ctx, x.t.DNS)
	defer cancel()
	rt := planRoute(ctx, x.d.Resolver(j.cfg), j.cfg, j.m.Host, j.dest, j.domain)
	if rt.failLog != "" {
		x.d.Log.Info("%s", rt.failLog)
	}
	hosts := rt.hosts
	x.d.Counters.UpdateHost(j.dest, func(h *counters.Host) { h.Route = hosts })
	return rt
}

// planRoute is route's decision, a function of the configuration, the
// DNS and the item (its relay host, destination and recipient domain),
// with no side effect: trace (PlanRoute) calls it too.
func planRoute(ctx context.Context, res dns.Resolver, cfg *store.Config, host, dest, domain string) *route {
	var relays []string
	if host != "" {
		if hosts, ok := findRoute(cfg, dest, false); ok {
			relays = hosts
		} else if !pseudoQueue(dest) {
			relays = []string{host}
		}
	}
	if relays == nil {
		if hosts, ok := findRoute(cfg, domain, true); ok {
			relays = hosts
		}
	}
	if relays != nil {
		return relayRoute(ctx, res, domain, relays)
	}
	return mxRoute(ctx, res, domain)
}

func relayRoute(ctx context.Context, res dns.Resolver, domain string, relays []string) *route {
	rt := &route{hosts: relays, relay: true}
	var errs []error
	for _, r := range relays {
		if r == devNull {
			rt.devnull = true
			return rt
		}
		host, port := splitHostPort(r)
		addrs, err := lookupHost(ctx, res, host)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rt.targets = append(rt.targets, target{host: host, port: port, addrs: addrs})
	}
	if len(rt.targets) == 0 {
		rt.fail, rt.failLog = dnsFailure(domain, errs)
	}
	return rt
}

func mxRoute(ctx context.Context, res dns.Resolver, domain string) *route {
	rt := &route{}
	if a, ok := address.LiteralIP(domain); ok {
		// An address literal names the host itself: no MX lookup (RFC
		// 5321 sections 4.1.3 and 5.1).
		rt.hosts = []string{domain}
		rt.targets = []target{{host: a.String(), port: 25, addrs: []netip.Addr{a.Unmap()}}}
		return rt
	}
	mxs, err := res.LookupMX(ctx, domain)
	if err != nil {
		var de *dns.Error
		if !errors.As(err, &de) || de.Code != dns.NoRecords {
			rt.fail, rt.failLog = dnsFailure(domain, []error{err})
			return rt
		}
		// No MX: the domain itself is the implicit MX (RFC 5321 5.1).
		mxs = []dns.MX{{Host: domain}}
	}
	if len(mxs) == 1 && mxs[0].Host == "." {
		// RFC 7505 section 3: the domain accepts no mail.
		rt.fail = &Failure{Kind: FailDNS, Status: "5.1.10", Text: "Domain " + domain + " does not accept mail (null MX)", Permanent: true}
		return rt
	}
	mxs = orderMX(mxs)
	var errs []error
	for _, mx := range mxs {
		rt.hosts = append(rt.hosts, mx.Host)
		addrs, err := lookupHost(ctx, res, mx.Host)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rt.targets = append(rt.targets, target{host: mx.Host, port: 25, addrs: addrs})
	}
	if len(rt.targets) == 0 {
		rt.fail, rt.failLog = dnsFailure(domain, errs)
	}
	return rt
}

// orderMX sorts by preference and shuffles hosts of equal preference
// (RFC 5321 section 5.1).
func orderMX(mxs []dns.MX) []dns.MX {
	mxs = slices.Clone(mxs)
	rand.Shuffle(len(mxs), func(i, k int) { mxs[i], mxs[k] = mxs[k], mxs[i] })
	slices.SortStableFunc(mxs, func(a, b dns.MX) int { return cmp.Compare(a.Pref, b.Pref) })
	return mxs
}

func lookupHost(ctx context.Context, res dns.Resolver, host string) ([]netip.Addr, error) {
	h := strings.Trim(host, "[]")
	if a, err := netip.ParseAddr(h); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	return res.LookupIP(ctx, h)
}

// splitHostPort splits "host[:port]" (port 25 by default); "[v6]:port"
// and bare IPv6 addresses work too.
func splitHostPort(s string) (string, int) {
	if h, p, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 {
			return h, n
		}
		return h, 25
	}
	return strings.Trim(s, "[]"), 25
}

// sortAddrs applies destconfig ip_sort_pref to one host's addresses.
func sortAddrs(addrs []netip.Addr, pref string) []netip.Addr {
	var v4, v6 []netip.Addr
	for _, a := range addrs {
		if a.Unmap().Is4() {
			v4 = append(v4, a.Unmap())
		} else {
			v6 = append(v6, a)
		}
	}
	switch pref {
	case "REQUIRE_V4":
		return v4
	case "REQUIRE_V6":
		return v6
	case "PREFER_V6":
		return append(v6, v4...)
	}
	return append(v4, v6...)
}

// dnsFailure makes the failure of a route lookup from the errors met:
// temporary if any was temporary, else a hard bounce (SPEC 5), and the
// DNS line to log.
func dnsFailure(domain string, errs []error) (*Failure, string) {
	var pick *dns.Error
	for _, err := range errs {
		var de *dns.Error
		if !errors.As(err, &de) {
			de = &dns.Error{Name: domain, Type: "MX", Code: dns.ServFail, Err: err}
		}
		if pick == nil || de.Temporary() {
			pick = de
		}
		if de.Temporary() {
			break
		}
	}
	if pick == nil {
		pick = &dns.Error{Name: domain, Type: "MX", Code: dns.NoRecords}
	}
	if pick.Temporary() {
		return &Failure{Kind: FailDNS, Status: "4.4.3",
			Text: "DNS Temporary Failure looking up " + pick.Name + " (" + pick.Type + "): " + pick.Code.String()}, fmt.Sprintf("DNS Temporary Failure %s %s - %s", pick.Name, pick.Type, pick.Code)
	}
	// The double space is AsyncOS's.
	return &Failure{Kind: FailDNS, Status: "5.1.2", Permanent: true,
		Text: "DNS Hard Error looking up " + pick.Name + " (" + pick.Type + "):  " + pick.Code.String()}, fmt.Sprintf("DNS Error %s %s - %s", pick.Name, pick.Type, pick.Code)
}
