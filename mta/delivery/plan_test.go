package delivery

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"seg/mta/counters"
	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/store"
)

// TestPlanRoute: trace's route is delivery's (smtproutes over MX, the
// implicit MX, DNS failures temporary or permanent, /dev/null, ip_sort_pref),
// and asking for it logs nothing and sets no gauge.
func TestPlanRoute(t *testing.T) {
	cfg := store.Default("mx.seg.test", "")
	cfg.System.Routes = []store.SMTPRoute{
		{Domain: "routed.test", Hosts: []string{"relay.test:2525", "10.0.0.9"}},
		{Domain: ".sub.test", Hosts: []string{"/dev/null"}},
	}
	cfg.DestDefault["ip_sort_pref"] = "PREFER_V6"
	fake := &dns.Fake{
		MX: map[string][]dns.MX{"mx.test": {{Host: "b.mx.test", Pref: 20}, {Host: "a.mx.test", Pref: 10}}, "bare.test": nil},
		IP: map[string][]netip.Addr{
			"relay.test": {netip.MustParseAddr("192.0.2.1")},
			"a.mx.test":  {netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("2001:db8::10")},
			"b.mx.test":  {netip.MustParseAddr("192.0.2.20")},
			"bare.test":  {netip.MustParseAddr("192.0.2.30")},
		},
		Errors: map[string]error{"broken.test": dns.TempFail("broken.test", "MX")},
	}
	log := &maillog.Memory{}
	cnt := counters.New(time.Now, nil)
	x := New(Deps{Config: func() *store.Config { return cfg }, Queue: newMemQueue(), Log: log, Counters: cnt,
		Resolver: func(*store.Config) dns.Resolver { return fake }})
	ctx := context.Background()

	p := x.PlanRoute(ctx, cfg, "Routed.TEST")
	if !p.SMTPRoute || len(p.Targets) != 2 || p.Targets[0].Host != "relay.test" || p.Targets[0].Port != 2525 || p.Targets[1].Addrs[0].String() != "10.0.0.9" {
		t.Errorf("smtproute: %+v", p)
	}
	p = x.PlanRoute(ctx, cfg, "mx.test")
	if p.SMTPRoute || len(p.Targets) != 2 || p.Targets[0].Host != "a.mx.test" || p.Targets[0].Addrs[0].String() != "2001:db8::10" {
		t.Errorf("MX (preference order, PREFER_V6): %+v", p)
	}
	if p = x.PlanRoute(ctx, cfg, "bare.test"); len(p.Targets) != 1 || p.Targets[0].Host != "bare.test" {
		t.Errorf("implicit MX: %+v", p)
	}
	if p = x.PlanRoute(ctx, cfg, "a.sub.test"); !p.DevNull {
		t.Errorf("/dev/null route: %+v", p)
	}
	if p = x.PlanRoute(ctx, cfg, "broken.test"); p.Fail == "" || p.Permanent || p.Status != "4.4.3" {
		t.Errorf("temporary DNS failure: %+v", p)
	}
	if p = x.PlanRoute(ctx, cfg, "nx.test"); p.Fail == "" || !p.Permanent || p.Status != "5.1.2" {
		t.Errorf("NXDOMAIN: %+v", p)
	}
	if l := log.Lines(); len(l) != 0 {
		t.Errorf("PlanRoute logged %q", l)
	}
	if snap := cnt.Snapshot(); len(snap.Hosts) != 0 {
		t.Error("PlanRoute set the mx.test gauge")
	}
}
