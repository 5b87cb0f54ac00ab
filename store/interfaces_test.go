package store

import (
	"net/netip"
	"strings"
	"testing"
)

func TestDefaultHasManagement(t *testing.T) {
	c := Default("", "")
	in := c.InterfaceAt(netip.MustParseAddr("127.0.0.1"))
	if in == nil || in.Name != "Management" {
		t.Fatalf("default interfaces %+v", c.Interfaces)
	}
	if c.Interface("management") != in {
		t.Errorf("lookup by name is not case-insensitive")
	}
	if c.InterfaceAt(netip.MustParseAddr("::ffff:127.0.0.1")) != in {
		t.Errorf("a v4-mapped address is the v4 interface's")
	}
	if c.InterfaceAt(netip.MustParseAddr("127.0.0.2")) != nil {
		t.Errorf("127.0.0.2 has no interface")
	}
}

func TestValidateInterfaces(t *testing.T) {
	for _, tc := range []struct {
		ifs  []IPInterface
		want string // "" valid
	}{
		{[]IPInterface{{"Management", "127.0.0.1"}, {"Data1", "::1"}}, ""},
		{[]IPInterface{{"Data 1", "127.0.0.2"}}, "use letters, digits"},
		{[]IPInterface{{"", "127.0.0.2"}}, "needs a name"},
		{[]IPInterface{{"A", "127.0.0.2"}, {"a", "127.0.0.3"}}, "name is used twice"},
		{[]IPInterface{{"A", "127.0.0.2"}, {"B", "127.0.0.2"}}, "is interface A's already"},
		{[]IPInterface{{"A", "0.0.0.0"}}, "cannot be an interface's address"},
		{[]IPInterface{{"A", "10.0.0.0/8"}}, "is not an IP address"},
		{[]IPInterface{{"A", "::ffff:127.0.0.2"}}, "not in canonical form"},
	} {
		c := Default("", "")
		c.Interfaces = tc.ifs
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.ifs, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: got %v, want %q", tc.ifs, err, tc.want)
		}
	}
}
