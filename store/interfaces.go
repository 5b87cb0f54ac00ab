package store

import (
	"fmt"
	"net/netip"
	"strings"
)

// IPInterface is one of the appliance's IP interfaces (interfaceconfig):
// a name for one of its addresses. AsyncOS logs the name of the
// interface a connection arrived on ("New SMTP ICID 5 interface
// Management (10.1.1.1) address ..."), and log parsers read it there.
// seg does not configure the host's network: an interface names an
// address the host already has, that listeners and source_ip use.
type IPInterface struct {
	Name    string `json:"name"`
	Address string `json:"address"` // canonical IP (netip.Addr.String)
}

// DefaultInterfaceName is the embedded default's interface, as AsyncOS
// names the interface of an appliance's first address.
const DefaultInterfaceName = "Management"

// DefaultInterfaces is the embedded default: Management on 127.0.0.1,
// the default listener's address.
func DefaultInterfaces() []IPInterface {
	return []IPInterface{{Name: DefaultInterfaceName, Address: "127.0.0.1"}}
}

// CheckInterfaceName validates an interface name: 1 to 64 letters,
// digits, '_', '-' and '.'. AsyncOS also allows spaces ("Data 1"); seg
// does not, so that a name is one word in batch commands.
func CheckInterfaceName(name string) error { return checkWordName("An", "interface", name) }

// CheckInterfaceAddress parses an interface's address: one IPv4 or IPv6
// address of this host, not a wildcard or a network. It returns the
// canonical form.
func CheckInterfaceAddress(s string) (string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return "", fmt.Errorf("%s is not an IP address (Ex: 192.168.1.2 or 2001:db8::5).", Excerpt(s))
	}
	if a.IsUnspecified() || a.IsMulticast() {
		return "", fmt.Errorf("%s cannot be an interface's address: give one address of this host.", a)
	}
	return a.Unmap().String(), nil
}

// Interface returns the named interface (case-insensitive) or nil.
func (c *Config) Interface(name string) *IPInterface {
	for i := range c.Interfaces {
		if equalFold(c.Interfaces[i].Name, name) {
			return &c.Interfaces[i]
		}
	}
	return nil
}

// InterfaceAt returns the interface whose address is a, or nil.
func (c *Config) InterfaceAt(a netip.Addr) *IPInterface {
	a = a.Unmap()
	for i := range c.Interfaces {
		if b, err := netip.ParseAddr(c.Interfaces[i].Address); err == nil && b == a {
			return &c.Interfaces[i]
		}
	}
	return nil
}

func (c *Config) validateInterfaces(p *problems) {
	names, addrs := map[string]bool{}, map[string]string{}
	for _, in := range c.Interfaces {
		obj := fmt.Sprintf("interface %q", in.Name)
		if err := CheckInterfaceName(in.Name); err != nil {
			p.add("%s: %v", obj, err)
		}
		if k := strings.ToLower(in.Name); names[k] {
			p.add("%s: name is used twice", obj)
		} else {
			names[k] = true
		}
		a, err := CheckInterfaceAddress(in.Address)
		switch {
		case err != nil:
			p.add("%s: %v", obj, err)
		case a != in.Address:
			p.add("%s: address %q is not in canonical form (%s)", obj, in.Address, a)
		case addrs[a] != "":
			p.add("%s: address %s is interface %s's already", obj, a, addrs[a])
		default:
			addrs[a] = in.Name
		}
	}
}
