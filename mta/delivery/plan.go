package delivery

import (
	"context"
	"net/netip"
	"strings"

	"seg/store"
)

// RoutePlan is where delivery would send a new message's recipients at
// one domain now (trace, SPEC 13): the route planRoute chooses, as a
// delivery attempt chooses it, and the destination controls that apply.
type RoutePlan struct {
	Domain string
	// SMTPRoute: an smtproutes entry decided (no MX lookup); else MX.
	SMTPRoute bool
	DevNull   bool     // smtproutes "/dev/null": discarded, counted delivered
	Hosts     []string // the hosts routed to, in the order tried
	Targets   []RouteTarget
	// Fail is the DSN text of a route that has no usable host ("": it
	// has one); Permanent says whether it bounces or stays queued.
	Fail      string
	Status    string
	Permanent bool
	Controls  store.DestControls
}

// RouteTarget is one host of a route with its addresses, sorted by the
// destination's ip_sort_pref as a connection attempt sorts them.
type RouteTarget struct {
	Host  string
	Port  int
	Addrs []netip.Addr
}

// PlanRoute returns the route of mail to domain under cfg (which may be
// a candidate configuration that does not run yet). It reads the DNS
// through cfg's resolver and changes nothing: no gauge, no log line.
func (x *Delivery) PlanRoute(ctx context.Context, cfg *store.Config, domain string) RoutePlan {
	domain = strings.ToLower(domain)
	ctx, cancel := context.WithTimeout(ctx, x.t.DNS)
	defer cancel()
	rt := planRoute(ctx, x.d.Resolver(cfg), cfg, "", domain, domain)
	p := RoutePlan{Domain: domain, SMTPRoute: rt.relay, DevNull: rt.devnull, Hosts: rt.hosts, Controls: cfg.DestControls(domain)}
	for _, t := range rt.targets {
		p.Targets = append(p.Targets, RouteTarget{Host: t.host, Port: t.port, Addrs: sortAddrs(t.addrs, p.Controls.IPSortPref)})
	}
	if rt.fail != nil {
		p.Fail, p.Status, p.Permanent = rt.fail.Text, rt.fail.Status, rt.fail.Permanent
	}
	return p
}
