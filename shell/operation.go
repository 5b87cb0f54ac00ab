package shell

import (
	"errors"
	"strings"
)

// Operation is one operation of a command or of one of its menus: the
// batch word, the menu entry, the batch forms, the least role allowed,
// and its two forms, batch and interactive. T is what the operations of
// a table work on (the command's working copy of the configuration, a
// listener, a sender group...).
type Operation[T any] struct {
	// Name is the batch word, lower case ("new"); the menu shows it
	// upper-cased ("NEW").
	Name string
	// Desc is the menu's description ("Create a new entry."), also in
	// docs/commands.md.
	Desc string
	// Usage are the batch forms after the table's prefix and Name
	// ("DOMAIN [--PARAM=VALUE ...]"); none or "" for Name alone.
	Usage []string
	// Access is the least role allowed, when more than the command's
	// (AccessGuest: the command's).
	Access Access
	// Aliases are other words for Name, accepted in batch and at the
	// menu prompt but shown nowhere ("reset" for clear).
	Aliases []string
	// Batch runs the batch form with the words after Name; nil: the
	// operation is only in the menu. It may return ErrUsage or
	// UsageOf(...) for the table to answer with the operation's forms.
	Batch func(c *Ctx, t T, args []string) error
	// Menu runs the interactive form; nil: batch only, not in the menu.
	Menu func(c *Ctx, t T) error
	// Shown, if set, says whether the menu offers the operation now
	// (EDIT only when there is something to edit). The batch form is
	// always accepted.
	Shown func(c *Ctx, t T) bool
	// Complete, if set, returns candidates for the last (partial) of
	// args, the words after Name.
	Complete func(c *Ctx, t T, args []string) []string
	// Sub, if set, is the table one level down (listenerconfig's EDIT
	// has setup, hostaccess, rcptaccess), listed in the docs under this
	// operation.
	Sub Documented
	// Open, if set, opens on a terminal the menu of the object that the
	// words after Name name, when they are a partial batch line
	// ("listenerconfig edit NAME": that listener's menu); it reports
	// false, doing nothing, when they are not (partial.go).
	Open func(c *Ctx, t T, args []string) (bool, error)
}

// Table is the operations of a command or of one of its menus, in menu
// order. Everything else is derived from it: the batch words and their
// completion, the usage lines, the "unknown operation" error, the menu,
// and the command's entry in docs/commands.md.
type Table[T any] struct {
	// Prefix is what the batch forms start with: "destconfig",
	// "listenerconfig edit NAME hostaccess".
	Prefix string
	// What names the table in the unknown-operation error ("Unknown
	// hostaccess operation"); default: the last word of Prefix and
	// "operation".
	What string
	// Denied ends "You are not in the correct access group to ..." for
	// an operation above the session's role; default: "use this
	// operation".
	Denied string
	Ops    []Operation[T]
}

// UsageError is what an operation returns for malformed batch words: the
// table answers with the operation's forms, those that start with Form
// when it is set ("sendergroup" of hostaccess new).
type UsageError struct{ Form string }

func (e *UsageError) Error() string { return "usage" }

// ErrUsage asks for all the operation's forms.
var ErrUsage error = &UsageError{}

// UsageOf asks for the operation's forms that start with form.
func UsageOf(form string) error { return &UsageError{Form: form} }

// find returns the operation called word (its name or an alias, any
// case), or nil.
func (tb *Table[T]) find(word string) *Operation[T] {
	for i := range tb.Ops {
		op := &tb.Ops[i]
		if strings.EqualFold(op.Name, word) {
			return op
		}
		for _, a := range op.Aliases {
			if strings.EqualFold(a, word) {
				return op
			}
		}
	}
	return nil
}

// Names are the batch words, in table order.
func (tb *Table[T]) Names() []string {
	var out []string
	for _, op := range tb.Ops {
		if op.Batch != nil {
			out = append(out, op.Name)
		}
	}
	return out
}

