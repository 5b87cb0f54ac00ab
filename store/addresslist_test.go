package store

import (
	"net/netip"
	"strings"
	"testing"
)

func TestCanonAddressEntry(t *testing.T) {
	for in, want := range map[string]string{
		"user@Example.COM": "user@example.com",
		"@Example.com":     "@example.com",
		"@.example.com":    "@.example.com",
		"10.0.0.0/8":       "10.0.0.0/8",
		"192.0.2.1":        "192.0.2.1",
		"2001:db8::/32":    "2001:db8::/32",
	} {
		if got, err := CanonAddressEntry(in); err != nil || got != want {
			t.Errorf("CanonAddressEntry(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "example.com", "u@", "@", "10.0.0.1/8", "u@.example.com", "a b@x.test", "@bad..domain"} {
		if got, err := CanonAddressEntry(bad); err == nil {
			t.Errorf("CanonAddressEntry(%q) = %q, want an error", bad, got)
		}
	}
}

func TestAddressListMatches(t *testing.T) {
	l := &AddressList{Name: "x", Addresses: []string{"boss@example.com", "@partner.test", "@.sub.test", "10.0.0.0/8", "192.0.2.1"}}
	ip := netip.MustParseAddr("203.0.113.1")
	for addr, want := range map[string]bool{
		"boss@EXAMPLE.com":   true,
		"Boss@example.com":   false, // local parts compare exactly
		"any@partner.test":   true,
		"any@a.partner.test": false,
		"x@a.sub.test":       true,
		"x@sub.test":         false,
		"x@other.test":       false,
	} {
		if got := l.Matches(addr, ip); got != want {
			t.Errorf("Matches(%q) = %v, want %v", addr, got, want)
		}
	}
	if !l.Matches("x@other.test", netip.MustParseAddr("10.1.2.3")) || !l.Matches("", netip.MustParseAddr("192.0.2.1")) {
		t.Error("client address entries do not match")
	}
}

func TestValidateAddressLists(t *testing.T) {
	c := Default("mx.seg.test", "")
	c.AddressLists = []AddressList{{Name: "vips", Addresses: []string{"@vip.test"}}, {Name: "VIPS", Addresses: nil}, {Name: "9x", Addresses: []string{"nope"}}}
	c.Listeners[0].HAT.Defaults["sender_rate_exceptions"] = "vips,missing"
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`address list "VIPS": name is used twice`,
		`address list "VIPS": no addresses`,
		`address list "9x": not a valid name`,
		`address list "9x": "nope" is not an address`,
		`sender_rate_exceptions names address list "missing", which does not exist`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\ndoes not say %q", err, want)
		}
	}
	if got := c.AddressListUsers("VIPS"); len(got) != 1 || !strings.Contains(got[0], "default policy") {
		t.Errorf("users of vips: %q", got)
	}
}
