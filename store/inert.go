package store

import "fmt"

// InertChanges returns one warning line for each parameter seg does not
// enforce (ParamSpec.Inert) that next sets, somewhere old did not, to a
// value other than its default there; in table order, each parameter
// once. commit prints them, so an operator who turns on, say, smtpauth_allow learns
// that nothing on the wire changes.
//
// A value's default depends on where it is: a listener's default policy
// has its listener type's defaults; a policy override is a default when
// it equals the listener defaults or what the predefined policy of that
// name ships; a destconfig entry's when it equals DEFAULT's; a bounce
// profile's when it equals the Default profile's.
func InertChanges(old, next *Config) []string {
	changed := map[*ParamSpec]bool{}
	prev := paramSites(old)
	for key, site := range paramSites(next) {
		was := prev[key]
		for name, v := range site.params {
			s, ok := site.table.Lookup(name)
			if !ok || s.Enforced() || site.isDefault(s, v) {
				continue
			}
			if w, ok := was.params[name]; ok && w == v {
				continue
			}
			changed[s] = true
		}
	}
	var out []string
	for _, t := range []*ParamTable{HATParams, DestParams, BounceParams} {
		for i := range t.Specs {
			if s := &t.Specs[i]; changed[s] {
				out = append(out, fmt.Sprintf("Warning: %s is stored but not enforced: %s.", s.Name, s.Inert))
			}
		}
	}
	return out
}

// paramSite is one place a tree stores parameters.
type paramSite struct {
	table    *ParamTable
	params   Params
	defaults []Params // a value found in any of these (or the spec's default where none has it) is a default
}

func (p paramSite) isDefault(s *ParamSpec, v string) bool {
	seen := false
	for _, d := range p.defaults {
		if dv, ok := d[s.Name]; ok {
			seen = true
			if dv == v {
				return true
			}
		}
	}
	return !seen && v == s.Default
}

// paramSites lists where c stores parameters, keyed by a name for the
// place that does not change when others are added or removed.
func paramSites(c *Config) map[string]paramSite {
	sites := map[string]paramSite{}
	if c == nil {
		return sites
	}
	predefined := map[string]Params{}
	for _, p := range predefinedPolicies() {
		predefined[lowerASCII(p.Name)] = p.Params
	}
	for _, l := range c.Listeners {
		typeDefaults := DefaultHATParams()
		if l.Type == ListenerPrivate {
			typeDefaults = DefaultPrivateHATParams()
		}
		lk := "listener " + lowerASCII(l.Name)
		sites[lk] = paramSite{table: HATParams, params: l.HAT.Defaults, defaults: []Params{typeDefaults}}
		for _, p := range l.HAT.Policies {
			sites[lk+" policy "+lowerASCII(p.Name)] = paramSite{table: HATParams, params: p.Params,
				defaults: []Params{l.HAT.Defaults, predefined[lowerASCII(p.Name)]}}
		}
	}
	sites["destconfig"] = paramSite{table: DestParams, params: c.DestDefault, defaults: []Params{DefaultDestParams()}}
	for _, d := range c.Destinations {
		sites["destconfig "+lowerASCII(d.Domain)] = paramSite{table: DestParams, params: d.Params, defaults: []Params{c.DestDefault}}
	}
	var def Params
	if b := c.BounceProfile("Default"); b != nil {
		def = b.Params
	}
	for _, b := range c.Bounce {
		d := def
		if lowerASCII(b.Name) == "default" {
			d = DefaultBounceParams()
		}
		sites["bounce "+lowerASCII(b.Name)] = paramSite{table: BounceParams, params: b.Params, defaults: []Params{d}}
	}
	return sites
}
