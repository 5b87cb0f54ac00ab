package dmarcverify

import (
	"context"
	"errors"
	"testing"

	"github.com/emersion/go-msgauth/dmarc"

	"seg/mta/dns"
)

func TestLookup(t *testing.T) {
	r := &dns.Fake{
		TXT: map[string][]string{
			"_dmarc.example.test":     {"v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:agg@example.test"},
			"_dmarc.own.example.test": {"some other record", "v=DMARC1; p=none"},
			"_dmarc.two.test":         {"v=DMARC1; p=none", "v=DMARC1; p=reject"},
			"_dmarc.bad.test":         {"v=DMARC1; p=sometimes"},
			"_dmarc.notdmarc.test":    {"v=spf1 -all"},
		},
		Errors: map[string]error{"_dmarc.down.test": dns.TempFail("_dmarc.down.test", "TXT")},
	}
	ctx := context.Background()

	rec, err := Lookup(ctx, r, "Example.Test.")
	if err != nil || rec == nil || rec.Domain != "example.test" || rec.Org || rec.Requested() != dmarc.PolicyReject || rec.Pct() != 50 {
		t.Errorf("author domain's record: %+v, %v", rec, err)
	}
	rec, err = Lookup(ctx, r, "mail.example.test")
	if err != nil || rec == nil || rec.Domain != "example.test" || !rec.Org || rec.Requested() != dmarc.PolicyQuarantine {
		t.Errorf("organizational domain's record with sp: %+v, %v", rec, err)
	}
	rec, err = Lookup(ctx, r, "own.example.test")
	if err != nil || rec == nil || rec.Domain != "own.example.test" || rec.Org || rec.Requested() != dmarc.PolicyNone || rec.Pct() != 100 {
		t.Errorf("subdomain with its own record: %+v, %v", rec, err)
	}
	for _, d := range []string{"none.test", "notdmarc.test", "sub.notdmarc.test"} {
		if rec, err := Lookup(ctx, r, d); rec != nil || err != nil {
			t.Errorf("%s: %+v, %v; want no record", d, rec, err)
		}
	}
	for _, d := range []string{"down.test", "sub.down.test"} {
		if _, err := Lookup(ctx, r, d); !errors.Is(err, ErrTemporary) {
			t.Errorf("%s: %v, want a temporary failure", d, err)
		}
	}
	if _, err := Lookup(ctx, nil, "example.test"); !errors.Is(err, ErrTemporary) {
		t.Errorf("no resolver: %v, want a temporary failure", err)
	}
	var pe *PermError
	if _, err := Lookup(ctx, r, "two.test"); !errors.As(err, &pe) || pe.Reason != "2 DMARC records" {
		t.Errorf("two records: %v", err)
	}
	if _, err := Lookup(ctx, r, "bad.test"); !errors.As(err, &pe) || pe.Domain != "bad.test" {
		t.Errorf("bad record: %v", err)
	}
}

func TestAligned(t *testing.T) {
	cases := []struct {
		auth, from string
		mode       dmarc.AlignmentMode
		want       bool
	}{
		{"example.test", "example.test", dmarc.AlignmentStrict, true},
		{"Example.TEST.", "example.test", dmarc.AlignmentStrict, true},
		{"mail.example.test", "example.test", dmarc.AlignmentStrict, false},
		{"mail.example.test", "example.test", dmarc.AlignmentRelaxed, true},
		{"a.example.test", "b.example.test", dmarc.AlignmentRelaxed, true},
		{"example.co.uk", "other.co.uk", dmarc.AlignmentRelaxed, false},
		{"a.example.co.uk", "example.co.uk", dmarc.AlignmentRelaxed, true},
		{"evil.test", "example.test", dmarc.AlignmentRelaxed, false},
		{"", "example.test", dmarc.AlignmentRelaxed, false},
	}
	for _, c := range cases {
		if got := Aligned(c.auth, c.from, c.mode); got != c.want {
			t.Errorf("Aligned(%q, %q, %s) = %v", c.auth, c.from, c.mode, got)
		}
	}
}

func TestApplied(t *testing.T) {
	pct := func(n int) *int { return &n }
	cases := []struct {
		rec     dmarc.Record
		sample  int
		want    dmarc.Policy
		sampled bool
	}{
		{dmarc.Record{Policy: dmarc.PolicyReject}, 99, dmarc.PolicyReject, true},
		{dmarc.Record{Policy: dmarc.PolicyReject, Percent: pct(30)}, 29, dmarc.PolicyReject, true},
		{dmarc.Record{Policy: dmarc.PolicyReject, Percent: pct(30)}, 30, dmarc.PolicyQuarantine, false},
		{dmarc.Record{Policy: dmarc.PolicyQuarantine, Percent: pct(0)}, 0, dmarc.PolicyNone, false},
		{dmarc.Record{Policy: dmarc.PolicyNone, Percent: pct(0)}, 0, dmarc.PolicyNone, false},
	}
	for _, c := range cases {
		r := &Record{Record: &c.rec}
		if got, s := r.Applied(c.sample); got != c.want || s != c.sampled {
			t.Errorf("p=%s pct=%d sample %d: %s %v, want %s %v", c.rec.Policy, r.Pct(), c.sample, got, s, c.want, c.sampled)
		}
	}
}
