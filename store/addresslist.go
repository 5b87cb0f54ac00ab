package store

import (
	"fmt"
	"net/netip"
	"strings"
)

// AddressList is a named list of addresses (addresslistconfig, SPEC 10):
// what a mail flow policy's sender_rate_exceptions names. Entries:
// "user@example.com" (that address), "@example.com" (any address at
// that domain), "@.example.com" (at its subdomains), and an IP address or
// CIDR block ("10.0.0.0/8", matched against the client's address).
type AddressList struct {
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
}

// AddressList returns the named list (case-insensitive) or nil.
func (c *Config) AddressList(name string) *AddressList {
	for i := range c.AddressLists {
		if equalFold(c.AddressLists[i].Name, name) {
			return &c.AddressLists[i]
		}
	}
	return nil
}

// ValidAddressListName reports whether s can name an address list:
// letters, digits, '_' and '-', at most 64, starting with a letter.
func ValidAddressListName(s string) bool {
	if s == "" || len(s) > 64 || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetterDigit(s[i]) && s[i] != '_' && s[i] != '-' {
			return false
		}
	}
	return true
}

func isLetter(b byte) bool { return 'a' <= b|0x20 && b|0x20 <= 'z' }

// CanonAddressEntry checks one address list entry and returns it in the
// form stored: domains lower-cased, IPs and blocks as netip writes them.
func CanonAddressEntry(s string) (string, error) {
	s = strings.TrimSpace(s)
	if ip, err := netip.ParseAddr(s); err == nil {
		return ip.Unmap().String(), nil
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.Masked() != p {
			return "", fmt.Errorf("%q has host bits set (write %s)", s, p.Masked())
		}
		return p.String(), nil
	}
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return "", fmt.Errorf("%q is not an address (user@example.com, @example.com, @.example.com) or an IP address or block (10.0.0.0/8)", s)
	}
	local, domain := s[:i], strings.ToLower(s[i+1:])
	if !ValidDomain(strings.TrimPrefix(domain, ".")) || (local != "" && strings.HasPrefix(domain, ".")) {
		return "", fmt.Errorf("%q: not a valid domain part (example.com, or .example.com after a bare @)", s)
	}
	if local != "" && !ValidAddress(local+"@"+domain) {
		return "", fmt.Errorf("%q is not a valid address", s)
	}
	return local + "@" + domain, nil
}

// Matches reports whether the envelope address addr (as received) or the
// client address ip is in the list. Local parts compare exactly, domains
// without case.
func (l *AddressList) Matches(addr string, ip netip.Addr) bool {
	local, domain := addr, ""
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local, domain = addr[:i], strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
	}
	ip = ip.Unmap()
	for _, e := range l.Addresses {
		switch at := strings.LastIndexByte(e, '@'); {
		case at < 0:
			if p, err := netip.ParsePrefix(e); err == nil {
				if ip.IsValid() && p.Contains(ip) {
					return true
				}
			} else if a, err := netip.ParseAddr(e); err == nil && a == ip {
				return true
			}
		case addr == "":
		case at == 0 && strings.HasPrefix(e, "@."):
			if strings.HasSuffix(domain, e[1:]) {
				return true
			}
		case at == 0:
			if domain == e[1:] {
				return true
			}
		default:
			if local == e[:at] && domain == e[at+1:] {
				return true
			}
		}
	}
	return false
}

// validateAddressLists checks the lists and the names policies give them.
func (c *Config) validateAddressLists(p *problems) {
	seen := map[string]bool{}
	for _, l := range c.AddressLists {
		obj := fmt.Sprintf("address list %q", l.Name)
		if !ValidAddressListName(l.Name) {
			p.add("%s: not a valid name (a letter, then letters, digits, '_' or '-')", obj)
		}
		if k := strings.ToLower(l.Name); seen[k] {
			p.add("%s: name is used twice", obj)
		} else {
			seen[k] = true
		}
		if len(l.Addresses) == 0 {
			p.add("%s: no addresses", obj)
		}
		for _, a := range l.Addresses {
			if v, err := CanonAddressEntry(a); err != nil {
				p.add("%s: %v", obj, err)
			} else if v != a {
				p.add("%s: %q is not in canonical form (%q)", obj, a, v)
			}
		}
	}
	for _, l := range c.Listeners {
		check := func(what string, params Params) {
			for _, name := range splitParamList(params[senderRateExceptions]) {
				if c.AddressList(name) == nil {
					p.add("listener %q: %s: sender_rate_exceptions names address list %q, which does not exist", l.Name, what, name)
				}
			}
		}
		check("HAT default policy", l.HAT.Defaults)
		for _, f := range l.HAT.Policies {
			check("HAT policy "+shortName(f.Name), f.Params)
		}
	}
}

// senderRateExceptions is the parameter that names address lists.
const senderRateExceptions = "sender_rate_exceptions"

// AddressListUsers names the policies whose sender_rate_exceptions name
// the list: "listener L policy P" ("default" for the listener defaults).
func (c *Config) AddressListUsers(name string) []string {
	var out []string
	for _, l := range c.Listeners {
		uses := func(params Params) bool {
			for _, n := range splitParamList(params[senderRateExceptions]) {
				if equalFold(n, name) {
					return true
				}
			}
			return false
		}
		if uses(l.HAT.Defaults) {
			out = append(out, "listener "+l.Name+" default policy")
		}
		for _, f := range l.HAT.Policies {
			if uses(f.Params) {
				out = append(out, "listener "+l.Name+" policy "+f.Name)
			}
		}
	}
	return out
}

func splitParamList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
