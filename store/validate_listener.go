package store

import (
	"fmt"
	"net"
	"strings"
)

// endpoint is a bound TCP address, for clash checks between listeners,
// SSH and the metrics endpoint.
type endpoint struct {
	what string // `listener "IncomingMail"`, "SSH", "the metrics endpoint"
	ip   net.IP
	addr string
	port int
}

// clashes reports whether two endpoints cannot both bind: same port and
// same address, or either on the unspecified address (0.0.0.0, ::),
// which takes the port on every address.
func (e endpoint) clashes(o endpoint) bool {
	return e.port == o.port && (e.ip.Equal(o.ip) || e.ip.IsUnspecified() || o.ip.IsUnspecified())
}

// adminEndpoints returns the SSH and metrics endpoints that parse.
func (c *Config) adminEndpoints() []endpoint {
	var eps []endpoint
	if ip := net.ParseIP(c.SSH.Address); ip != nil && c.SSH.Port > 0 && c.SSH.Port <= 65535 {
		eps = append(eps, endpoint{"SSH", ip, c.SSH.Address, c.SSH.Port})
	}
	if c.Metrics.Address != "" {
		if ip, port, err := validIPPort(c.Metrics.Address); err == nil {
			eps = append(eps, endpoint{"the metrics endpoint", ip, ip.String(), port})
		}
	}
	return eps
}

func (c *Config) validateListeners(p *problems) {
	byName := map[string]string{}
	var bound []endpoint
	admin := c.adminEndpoints()
	for i := range c.Listeners {
		l := &c.Listeners[i]
		obj := "listener " + shortName(l.Name)
		if err := CheckListenerName(l.Name); err != nil {
			p.add("%s: %v", obj, err)
		}
		if prev, ok := byName[strings.ToLower(l.Name)]; ok {
			p.add("%s: name is already used by listener %q", obj, prev)
		} else {
			byName[strings.ToLower(l.Name)] = l.Name
		}
		if l.Type != ListenerPublic && l.Type != ListenerPrivate && l.Type != ListenerBlackhole {
			p.add("%s: type %q must be public, private or blackhole", obj, l.Type)
		}
		ip := net.ParseIP(l.Address)
		if ip == nil {
			p.add("%s: address %q is not an IP address", obj, l.Address)
		}
		if l.Port < 1 || l.Port > 65535 {
			p.add("%s: port %d must be from 1 to 65535", obj, l.Port)
		}
		if ip != nil && l.Port >= 1 && l.Port <= 65535 {
			me := endpoint{obj, ip, l.Address, l.Port}
			for _, others := range [][]endpoint{bound, admin} {
				for _, o := range others {
					if me.clashes(o) {
						p.add("%s: port %d is already used by %s on %s", obj, l.Port, o.what, o.addr)
					}
				}
			}
			bound = append(bound, me)
		}
		if l.Hostname != "" && !ValidDomain(l.Hostname) {
			p.add("%s: hostname %q is not a valid host name", obj, l.Hostname)
		}
		if l.DefaultDomain != "" && !ValidDomain(l.DefaultDomain) {
			p.add("%s: default domain %q is not a valid domain", obj, l.DefaultDomain)
		}
		if l.MaxConcurrency < 1 {
			p.add("%s: max_concurrency %d must be at least 1", obj, l.MaxConcurrency)
		}
		validateConnLimits(p, obj, &l.ConnLimits)
		if (l.CertFile == "") != (l.KeyFile == "") {
			p.add("%s: a TLS certificate needs both a certificate file and a key file", obj)
		}
		checkFileNames(p, obj, map[string]string{"certificate": l.CertFile, "key": l.KeyFile})
		validateHAT(p, obj, &l.HAT)
		validateRAT(p, obj, l)
	}
}

func validateHAT(p *problems, obj string, h *HAT) {
	checkParams(p, obj+": HAT default policy", HATParams, h.Defaults, HATParams.Names())
	seen := map[string]string{}
	for _, f := range h.Policies {
		pobj := fmt.Sprintf("%s: HAT policy %s", obj, shortName(f.Name))
		if err := CheckPolicyName(f.Name); err != nil {
			p.add("%s: %v", pobj, err)
		}
		if prev, ok := seen[strings.ToLower(f.Name)]; ok {
			p.add("%s: name is already used by policy %q", pobj, prev)
		} else {
			seen[strings.ToLower(f.Name)] = f.Name
		}
		if !validBehavior(f.Behavior) {
			p.add("%s: behavior %q must be one of %s", pobj, f.Behavior, strings.Join(Behaviors, ", "))
		}
		checkParams(p, pobj, HATParams, f.Params, nil)
	}
	groups := map[string]string{}
	n := len(h.SenderGroups)
	for i, g := range h.SenderGroups {
		gobj := fmt.Sprintf("%s: HAT sender group %s", obj, shortName(g.Name))
		last := i == n-1
		if g.Name == "ALL" && !last {
			p.add("%s: ALL must be the last sender group", gobj)
		} else if err := CheckSenderGroupName(g.Name); err != nil && !last {
			p.add("%s: %v", gobj, err)
		}
		if prev, ok := groups[strings.ToLower(g.Name)]; ok {
			p.add("%s: name is already used by sender group %q", gobj, prev)
		} else {
			groups[strings.ToLower(g.Name)] = g.Name
		}
		if h.Policy(g.Policy) == nil {
			p.add("%s: unknown policy %q", gobj, g.Policy)
		}
		if _, err := CheckComment(g.Comment); err != nil {
			p.add("%s: %v", gobj, err)
		}
		for _, m := range g.Members {
			if m == "ALL" && !last {
				p.add("%s: member ALL belongs to the last sender group (ALL) only", gobj)
				continue
			}
			if _, err := ParseMember(m); err != nil {
				p.add("%s: member %q: %v", gobj, m, err)
			}
		}
		if last && (g.Name != "ALL" || len(g.Members) != 1 || g.Members[0] != "ALL") {
			p.add("%s: the last sender group must be ALL with the single member ALL", gobj)
		}
	}
	if n == 0 {
		p.add("%s: HAT: the last sender group must be ALL with the single member ALL", obj)
	}
}

func validBehavior(b string) bool {
	for _, x := range Behaviors {
		if b == x {
			return true
		}
	}
	return false
}

func validateRAT(p *problems, obj string, l *Listener) {
	if l.Type == ListenerPrivate {
		if len(l.RAT) > 0 {
			p.add("%s: RAT: private listeners have no recipient access table", obj)
		}
		return
	}
	if !l.HasRAT() {
		return
	}
	seen := map[string]bool{}
	for i, e := range l.RAT {
		eobj := fmt.Sprintf("%s: RAT entry %q", obj, e.Entry)
		last := i == len(l.RAT)-1
		if _, err := CanonRATEntry(e.Entry); err != nil {
			p.add("%s: %v", eobj, err)
		}
		if e.Entry == "ALL" && !last {
			p.add("%s: ALL must be the last entry", eobj)
		}
		if k := strings.ToLower(e.Entry); seen[k] {
			p.add("%s: entry is listed twice", eobj)
		} else {
			seen[k] = true
		}
		if e.Action != RATAccept && e.Action != RATReject {
			p.add("%s: action %q must be ACCEPT or REJECT", eobj, e.Action)
		}
		if err := CheckRATResponse(e.Action, e.Code, e.Text); err != nil {
			p.add("%s: %v", eobj, err)
		}
	}
	if n := len(l.RAT); n == 0 || l.RAT[n-1].Entry != "ALL" {
		p.add("%s: RAT: the last entry must be ALL", obj)
	}
}
