package shell

import (
	"fmt"
	"strings"
)

// Tokenize splits a batch line into words: blanks separate, "double" and
// 'single' quotes group, backslash escapes the next character outside
// single quotes.
func Tokenize(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote rune
	esc := false
	for _, r := range line {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\' && quote != '\'':
			esc, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if esc {
		return nil, fmt.Errorf("line ends with a backslash")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// Opts is a parsed batch argument list.
type Opts struct {
	Pos   []string          // positional words, in order
	Named map[string]string // option name (without dashes, lower case) -> value
	Order []string          // option names in the order given
}

// ParseOpts splits args into positional words and options. Accepted forms:
// --name=value, --name value, name=value (when name looks like a parameter
// name: [a-z0-9_]+), and --flag for names in boolFlags (value "on").
func ParseOpts(args []string, boolFlags ...string) (Opts, error) {
	o := Opts{Named: map[string]string{}}
	isBool := func(n string) bool {
		for _, b := range boolFlags {
			if b == n {
				return true
			}
		}
		return false
	}
	set := func(n, v string) error {
		if _, dup := o.Named[n]; dup {
			return fmt.Errorf("option --%s given twice", n)
		}
		o.Named[n] = v
		o.Order = append(o.Order, n)
		return nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "--") && len(a) > 2 {
			name, val, hasVal := strings.Cut(a[2:], "=")
			name = strings.ToLower(name)
			switch {
			case hasVal:
			case isBool(name):
				val = "on"
			case i+1 < len(args):
				i++
				val = args[i]
			default:
				return o, fmt.Errorf("option --%s needs a value", name)
			}
			if err := set(name, val); err != nil {
				return o, err
			}
			continue
		}
		if name, val, ok := strings.Cut(a, "="); ok && isParamName(name) {
			if err := set(strings.ToLower(name), val); err != nil {
				return o, err
			}
			continue
		}
		o.Pos = append(o.Pos, a)
	}
	return o, nil
}

// UserOpts is ParseOpts with its error as a UserError.
func UserOpts(args []string, boolFlags ...string) (Opts, error) {
	o, err := ParseOpts(args, boolFlags...)
	return o, AsUser(err)
}

// UserWords parses args that take no option: the positional words, or a
// UserError that names the option given.
func UserWords(args []string) ([]string, error) {
	o, err := UserOpts(args)
	if err == nil {
		err = o.Allow()
	}
	return o.Pos, err
}

// Allow is Only with its error as a UserError.
func (o Opts) Allow(allowed ...string) error {
	return AsUser(o.Only(allowed...))
}

func isParamName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// Only returns an error naming the first option not in allowed.
func (o Opts) Only(allowed ...string) error {
	for _, n := range o.Order {
		ok := false
		for _, a := range allowed {
			if a == n {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("Unknown option --%s (accepted: %s)", n, dashed(allowed))
		}
	}
	return nil
}

func dashed(names []string) string {
	d := make([]string, len(names))
	for i, n := range names {
		d[i] = "--" + n
	}
	return strings.Join(d, ", ")
}

// SplitCommands splits a one-shot line into commands at unquoted " ; ".
func SplitCommands(line string) []string {
	var out []string
	var quote rune
	start := 0
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == ';' && (i == 0 || rs[i-1] == ' ') && (i+1 == len(rs) || rs[i+1] == ' '):
			out = append(out, strings.TrimSpace(string(rs[start:i])))
			start = i + 1
		}
	}
	out = append(out, strings.TrimSpace(string(rs[start:])))
	var clean []string
	for _, c := range out {
		if c != "" {
			clean = append(clean, c)
		}
	}
	return clean
}

// flagForm reports whether the boolean flag name is absent or given in
// flag form (--name, value "on"): --name=VALUE is not a form it takes, and
// accepting one would let --cluster=off quietly mean on or off.
func flagForm(o Opts, name string) bool {
	v, ok := o.Named[name]
	return !ok || v == "on"
}
