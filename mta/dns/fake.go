package dns

import (
	"context"
	"net/netip"
	"sync"
)

// Fake is a Resolver answering from maps, for unit tests in any package.
// A name that appears in no map is NXDOMAIN; a name that appears in some
// map but not the one asked is "no records". Errors, keyed by name, fail
// every lookup of that name with the given error (use TempFail or
// NXDomainError to make one). Keys are lower-case without a trailing dot.
// Set the maps before use; Fake is safe for concurrent lookups.
type Fake struct {
	MX  map[string][]MX
	IP  map[string][]netip.Addr
	PTR map[netip.Addr][]string
	TXT map[string][]string
	// TLSA records by name ("_25._tcp.mx.example.test"): authentic unless
	// the name is in Unsigned.
	TLSA     map[string][]TLSA
	Unsigned map[string]bool
	Errors   map[string]error

	mu      sync.Mutex
	queries []string
}

// TempFail returns the error a SERVFAIL for name and type gives.
func TempFail(name, typ string) error { return &Error{Name: name, Type: typ, Code: ServFail} }

// NXDomainError returns the error an NXDOMAIN for name and type gives.
func NXDomainError(name, typ string) error { return &Error{Name: name, Type: typ, Code: NXDomain} }

// Queries returns the lookups made so far, as "TYPE name".
func (f *Fake) Queries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queries...)
}

func (f *Fake) check(ctx context.Context, name, typ string) error {
	f.mu.Lock()
	f.queries = append(f.queries, typ+" "+name)
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return &Error{Name: name, Type: typ, Code: Timeout, Err: err}
	}
	if err, ok := f.Errors[name]; ok {
		return err
	}
	return nil
}

func (f *Fake) exists(name string) bool {
	_, a := f.MX[name]
	_, b := f.IP[name]
	_, c := f.TXT[name]
	_, d := f.TLSA[name]
	return a || b || c || d
}

func (f *Fake) miss(name, typ string) error {
	if f.exists(name) {
		return &Error{Name: name, Type: typ, Code: NoRecords}
	}
	return &Error{Name: name, Type: typ, Code: NXDomain}
}

// LookupMX implements Resolver.
func (f *Fake) LookupMX(ctx context.Context, domain string) ([]MX, error) {
	name := canon(domain)
	if err := f.check(ctx, name, "MX"); err != nil {
		return nil, err
	}
	if mx := f.MX[name]; len(mx) > 0 {
		return append([]MX(nil), mx...), nil
	}
	return nil, f.miss(name, "MX")
}

// LookupIP implements Resolver.
func (f *Fake) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	name := canon(host)
	if err := f.check(ctx, name, "A/AAAA"); err != nil {
		return nil, err
	}
	if ips := f.IP[name]; len(ips) > 0 {
		return append([]netip.Addr(nil), ips...), nil
	}
	return nil, f.miss(name, "A/AAAA")
}

// LookupPTR implements Resolver.
func (f *Fake) LookupPTR(ctx context.Context, addr netip.Addr) ([]string, error) {
	name := addr.String()
	if err := f.check(ctx, name, "PTR"); err != nil {
		return nil, err
	}
	if names := f.PTR[addr]; len(names) > 0 {
		return append([]string(nil), names...), nil
	}
	return nil, &Error{Name: name, Type: "PTR", Code: NXDomain}
}

// LookupTXT implements Resolver.
func (f *Fake) LookupTXT(ctx context.Context, name string) ([]string, error) {
	n := canon(name)
	if err := f.check(ctx, n, "TXT"); err != nil {
		return nil, err
	}
	if txt := f.TXT[n]; len(txt) > 0 {
		return append([]string(nil), txt...), nil
	}
	return nil, f.miss(n, "TXT")
}

// LookupTLSA implements Resolver.
func (f *Fake) LookupTLSA(ctx context.Context, name string) ([]TLSA, bool, error) {
	n := canon(name)
	if err := f.check(ctx, n, "TLSA"); err != nil {
		return nil, false, err
	}
	if recs := f.TLSA[n]; len(recs) > 0 {
		return append([]TLSA(nil), recs...), !f.Unsigned[n], nil
	}
	return nil, false, f.miss(n, "TLSA")
}
