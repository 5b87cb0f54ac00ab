package smtpd

import (
	"net/netip"
	"testing"

	"seg/store"
)

// TestInterfaceName: the New SMTP ICID line names the IP interface the
// connection arrived on; an address no interface names shows the
// listener's name.
func TestInterfaceName(t *testing.T) {
	cfg := store.Default("", "")
	cfg.Interfaces = append(cfg.Interfaces, store.IPInterface{Name: "Data1", Address: "::1"})
	lc := &cfg.Listeners[0]
	for _, c := range []struct{ local, want string }{
		{"127.0.0.1", "Management"},
		{"::1", "Data1"},
		{"127.0.0.9", "IncomingMail"},
	} {
		if got := interfaceName(cfg, lc, netip.MustParseAddr(c.local)); got != c.want {
			t.Errorf("%s: %s, want %s", c.local, got, c.want)
		}
	}
}
