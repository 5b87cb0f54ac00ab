package store

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Params holds parameter values in canonical string form, keyed by the
// parameter's export name (HAT text, destconfig export, bounceconfig keys).
// Canonical forms: integers, sizes (bytes) and durations (seconds) as
// decimal; on/off as "on"/"off"; enums as listed in their ParamSpec;
// strings as given; lists comma-separated without spaces.
type Params map[string]string

// Overlay returns a new Params: p with every key of over replacing p's.
func (p Params) Overlay(over Params) Params {
	n := make(Params, len(p)+len(over))
	for k, v := range p {
		n[k] = v
	}
	for k, v := range over {
		n[k] = v
	}
	return n
}

// Clone copies p.
func (p Params) Clone() Params { return p.Overlay(nil) }

// Has reports whether name is set.
func (p Params) Has(name string) bool { _, ok := p[name]; return ok }

// Keys returns the keys in sorted order.
func (p Params) Keys() []string {
	k := make([]string, 0, len(p))
	for n := range p {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// ParamKind is how a parameter's value is written and parsed.
type ParamKind int

// Parameter kinds.
const (
	KindInt      ParamKind = iota // decimal integer, -1 allowed where Min is -1
	KindSize                      // bytes; accepts 10M, 512k, 1G
	KindDuration                  // seconds; accepts 30s, 5m, 1h, 2d
	KindCode                      // SMTP reply code 200-599
	KindString                    // free text, quoted in HAT text
	KindOnOff                     // "on" | "off" (accepts yes/no/y/n/true/false/1/0)
	KindEnum                      // one of Enum (case-insensitive input)
	KindList                      // comma-separated list
)

// Quoted reports whether the HAT text form quotes this kind's values.
func (k ParamKind) Quoted() bool {
	switch k {
	case KindInt, KindSize, KindDuration, KindCode:
		return false
	}
	return true
}

// ParamSpec describes one parameter: how it is written and checked, its
// default, and whether seg acts on it.
type ParamSpec struct {
	Name    string
	Kind    ParamKind
	Enum    []string // KindEnum: allowed canonical values (aliases in EnumAlias)
	Min     int64    // numeric kinds
	Max     int64    // numeric kinds; 0 = no upper bound
	Help    string   // one line, for help text and interactive prompts
	Aliases []string // accepted alternative names (AsyncOS batch option names)
	// EnumAlias maps accepted input spellings (lower case) to canonical values.
	EnumAlias map[string]string
	// Default is the canonical value a new object gets. For an Optional
	// parameter it is what the parameter's absence means.
	Default string
	// Optional parameters may be absent from a complete set (destconfig
	// DEFAULT's recipient limit): they are left out of the table's
	// DefaultParams and of the keys a complete set must hold.
	Optional bool
	// Unit names what a number counts ("seconds", "percent"), where the
	// shell says so; "" elsewhere.
	Unit string
	// Inert is why seg does not act on the value ("seg has no spam
	// engine"): the parameter is accepted, stored and exported for
	// AsyncOS compatibility, and help says it is not enforced. "" for a
	// parameter seg enforces; every such one is a field of a typed struct
	// the MTA reads (settings.go).
	Inert string
}

// Enforced reports whether seg acts on the parameter's value.
func (s *ParamSpec) Enforced() bool { return s.Inert == "" }

// InertNote is what help and the interactive questions add for a
// parameter seg does not enforce: "(not enforced: REASON)"; "" for one it
// does.
func (s *ParamSpec) InertNote() string {
	if s.Enforced() {
		return ""
	}
	return "(not enforced: " + s.Inert + ")"
}

// InertNotes adds to the questions of one interactive run, the first time
// each reason comes up, why seg does not enforce the parameter asked
// about. The zero value is not usable: make one with make().
type InertNotes map[string]bool

// Question is question, and on a line of its own the InertNote of t's
// parameter name unless that reason was shown already.
func (n InertNotes) Question(t *ParamTable, question, name string) string {
	s, ok := t.Lookup(name)
	if !ok || s.Enforced() || n[s.Inert] {
		return question
	}
	n[s.Inert] = true
	return question + "\n" + s.InertNote()
}

// ParamTable is an ordered set of parameter specs.
type ParamTable struct {
	Name  string // "HAT", "destconfig", "bounceconfig" (for messages)
	Specs []ParamSpec
	index map[string]int
}

func newTable(name string, specs []ParamSpec) *ParamTable {
	t := &ParamTable{Name: name, Specs: specs, index: map[string]int{}}
	for i, s := range specs {
		t.index[s.Name] = i
		for _, a := range s.Aliases {
			t.index[a] = i
		}
	}
	return t
}

// DefaultParams returns every parameter that is not Optional at its
// default: a complete set.
func (t *ParamTable) DefaultParams() Params {
	p := make(Params, len(t.Specs))
	for _, s := range t.Specs {
		if !s.Optional {
			p[s.Name] = s.Default
		}
	}
	return p
}

// Required lists, in table order, the parameters a complete set must hold
// (all but the Optional ones).
func (t *ParamTable) Required() []string {
	var n []string
	for _, s := range t.Specs {
		if !s.Optional {
			n = append(n, s.Name)
		}
	}
	return n
}

// Optional lists, in table order, the parameters a complete set may leave
// out.
func (t *ParamTable) Optional() []string {
	var n []string
	for _, s := range t.Specs {
		if s.Optional {
			n = append(n, s.Name)
		}
	}
	return n
}

// Inert lists, in table order, the parameters seg does not act on.
func (t *ParamTable) Inert() []string {
	var n []string
	for _, s := range t.Specs {
		if !s.Enforced() {
			n = append(n, s.Name)
		}
	}
	return n
}

// Lookup finds a spec by name or alias (case-insensitive).
func (t *ParamTable) Lookup(name string) (*ParamSpec, bool) {
	i, ok := t.index[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	return &t.Specs[i], true
}

// Names lists canonical names in table order.
func (t *ParamTable) Names() []string {
	n := make([]string, len(t.Specs))
	for i, s := range t.Specs {
		n[i] = s.Name
	}
	return n
}

// Canon validates a name/value pair and returns the canonical name and
// value. Errors name the parameter and say what is accepted.
func (t *ParamTable) Canon(name, value string) (string, string, error) {
	s, ok := t.Lookup(name)
	if !ok {
		return "", "", fmt.Errorf("unknown %s parameter %s", t.Name, Excerpt(name))
	}
	v, err := s.Canon(value)
	if err != nil {
		return "", "", fmt.Errorf("%s: %v", s.Name, err)
	}
	return s.Name, v, nil
}

// Canon parses value according to the spec's kind.
func (s *ParamSpec) Canon(value string) (string, error) {
	v := strings.TrimSpace(value)
	switch s.Kind {
	case KindInt, KindCode:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", fmt.Errorf("%s is not a number", Excerpt(value))
		}
		return s.checkRange(n)
	case KindSize:
		n, err := ParseSize(v)
		if err != nil {
			return "", err
		}
		return s.checkRange(n)
	case KindDuration:
		n, err := ParseDuration(v)
		if err != nil {
			return "", err
		}
		return s.checkRange(n)
	case KindOnOff:
		switch strings.ToLower(v) {
		case "on", "yes", "y", "true", "1", "enable", "enabled":
			return "on", nil
		case "off", "no", "n", "false", "0", "disable", "disabled":
			return "off", nil
		}
		return "", fmt.Errorf("%s must be on or off", Excerpt(value))
	case KindEnum:
		l := strings.ToLower(v)
		if c, ok := s.EnumAlias[l]; ok {
			return c, nil
		}
		for _, e := range s.Enum {
			if strings.ToLower(e) == l {
				return e, nil
			}
		}
		return "", fmt.Errorf("%s must be one of %s", Excerpt(value), strings.Join(s.Enum, ", "))
	case KindList:
		return strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }), ","), nil
	default:
		if strings.ContainsAny(v, "\"\n\r") {
			return "", fmt.Errorf("text may not contain double quotes or line breaks")
		}
		return v, nil
	}
}

