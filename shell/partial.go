package shell

import "strings"

// A partial command line on a terminal opens the menu it names, as if
// the admin had walked there: "listenerconfig edit IncomingMail
// hostaccess" is that listener's HOSTACCESS menu, "listenerconfig edit"
// asks which listener first, "destconfig edit" asks which entry. When
// the menu is left the command ends, back at the command prompt. Batch
// and one-shot sessions have no one to ask: there a partial line stays
// a usage error (with FILE:LINE in a batch file).

// open runs, on a terminal, the interactive form of op when args (the
// words after its name) stop where a menu or question starts: none at
// all for an operation that has no batch form without words, or the
// object op.Open names. It reports whether it did.
func (tb *Table[T]) open(c *Ctx, t T, op *Operation[T], args []string) (bool, error) {
	if !c.S.Interactive || op.Menu == nil {
		return false, nil
	}
	if len(args) == 0 && !op.bare() {
		return true, op.Menu(c, t)
	}
	if op.Open != nil {
		return op.Open(c, t, args)
	}
	return false, nil
}

// bare reports whether the operation's name alone is a complete batch
// form ("print", "print [NAME]"), which then runs as it always did.
func (op *Operation[T]) bare() bool {
	if op.Batch == nil || len(op.Usage) == 0 {
		return op.Batch != nil
	}
	for _, u := range op.Usage {
		if u = strings.TrimSpace(u); u == "" || strings.HasPrefix(u, "[") {
			return true
		}
	}
	return false
}
