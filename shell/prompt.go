package shell

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The AsyncOS question style: the question on its own line, then the
// default in brackets on the prompt line: "[Y]> ", "[500]> ", "[]> ".

// Op is one menu operation.
type Op struct {
	Name string // shown upper-case: "NEW"
	Desc string // "Create a new entry."
	// Aliases are other accepted answers, not shown ("RESET" for
	// CLEAR); they must be typed in full.
	Aliases []string
}

// Printf writes to the command's output.
func (c *Ctx) Printf(format string, a ...any) { fmt.Fprintf(c.Out, format, a...) }

// Println writes a line to the command's output.
func (c *Ctx) Println(a ...any) { fmt.Fprintln(c.Out, a...) }

// readAnswer prints the bracketed prompt and reads a line, Tab
// completing words (offer.go). In a non-interactive session end of input
// yields the default once.
func (c *Ctx) readAnswer(def string, words []string) (string, bool, error) {
	done := c.S.offering(offer{words: words})
	line, err := c.S.In.ReadLine("[" + def + "]> ")
	done()
	if errors.Is(err, io.EOF) {
		return def, true, nil
	}
	if err != nil {
		return "", false, err
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return def, false, nil
	}
	return line, false, nil
}

// Menu prints the operations and returns the chosen one upper-cased, or ""
// when the user enters an empty line (go up one level) or input ends.
func (c *Ctx) Menu(ops []Op) (string, error) {
	for {
		c.Printf("\nChoose the operation you want to perform:\n")
		for _, o := range ops {
			c.Printf("- %s - %s\n", o.Name, o.Desc)
		}
		ans, eof, err := c.readAnswer("", opNames(ops))
		if err != nil || ans == "" {
			return "", err
		}
		u := strings.ToUpper(ans)
		var match []string
		for _, o := range ops {
			if o.Name == u || slices.Contains(o.Aliases, u) {
				return o.Name, nil
			}
			if strings.HasPrefix(o.Name, u) {
				match = append(match, o.Name)
			}
		}
		if len(match) == 1 {
			return match[0], nil
		}
		if eof {
			return "", ErrNeedInput
		}
		c.Printf("Unknown option %q.\n", ans)
	}
}

// Ask prints question and returns the answer (def on an empty line).
// check, if not nil, validates and normalises the answer; a rejected
// answer is explained in one line and the question asked again.
func (c *Ctx) Ask(question, def string, check func(string) (string, error)) (string, error) {
	return c.AskOf(question, def, nil, check)
}

// AskOf is Ask for the name of an object: Tab completes names (the
// listeners, the domains... the answer may be).
func (c *Ctx) AskOf(question, def string, names []string, check func(string) (string, error)) (string, error) {
	for {
		if question != "" {
			c.Printf("%s\n", question)
		}
		ans, eof, err := c.readAnswer(def, names)
		if err != nil {
			return "", err
		}
		if check == nil {
			return ans, nil
		}
		v, verr := check(ans)
		if verr == nil {
			return v, nil
		}
		if eof {
			if def == "" {
				return "", ErrNeedInput
			}
			return "", verr
		}
		c.Printf("%s\n", verr)
	}
}

// AskRequired is Ask with a non-empty answer required.
func (c *Ctx) AskRequired(question, def string, check func(string) (string, error)) (string, error) {
	return c.Ask(question, def, func(s string) (string, error) {
		if strings.TrimSpace(s) == "" {
			return "", errors.New("You must enter a value.")
		}
		if check == nil {
			return s, nil
		}
		return check(s)
	})
}

// AskInt asks for an integer in [min, max].
func (c *Ctx) AskInt(question string, def, min, max int64) (int64, error) {
	s, err := c.Ask(question, strconv.FormatInt(def, 10), func(s string) (string, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", fmt.Errorf("You must enter a number.")
		}
		if n < min || n > max {
			return "", fmt.Errorf("Value must be between %d and %d.", min, max)
		}
		return s, nil
	})
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

// AskYN asks a yes/no question: "[Y]> " or "[N]> ".
func (c *Ctx) AskYN(question string, def bool) (bool, error) {
	d := "N"
	if def {
		d = "Y"
	}
	s, err := c.Ask(question, d, func(s string) (string, error) {
		switch strings.ToLower(s) {
		case "y", "yes":
			return "Y", nil
		case "n", "no":
			return "N", nil
		}
		return "", errors.New("Please answer Y or N.")
	})
	return s == "Y", err
}

// Choose prints question and a numbered list and returns the 0-based index
// chosen by number or by name. def is 1-based (0: no default).
func (c *Ctx) Choose(question string, items []string, def int) (int, error) {
	return chooseNumbered(c, question, items, nil, def)
}