func (s *ParamSpec) checkRange(n int64) (string, error) {
	if n < s.Min || (s.Max != 0 && n > s.Max) {
		if s.Max != 0 {
			return "", fmt.Errorf("value must be between %d and %d", s.Min, s.Max)
		}
		return "", fmt.Errorf("value must be at least %d", s.Min)
	}
	return strconv.FormatInt(n, 10), nil
}

// ParseSize parses "10485760", "10M", "512k", "1G" (binary multiples).
func ParseSize(s string) (int64, error) {
	v := strings.TrimSpace(s)
	mult := int64(1)
	if v != "" {
		switch v[len(v)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
		if mult != 1 {
			v = v[:len(v)-1]
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a size (bytes, or with k, M, G)", Excerpt(s))
	}
	if n < 0 {
		if n == -1 && mult == 1 {
			return -1, nil
		}
		return 0, fmt.Errorf("%s is not a size", Excerpt(s))
	}
	return n * mult, nil
}

// ParseDuration parses "30s", "5m", "1h", "2d" or plain seconds.
func ParseDuration(s string) (int64, error) {
	v := strings.TrimSpace(s)
	mult := int64(1)
	if v != "" {
		switch v[len(v)-1] {
		case 's', 'S':
			mult = 1
		case 'm', 'M':
			mult = 60
		case 'h', 'H':
			mult = 3600
		case 'd', 'D':
			mult = 86400
		}
		if c := v[len(v)-1]; c < '0' || c > '9' {
			v = v[:len(v)-1]
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a duration (seconds, or with s, m, h, d)", Excerpt(s))
	}
	if n < 0 {
		if n == -1 && mult == 1 {
			return -1, nil
		}
		return 0, fmt.Errorf("%s is not a duration", Excerpt(s))
	}
	return n * mult, nil
}
