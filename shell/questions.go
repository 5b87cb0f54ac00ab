package shell

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The questions of the configuration commands. AsyncOS separates each
// question of a configuration menu from what came before with a blank
// line; these are Ctx's Ask, AskYN... with that line, and MenuLoop is the
// level of a menu: state, operations, the chosen one, again.

// Ask is c.Ask after a blank line.
func Ask(c *Ctx, question, def string, check func(string) (string, error)) (string, error) {
	return c.Ask("\n"+question, def, check)
}

// AskOf is c.AskOf after a blank line: a question whose answer is one
// of names (Tab completes them), or something else check accepts.
func AskOf(c *Ctx, question, def string, names []string, check func(string) (string, error)) (string, error) {
	return c.AskOf("\n"+question, def, names, check)
}

// AskRequired is c.AskRequired after a blank line.
func AskRequired(c *Ctx, question, def string, check func(string) (string, error)) (string, error) {
	return c.AskRequired("\n"+question, def, check)
}

// AskYN is c.AskYN after a blank line.
func AskYN(c *Ctx, question string, def bool) (bool, error) {
	return c.AskYN("\n"+question, def)
}

// AskInt asks for a whole number in [min, max] after a blank line.
func AskInt(c *Ctx, question string, def, min, max int) (int, error) {
	n, err := c.AskInt("\n"+question, int64(def), int64(min), int64(max))
	return int(n), err
}

// Choose asks for one of a numbered list after a blank line, by number or
// item text; def is 1-based (0: no default).
func Choose(c *Ctx, question string, items []string, def int) (int, error) {
	return ChooseNamed(c, question, items, nil, def)
}

// ChooseNamed is Choose where an answer may also be one of names (the
// policy or keyword an item stands for; a policy's '$' may be left out).
func ChooseNamed(c *Ctx, question string, items, names []string, def int) (int, error) {
	return chooseNumbered(c, "\n"+question, items, names, def)
}

// ChooseOrInherit is Choose where the answer Inherit, unless it is one
// of items (a profile called Default), returns -1: no value of its own.
func ChooseOrInherit(c *Ctx, question string, items []string, def int) (int, error) {
	return chooseIn(c, "\n"+question, items, nil, def, true)
}

// chooseNumbered is Choose and c.Choose: question is printed as it is.
func chooseNumbered(c *Ctx, question string, items, names []string, def int) (int, error) {
	return chooseIn(c, question, items, names, def, false)
}

func chooseIn(c *Ctx, question string, items, names []string, def int, inherit bool) (int, error) {
	d := ""
	if def > 0 {
		d = strconv.Itoa(def)
	}
	idx := -1
	_, err := c.AskOf(numbered(question, items), d, chooseNames(items, names), func(s string) (string, error) {
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
		if inherit && Inherits(s) {
			idx = -1
			return s, nil
		}
		return "", fmt.Errorf("That value is not valid: enter a number from 1 to %d.", len(items))
	})
	return idx, err
}

// Pick asks for one of a numbered list after a blank line, with no
// default: an empty answer returns -1 (go back). An answer is a number,
// an item, or an item's first word ("$THROTTLED" for "$THROTTLED
// (ACCEPT)"; the '$' may be left out).
func Pick(c *Ctx, question string, items []string) (int, error) {
	idx := -1
	_, err := c.AskOf(numbered("\n"+question, items), "", pickNames(items), func(s string) (string, error) {
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

// numbered is question with items numbered from 1 below it.
func numbered(question string, items []string) string {
	var b strings.Builder
	b.WriteString(question)
	for i, it := range items {
		fmt.Fprintf(&b, "\n%d. %s", i+1, it)
	}
	return b.String()
}

// MenuLoop is the AsyncOS level of a menu: print the state, offer the
// operations, run the chosen one, and again until an empty answer. A
// UserError from an operation is printed and the menu shown again; any
// other error ends the loop. Each operation that ends is a checkpoint
// (checkpoint.go); Ctrl-C inside one undoes it and shows this menu
// again, Ctrl-C at this menu's prompt goes back to the enclosing one.
func MenuLoop(c *Ctx, show func(), ops func() []Op, do func(op string) error) error {
	for {
		show()
		op, err := c.Menu(ops())
		if err != nil || op == "" {
			return err
		}
		if err := do(op); err != nil {
			var ue *UserError
			switch {
			case errors.Is(err, ErrInterrupt):
				if !c.undo() {
					return err
				}
				continue
			case !errors.As(err, &ue):
				return err
			}
			c.Printf("%s\n", ue.Msg)
		}
		if err := c.checkpoint(); err != nil {
			return err
		}
	}
}
