package store

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"seg/internal/address"
)

// problems collects validation messages in the order they are found;
// Validate walks the tree in a fixed order, so the list is deterministic.
type problems []string

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// Validate checks the whole tree and returns a *ValidationError naming
// every problem found (each message names its object), or nil.
func (c *Config) Validate() error {
	var p problems
	c.validateSystem(&p)
	c.validateInterfaces(&p)
	c.validateListeners(&p)
	c.validateListenerSetup(&p)
	c.validateCerts(&p)
	c.validateDest(&p)
	c.validateBounce(&p)
	c.validatePolicies(&p, "incoming", c.Incoming)
	c.validatePolicies(&p, "outgoing", c.Outgoing)
	c.validateTDC(&p)
	c.validateUsers(&p)
	c.validateAccess(&p)
	c.validateAdminAccess(&p)
	c.validateAddressLists(&p)
	c.validateBounceVerification(&p)
	c.validateSenderExceptions(&p)
	c.validateDomainKeys(&p)
	c.validateDMARC(&p)
	c.validateDMARCProfiles(&p)
	c.validateLogs(&p)
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

func (c *Config) validateSystem(p *problems) {
	s := &c.System
	if !ValidDomain(s.Hostname) {
		p.add("hostname %q: not a valid host name (letters, digits and hyphens, in dot-separated labels)", s.Hostname)
	}
	if !s.DNS.UseSystem && len(s.DNS.Servers) == 0 {
		p.add("dns: no DNS servers given and the system resolver is not selected")
	}
	for _, srv := range s.DNS.Servers {
		if err := ValidHostPort(srv); err != nil {
			p.add("dns: server %q: %v", srv, err)
		}
	}
	if err := s.SBRS.check(); err != nil {
		p.add("sbrs: %v", err)
	}
	seen := map[string]bool{}
	for _, r := range s.Routes {
		obj := fmt.Sprintf("route %q", r.Domain)
		d := strings.TrimPrefix(r.Domain, ".")
		if r.Domain != "ALL" && !ValidDomain(d) {
			p.add("%s: not a valid domain (example.com, .example.com for subdomains, or ALL)", obj)
		}
		if k := strings.ToLower(r.Domain); seen[k] {
			p.add("%s: domain is listed twice", obj)
		} else {
			seen[k] = true
		}
		if len(r.Hosts) == 0 {
			p.add("%s: no destination hosts", obj)
		}
		for _, h := range r.Hosts {
			if h == "/dev/null" {
				if len(r.Hosts) > 1 {
					p.add("%s: /dev/null must be the only destination", obj)
				}
				continue
			}
			if err := validRouteHost(h); err != nil {
				p.add("%s: host %q: %v", obj, h, err)
			}
		}
	}
	for _, a := range s.AlertRecipients {
		if !ValidAddress(a) {
			p.add("alerts: %q is not a valid email address", a)
		}
	}
}

// ValidDomain reports whether s is a DNS domain name (RFC 1035 2.3.1, with
// RFC 1123 2.1's leading digits): dot-separated labels of letters, digits
// and inner hyphens, 63 bytes per label, 253 in all.
func ValidDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isLetterDigit(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	return true
}

// ValidAddress reports whether s is an envelope address as seg sends it:
// an RFC 5321 Mailbox (internal/address: a dot-string or quoted local
// part of at most 64 octets, a domain or an address literal such as
// [192.0.2.1], 254 octets in all, ASCII only) written in its canonical
// form, so that the address configured is the address on the wire.
func ValidAddress(s string) bool {
	c, err := address.Canonical(s)
	return err == nil && c == s
}

// ValidHostPort checks "host:port": host a domain or an IP address
// (IPv6 in brackets), port 1-65535.
func ValidHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("must be HOST:PORT (IPv6 as [ADDRESS]:PORT)")
	}
	if net.ParseIP(host) == nil && !ValidDomain(host) {
		return fmt.Errorf("%q is not a host name or IP address", host)
	}
	if _, err := parsePort(port); err != nil {
		return err
	}
	return nil
}

// validRouteHost checks an SMTP route destination: host or host:port.
func validRouteHost(h string) error {
	if net.ParseIP(h) != nil || ValidDomain(h) {
		return nil
	}
	if strings.Contains(h, ":") {
		return ValidHostPort(h)
	}
	return fmt.Errorf("not a host name or IP address (HOST or HOST:PORT)")
}

// validIPPort checks "ip:port" with a literal IP; it returns the parts.
func validIPPort(s string) (net.IP, int, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return nil, 0, fmt.Errorf("must be IP:PORT (IPv6 as [ADDRESS]:PORT)")
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, 0, fmt.Errorf("%q is not an IP address", host)
	}
	n, err := parsePort(port)
	if err != nil {
		return nil, 0, err
	}
	return ip, n, nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q must be a number from 1 to 65535", s)
	}
	return n, nil
}

func isLetterDigit(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// checkParams checks that every key of ps is a canonical parameter name
// of t and every value is in canonical form; required keys must be
// present. Messages start with obj.
func checkParams(p *problems, obj string, t *ParamTable, ps Params, required []string) {
	for _, k := range required {
		if _, ok := ps[k]; !ok {
			p.add("%s: parameter %s is missing", obj, k)
		}
	}
	for _, k := range ps.Keys() {
		s, ok := t.Lookup(k)
		if !ok || s.Name != k {
			p.add("%s: unknown %s parameter %q", obj, t.Name, k)
			continue
		}
		v, err := s.Canon(ps[k])
		if err != nil {
			p.add("%s: %s: %v", obj, k, err)
		} else if v != ps[k] {
			p.add("%s: %s: value %q is not in canonical form (%q)", obj, k, ps[k], v)
		}
	}
}
