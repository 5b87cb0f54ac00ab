package dns

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"seg/store"
)

// Resolvers hands out the Resolver for a configuration's dnsconfig and
// keeps it while dnsconfig does not change, so that the cache survives
// commits of other settings.
type Resolvers struct {
	// Now is the cache clock (default time.Now).
	Now func() time.Time
	// ResolvConf is the system resolver's file (default /etc/resolv.conf).
	ResolvConf string
	// Timeout per query (default 5s).
	Timeout time.Duration
	// Stats counts every Client's lookups (dnsstatus); nil: not counted.
	Stats *Stats

	mu  sync.Mutex
	key string
	cur Resolver
}

// For returns the Resolver for c's dnsconfig. It never returns nil: when
// the configuration cannot be used (no servers, unreadable resolv.conf)
// every lookup fails temporarily, saying why.
func (r *Resolvers) For(c *store.Config) Resolver {
	d := c.System.DNS
	key := "servers:" + strings.Join(d.Servers, ",")
	if d.UseSystem {
		key = "system"
	}
	if d.DNSSECTrusted {
		key += ";trusted"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil && r.key == key {
		return r.cur
	}
	servers := d.Servers
	var err error
	if d.UseSystem {
		servers, err = SystemServers(r.ResolvConf)
	}
	var res Resolver
	if err == nil {
		res, err = NewClient(Options{Servers: servers, Timeout: r.Timeout, Now: r.Now, Trusted: d.DNSSECTrusted, Stats: r.Stats})
	}
	if err != nil {
		res = broken{err}
	}
	r.key, r.cur = key, res
	return res
}

// broken fails every lookup temporarily: a configuration mistake must not
// hard-bounce mail.
type broken struct{ err error }

func (b broken) fail(name, typ string) error {
	return &Error{Name: name, Type: typ, Code: NetError, Err: errors.New("DNS not usable: " + b.err.Error())}
}

func (b broken) LookupMX(_ context.Context, d string) ([]MX, error) {
	return nil, b.fail(canon(d), "MX")
}

func (b broken) LookupIP(_ context.Context, h string) ([]netip.Addr, error) {
	return nil, b.fail(canon(h), "A/AAAA")
}

func (b broken) LookupPTR(_ context.Context, a netip.Addr) ([]string, error) {
	return nil, b.fail(a.String(), "PTR")
}

func (b broken) LookupTXT(_ context.Context, n string) ([]string, error) {
	return nil, b.fail(canon(n), "TXT")
}

func (b broken) LookupTLSA(_ context.Context, n string) ([]TLSA, bool, error) {
	return nil, false, b.fail(canon(n), "TLSA")
}
