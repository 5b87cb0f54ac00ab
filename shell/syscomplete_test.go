package shell

import (
	"testing"

	"seg/store"
)

// TestSystemCommandCompletion: Tab completes the system commands' names
// for the roles that may run them, nslookup's query types and topin's
// sort orders.
func TestSystemCommandCompletion(t *testing.T) {
	reg := NewRegistry(append(SystemCommands(), MailCommands()...)...)
	do := func(role, line string) string { return tabAt(&Session{Role: role, Commands: reg}, line) }
	for _, c := range []struct{ role, line, want string }{
		{store.RoleAdmin, "ns", "[lookup ]"},
		{store.RoleAdmin, "hostr", "[ate ]"},
		{store.RoleAdmin, "dnss", "[tatus ]"},
		{store.RoleAdmin, "sus", "[pend  penddel  pendlistener ]"},
		{store.RoleAdmin, "nslookup example.com ", "[A  AAAA  MX  PTR  TXT ]"},
		{store.RoleAdmin, "nslookup example.com m", "[X ]"},
		{store.RoleAdmin, "topin ", "[1  2 ]"},
		{store.RoleGuest, "ns", "[]"},
		{store.RoleGuest, "shut", "[]"},
		{store.RoleGuest, "ver", "[sion ]"},
	} {
		if got := do(c.role, c.line); got != c.want {
			t.Errorf("%s %q: %s, want %s", c.role, c.line, got, c.want)
		}
	}
}
