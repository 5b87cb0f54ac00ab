package dns

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"seg/internal/segtest"
)

// LookupTLSA decodes the records and is authentic only with the AD bit
// from servers marked trusted.
func TestLookupTLSA(t *testing.T) {
	const digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	srv := segtest.NewDNSSEC(t, []string{"signed.test"},
		"_25._tcp.mx.signed.test. 60 IN TLSA 3 1 1 "+digest,
		"_25._tcp.mx.plain.test. 60 IN TLSA 2 0 1 "+digest,
	)
	want, _ := hex.DecodeString(digest)
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		trusted   bool
		authentic bool
		usage     uint8
	}{
		{"_25._tcp.mx.signed.test", true, true, 3},
		{"_25._tcp.mx.signed.test", false, false, 3},
		{"_25._tcp.mx.plain.test", true, false, 2},
	} {
		c, err := NewClient(Options{Servers: []string{srv}, Timeout: 2 * time.Second, Trusted: tc.trusted})
		if err != nil {
			t.Fatal(err)
		}
		recs, auth, err := c.LookupTLSA(ctx, tc.name)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if auth != tc.authentic || len(recs) != 1 || recs[0].Usage != tc.usage || recs[0].Selector != 1 && tc.usage == 3 || string(recs[0].Data) != string(want) {
			t.Errorf("%s trusted=%v: %+v authentic=%v", tc.name, tc.trusted, recs, auth)
		}
		// The cached answer keeps its AD bit.
		if _, auth2, _ := c.LookupTLSA(ctx, tc.name); auth2 != auth {
			t.Errorf("%s: cached answer authentic=%v, first %v", tc.name, auth2, auth)
		}
	}
	c, _ := NewClient(Options{Servers: []string{srv}, Timeout: 2 * time.Second, Trusted: true})
	if _, _, err := c.LookupTLSA(ctx, "_25._tcp.none.signed.test"); !IsNotFound(err) {
		t.Errorf("missing name: %v, want not found", err)
	}
}
