package listenercmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"seg/shell"
)

// userError is shell.UserError: menus print it and go on, batch
// forms return it.
type userError = shell.UserError

// errorf is shell.Errorf.
func errorf(format string, a ...any) error { return shell.Errorf(format, a...) }

// asUser turns an error from a checker (store's parsers and Canon) into a
// userError written as a sentence.
func asUser(err error) error {
	if err == nil {
		return nil
	}
	var ue *userError
	if errors.As(err, &ue) {
		return err
	}
	return &userError{Msg: sentence(err.Error())}
}

// sentence capitalises the first letter and ends the text with a period.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "\"") && !strings.HasSuffix(s, ")") {
		s += "."
	}
	return s
}

// menuLoop prints the state, offers the operations, runs the chosen one,
// and again until an empty answer. A userError from an operation is
// printed and the menu shown again.
func menuLoop(c *shell.Ctx, show func(), ops func() []shell.Op, aliases map[string]string, do func(op string) error) error {
	for {
		show()
		op, err := menu(c, ops(), aliases)
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

// menu is shell's Menu with extra accepted spellings (RESET for CLEAR).
func menu(c *shell.Ctx, ops []shell.Op, aliases map[string]string) (string, error) {
	var b strings.Builder
	b.WriteString("\nChoose the operation you want to perform:")
	for _, o := range ops {
		fmt.Fprintf(&b, "\n- %s - %s", o.Name, o.Desc)
	}
	return c.Ask(b.String(), "", func(s string) (string, error) {
		if s == "" {
			return "", nil
		}
		u := strings.ToUpper(s)
		if a, ok := aliases[u]; ok {
			u = a
		}
		var match []string
		for _, o := range ops {
			if o.Name == u {
				return u, nil
			}
			if strings.HasPrefix(o.Name, u) {
				match = append(match, o.Name)
			}
		}
		if len(match) == 1 {
			return match[0], nil
		}
		return "", fmt.Errorf("Unknown option %q.", s)
	})
}

// ask is Ask with a blank line before the question, as AsyncOS
// separates its questions.
func ask(c *shell.Ctx, question, def string, check func(string) (string, error)) (string, error) {
	return c.Ask("\n"+question, def, check)
}

func askRequired(c *shell.Ctx, question, def string, check func(string) (string, error)) (string, error) {
	return c.AskRequired("\n"+question, def, check)
}

func askYN(c *shell.Ctx, question string, def bool) (bool, error) {
	return c.AskYN("\n"+question, def)
}

func choose(c *shell.Ctx, question string, items []string, def int) (int, error) {
	return chooseNamed(c, question, items, nil, def)
}

// chooseNamed asks for one of a numbered list (def is 1-based, 0: no
// default). An answer is a number, an item, or one of names (the policy
// or keyword an item stands for; a policy's '$' may be left out).
func chooseNamed(c *shell.Ctx, question string, items, names []string, def int) (int, error) {
	var b strings.Builder
	b.WriteString("\n" + question)
	for i, it := range items {
		fmt.Fprintf(&b, "\n%d. %s", i+1, it)
	}
	d := ""
	if def > 0 {
		d = strconv.Itoa(def)
	}
	idx := -1
	_, err := c.Ask(b.String(), d, func(s string) (string, error) {
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(items) {
			idx = n - 1
			return s, nil
		}
		for i, it := range items {
			match := strings.EqualFold(it, s)
			if i < len(names) {
				match = match || strings.EqualFold(names[i], s) || strings.EqualFold(strings.TrimPrefix(names[i], "$"), s)
			}
			if match {
				idx = i
				return s, nil
			}
		}
		return "", fmt.Errorf("That value is not valid: enter a number from 1 to %d.", len(items))
	})
	return idx, err
}

// askInt asks for a whole number in [min, max] after a blank line.
func askInt(c *shell.Ctx, question string, def, min, max int) (int, error) {
	n, err := c.AskInt("\n"+question, int64(def), int64(min), int64(max))
	return int(n), err
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
			name, _, _ := strings.Cut(it, " ")
			if strings.EqualFold(it, s) || strings.EqualFold(name, s) || strings.EqualFold(strings.TrimPrefix(name, "$"), s) {
				idx = i
				return s, nil
			}
		}
		return "", fmt.Errorf("That value is not valid: enter a number from 1 to %d, or a name.", len(items))
	})
	return idx, err
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// plural returns "1 thing" or "N things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
