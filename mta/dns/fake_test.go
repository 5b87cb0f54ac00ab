package dns

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestFake(t *testing.T) {
	f := &Fake{
		MX:     map[string][]MX{"example.test": {{Host: "mx.example.test", Pref: 10}}},
		IP:     map[string][]netip.Addr{"mx.example.test": {netip.MustParseAddr("127.0.0.1")}},
		Errors: map[string]error{"broken.test": TempFail("broken.test", "MX")},
	}
	ctx := context.Background()
	if mx, err := f.LookupMX(ctx, "EXAMPLE.test."); err != nil || len(mx) != 1 {
		t.Errorf("MX = %v, %v", mx, err)
	}
	var e *Error
	if _, err := f.LookupMX(ctx, "mx.example.test"); !errors.As(err, &e) || e.Code != NoRecords {
		t.Errorf("MX of a host without MX: %v, want no records", err)
	}
	if _, err := f.LookupIP(ctx, "nope.test"); !IsNotFound(err) {
		t.Errorf("unknown name: %v, want NXDOMAIN", err)
	}
	if _, err := f.LookupMX(ctx, "broken.test"); !IsTemporary(err) {
		t.Errorf("injected error: %v, want temporary", err)
	}
	if q := f.Queries(); len(q) != 4 || q[0] != "MX example.test" {
		t.Errorf("queries = %q", q)
	}
}