// Forms are the batch forms after Prefix: "new DOMAIN [--PARAM=VALUE
// ...]", "list".
func (tb *Table[T]) Forms() []string {
	var out []string
	for _, op := range tb.Ops {
		if op.Batch != nil {
			out = append(out, op.forms()...)
		}
	}
	return out
}

// Usage are the batch forms as help shows them, with Prefix.
func (tb *Table[T]) Usage() []string {
	out := tb.Forms()
	for i, f := range out {
		out[i] = tb.Prefix + " " + f
	}
	return out
}

func (op *Operation[T]) forms() []string {
	if len(op.Usage) == 0 {
		return []string{op.Name}
	}
	out := make([]string, len(op.Usage))
	for i, u := range op.Usage {
		out[i] = strings.TrimRight(op.Name+" "+u, " ")
	}
	return out
}

func (tb *Table[T]) what() string {
	if tb.What != "" {
		return tb.What
	}
	w := strings.Fields(tb.Prefix)
	return w[len(w)-1] + " operation"
}

// allowed checks the session's role against an operation's.
func (tb *Table[T]) allowed(c *Ctx, op *Operation[T]) error {
	if RoleAccess(c.S.Role) >= op.Access {
		return nil
	}
	d := tb.Denied
	if d == "" {
		d = "use this operation"
	}
	return Errorf("You are not in the correct access group to %s.", d)
}

// Batch runs the batch form whose first word is args[0].
func (tb *Table[T]) Batch(c *Ctx, t T, args []string) error {
	if len(args) == 0 {
		return tb.usageError(tb.Usage())
	}
	op := tb.find(args[0])
	if op == nil || op.Batch == nil {
		return Errorf("Unknown %s %q (accepted: %s).", tb.what(), args[0], strings.Join(tb.Names(), ", "))
	}
	if err := tb.allowed(c, op); err != nil {
		return err
	}
	if opened, err := tb.open(c, t, op, args[1:]); opened {
		return err
	}
	err := op.Batch(c, t, args[1:])
	var ue *UsageError
	if errors.As(err, &ue) {
		var lines []string
		for _, f := range op.forms() {
			if ue.Form == "" || strings.HasPrefix(f, op.Name+" "+ue.Form) {
				lines = append(lines, tb.Prefix+" "+f)
			}
		}
		if len(lines) == 0 {
			lines = tb.Usage()
		}
		return tb.usageError(lines)
	}
	return err
}

// usageError is "Usage: FORM" with the alignment blanks of help taken
// out, one form a line.
func (tb *Table[T]) usageError(lines []string) error {
	out := make([]string, len(lines))
	for i, l := range lines {
		parts := strings.Split(l, "\n")
		for j, p := range parts {
			parts[j] = strings.Join(strings.Fields(p), " ")
		}
		out[i] = strings.Join(parts, "\n           ")
	}
	return Errorf("Usage: %s", strings.Join(out, "\n       "))
}

// menuOps are the operations the menu offers now.
func (tb *Table[T]) menuOps(c *Ctx, t T) []Op {
	var out []Op
	for _, op := range tb.Ops {
		if op.Menu == nil || op.Shown != nil && !op.Shown(c, t) {
			continue
		}
		m := Op{Name: strings.ToUpper(op.Name), Desc: op.Desc}
		for _, a := range op.Aliases {
			m.Aliases = append(m.Aliases, strings.ToUpper(a))
		}
		out = append(out, m)
	}
	return out
}

// run runs the interactive form of the operation the menu returned.
func (tb *Table[T]) run(c *Ctx, t T, name string) error {
	op := tb.find(name)
	if err := tb.allowed(c, op); err != nil {
		return err
	}
	return op.Menu(c, t)
}

