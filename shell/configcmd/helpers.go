package configcmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"seg/shell"
	"seg/store"
)

// userError is shell.UserError: menus print it and go on, batch
// forms return it.
type userError = shell.UserError

// errorf is shell.Errorf.
func errorf(format string, a ...any) error { return shell.Errorf(format, a...) }

// asUser turns an error from a checker (store's Canon, validators) into a
// userError written as a sentence.
func asUser(err error) error {
	if err == nil {
		return nil
	}
	return &userError{Msg: sentence(err.Error())}
}

// sentence capitalises the first letter and ends the text with a period.
// A leading "name:" (a parameter name) keeps its case.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	if i := strings.IndexAny(s, ": "); i < 0 || s[i] != ':' {
		r, n := utf8.DecodeRuneInString(s)
		s = string(unicode.ToUpper(r)) + s[n:]
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, ")") {
		s += "."
	}
	return s
}

// menuLoop is the AsyncOS top level of a command: print the state, offer
// the operations, run the chosen one, and again until an empty answer.
// A userError from an operation is printed and the menu shown again.
func menuLoop(c *shell.Ctx, show func(), ops func() []shell.Op, do func(op string) error) error {
	for {
		show()
		op, err := c.Menu(ops())
		if err != nil || op == "" {
			return err
		}
		if err := do(op); err != nil {
			var ue *userError
			if !errors.As(err, &ue) {
				return err
			}
			c.Printf("%s\n", ue.Msg)
		}
	}
}

// ask is shell's Ask with a blank line before the question, as AsyncOS
// separates its questions.
func ask(c *shell.Ctx, question, def string, check func(string) (string, error)) (string, error) {
	return c.Ask("\n"+question, def, check)
}

// askRequired is ask with a non-empty answer required.
func askRequired(c *shell.Ctx, question, def string, check func(string) (string, error)) (string, error) {
	return c.AskRequired("\n"+question, def, check)
}

// askYN asks a yes/no question after a blank line.
func askYN(c *shell.Ctx, question string, def bool) (bool, error) {
	return c.AskYN("\n"+question, def)
}

// choose asks for one of a numbered list after a blank line; def is
// 1-based.
func choose(c *shell.Ctx, question string, items []string, def int) (int, error) {
	return c.Choose("\n"+question, items, def)
}

// pick asks for one of a numbered list, by number or name, with no
// default: an empty answer returns -1 (go back).
func pick(c *shell.Ctx, question string, items []string) (int, error) {
	var b strings.Builder
	b.WriteString("\n" + question)
	for i, it := range items {
		fmt.Fprintf(&b, "\n%d. %s", i+1, it)
	}
	idx := -1
	_, err := c.Ask(b.String(), "", func(s string) (string, error) {
		if s == "" {
			idx = -1
			return s, nil
		}
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(items) {
			idx = n - 1
			return s, nil
		}
		for i, it := range items {
			if strings.EqualFold(it, s) {
				idx = i
				return s, nil
			}
		}
		return "", fmt.Errorf("That value is not valid: enter a number from 1 to %d, or a name.", len(items))
	})
	return idx, err
}

// specCheck returns an Ask checker that canonicalises an answer with a
// parameter spec.
func specCheck(t *store.ParamTable, name string) func(string) (string, error) {
	s, ok := t.Lookup(name)
	if !ok {
		panic("configcmd: no parameter " + name) // programming error
	}
	return func(v string) (string, error) {
		c, err := s.Canon(v)
		if err != nil {
			return "", asUser(err)
		}
		return c, nil
	}
}

// formatTable lays out rows under headers, columns two spaces apart, with
// a line of '=' under each header.
func formatTable(headers []string, rows [][]string) string {
	w := make([]int, len(headers))
	for i, h := range headers {
		w[i] = len(h)
	}
	for _, r := range rows {
		for i, v := range r {
			w[i] = max(w[i], len(v))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, v := range cells {
			if i > 0 {
				l.WriteString("  ")
			}
			fmt.Fprintf(&l, "%-*s", w[i], v)
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	line(headers)
	under := make([]string, len(headers))
	for i := range headers {
		under[i] = strings.Repeat("=", w[i])
	}
	line(under)
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// yesNo parses a yes/no option value.
func yesNo(opt, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "y", "yes", "on", "true", "1", "enable", "enabled":
		return true, nil
	case "n", "no", "off", "false", "0", "disable", "disabled":
		return false, nil
	}
	return false, errorf("--%s must be yes or no, not %q.", opt, v)
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// usageError reports a malformed batch line with the command's forms.
func usageError(cmd *shell.Command) error {
	return errorf("Usage: %s", strings.Join(cmd.Usage, "\n       "))
}

// onlyOpts is Opts.Only as a userError.
func onlyOpts(o shell.Opts, allowed ...string) error {
	return asUser(o.Only(allowed...))
}

// parseOpts is shell.ParseOpts as a userError.
func parseOpts(args []string, boolFlags ...string) (shell.Opts, error) {
	o, err := shell.ParseOpts(args, boolFlags...)
	return o, asUser(err)
}

// names returns the strings f picks from each element of s.
func names[T any](s []T, f func(*T) string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = f(&s[i])
	}
	return out
}

// paramHelp is a spec's help with its accepted values, and the reason
// seg does not enforce it where it does not.
func paramHelp(s *store.ParamSpec) string {
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

// paramOptions completes a --name=value option of a table: the names
// ("--name="), or once partial holds the '=' the accepted values of an
// enum or on/off parameter.
func paramOptions(t *store.ParamTable, partial string) []string {
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

// subUsage returns the usage line of one batch operation.
func subUsage(cmd *shell.Command, sub string) error {
	for _, u := range cmd.Usage {
		if strings.HasPrefix(u, cmd.Name+" "+sub+" ") || u == cmd.Name+" "+sub {
			return errorf("Usage: %s", strings.Join(strings.Fields(u), " "))
		}
	}
	return usageError(cmd)
}

// without returns s minus its element i (none when i < 0), and nil rather
// than an empty slice: the configuration compares as JSON, where [] and
// null differ, and an emptied list must equal one never filled.
func without[T any](s []T, i int) []T {
	if i >= 0 {
		s = append(s[:i], s[i+1:]...)
	}
	if len(s) == 0 {
		return nil
	}
	return s
}
