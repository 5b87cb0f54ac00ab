package shell

import (
	"fmt"
	"strings"

	"seg/store"
)

// Parameters of store's tables (destconfig, bounce profiles, mail flow
// policies) as the configuration commands show, ask and complete them.

// SpecCheck returns an Ask checker that canonicalises an answer with a
// parameter spec of t.
func SpecCheck(t *store.ParamTable, name string) func(string) (string, error) {
	s, ok := t.Lookup(name)
	if !ok {
		panic("shell: no parameter " + name) // programming error
	}
	return func(v string) (string, error) {
		c, err := s.Canon(v)
		if err != nil {
			return "", AsUser(err)
		}
		return c, nil
	}
}

// ParamHelp is a spec's help with its accepted values, and the reason
// seg does not enforce it where it does not.
func ParamHelp(s *store.ParamSpec) string {
	h := s.Help
	switch {
	case s.Kind == store.KindEnum && !strings.Contains(s.Help, s.Enum[len(s.Enum)-1]):
		h = fmt.Sprintf("%s (%s)", s.Help, strings.Join(s.Enum, ", "))
	case s.Kind == store.KindOnOff:
		h = s.Help + " (on, off)"
	}
	if n := s.InertNote(); n != "" {
		h += " " + n
	}
	return h
}

// ParamOptions completes a --name=value option of a table: the names
// ("--name="), or once partial holds the '=' the accepted values of an
// enum or on/off parameter.
func ParamOptions(t *store.ParamTable, partial string) []string {
	if name, _, ok := strings.Cut(strings.TrimLeft(partial, "-"), "="); ok {
		s, found := t.Lookup(name)
		if !found {
			return nil
		}
		var vals []string
		switch s.Kind {
		case store.KindEnum:
			vals = s.Enum
		case store.KindOnOff:
			vals = []string{"on", "off"}
		}
		prefix := partial[:strings.IndexByte(partial, '=')+1]
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = prefix + v
		}
		return out
	}
	var out []string
	for _, n := range t.Names() {
		out = append(out, "--"+n+"=")
	}
	return out
}

// ParamUsage are the usage lines that explain a table's parameters:
// "  --name (also alias): help (values)".
func ParamUsage(t *store.ParamTable) []string {
	var u []string
	for i := range t.Specs {
		s := &t.Specs[i]
		names := s.Name
		if len(s.Aliases) > 0 {
			names += " (also " + strings.Join(s.Aliases, ", ") + ")"
		}
		u = append(u, fmt.Sprintf("  --%s: %s", names, ParamHelp(s)))
	}
	return u
}