// Menu is the interactive form: show the state, offer the operations
// (those Shown now), run the chosen one, and again until an empty
// answer. A UserError is printed and the menu shown again.
func (tb *Table[T]) Menu(c *Ctx, t T, show func()) error {
	return MenuLoop(c, show, func() []Op { return tb.menuOps(c, t) },
		func(name string) error { return tb.run(c, t, name) })
}

// Once offers the operations once and runs the chosen one (a submenu
// that returns to its parent after one operation).
func (tb *Table[T]) Once(c *Ctx, t T) error {
	name, err := c.Menu(tb.menuOps(c, t))
	if err != nil || name == "" {
		return err
	}
	return tb.run(c, t, name)
}

// Complete returns the candidates for the last (partial) of args: the
// batch words (of the operations Shown now), then what the operation
// completes.
func (tb *Table[T]) Complete(c *Ctx, t T, args []string) []string {
	if len(args) <= 1 {
		var out []string
		for _, op := range tb.Ops {
			if op.Batch != nil && (op.Shown == nil || op.Shown(c, t)) {
				out = append(out, op.Name)
			}
		}
		return out
	}
	op := tb.find(args[0])
	if op == nil || op.Complete == nil {
		return nil
	}
	return op.Complete(c, t, args[1:])
}

// OpDoc is one operation as help and docs/commands.md list it.
type OpDoc struct {
	Batch  string // the batch words after the command name ("edit NAME hostaccess new"); "" when menu only
	Menu   string // the menu path ("EDIT > HOSTACCESS > NEW"); "" when batch only
	Desc   string
	Access Access // the least role allowed
}

// Documented is a table as the docs list it.
type Documented interface {
	// Docs lists the operations of a table of command cmd, reached at
	// the menu path menu, with the least role access.
	Docs(cmd, menu string, access Access) []OpDoc
}

// Docs implements Documented.
func (tb *Table[T]) Docs(cmd, menu string, access Access) []OpDoc {
	var out []OpDoc
	for _, op := range tb.Ops {
		d := OpDoc{Desc: op.Desc, Access: max(access, op.Access)}
		if op.Batch != nil {
			d.Batch = strings.TrimPrefix(tb.Prefix+" "+op.Name, cmd+" ")
		}
		if op.Menu != nil {
			d.Menu = strings.ToUpper(op.Name)
			if menu != "" {
				d.Menu = menu + " > " + d.Menu
			}
		}
		out = append(out, d)
		if op.Sub != nil {
			out = append(out, op.Sub.Docs(cmd, d.Menu, d.Access)...)
		}
	}
	return out
}

// CommandSpec describes a command made of a table of operations; Command
// builds it.
type CommandSpec[T any] struct {
	Name, Help string
	Access     Access
	Table      *Table[T] // Prefix is Name
	// Target gives the operations what they work on (for the
	// configuration commands, c.Config()).
	Target func(c *Ctx) T
	// Show prints the state above the menu.
	Show func(c *Ctx, t T)
	// Notes are usage lines after the batch forms (parameter help).
	Notes []string
	// Interactive, if set, is the command without arguments instead of
	// Show and the menu (a check first, a question before the menu).
	Interactive func(c *Ctx, t T) error
}

// Command builds the command: Sub, Usage, completion, the menu, the
// batch dispatch and Ops all come from the table.
func (s CommandSpec[T]) Command() *Command {
	tb := s.Table
	return &Command{
		Name:   s.Name,
		Help:   s.Help,
		Usage:  append(tb.Usage(), s.Notes...),
		Access: s.Access,
		Sub:    tb.Names(),
		Ops:    tb.Docs(s.Name, "", s.Access),
		Complete: func(c *Ctx, args []string) []string {
			return tb.Complete(c, s.Target(c), args)
		},
		Run: func(c *Ctx, args []string) error {
			t := s.Target(c)
			switch {
			case len(args) > 0:
				return tb.Batch(c, t, args)
			case s.Interactive != nil:
				return s.Interactive(c, t)
			}
			return tb.Menu(c, t, func() { s.Show(c, t) })
		},
	}
}
