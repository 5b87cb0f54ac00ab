package listenercmd

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// RCPTACCESS: the Recipient Access Table of a public listener (reference
// 2.8). Entries are matched in order; ALL is last and holds the default
// access.

func ratAll(l *store.Listener) *store.RATEntry {
	if n := len(l.RAT); n > 0 && l.RAT[n-1].Entry == "ALL" {
		return &l.RAT[n-1]
	}
	return nil
}

func ratEntryCount(l *store.Listener) int {
	if ratAll(l) != nil {
		return len(l.RAT) - 1
	}
	return len(l.RAT)
}

func findRAT(l *store.Listener, entry string) (int, error) {
	e, err := store.CanonRATEntry(entry)
	if err != nil {
		return -1, shell.AsUser(err)
	}
	for i := range l.RAT {
		if l.RAT[i].Entry == e {
			return i, nil
		}
	}
	return -1, shell.Errorf("%s is not in the recipient access table.", e)
}

// addRAT inserts entries before ALL with the same action and options.
func addRAT(l *store.Listener, list string, tmpl store.RATEntry) error {
	es, err := ratEntries(list)
	if err != nil {
		return err
	}
	if len(es) == 0 {
		return shell.Errorf("You must enter at least one recipient address.")
	}
	if err := store.CheckRATResponse(tmpl.Action, tmpl.Code, tmpl.Text); err != nil {
		return shell.AsUser(err)
	}
	for _, e := range es {
		if _, err := findRAT(l, e); err == nil {
			return shell.Errorf("%s is already in the recipient access table: use EDIT to change it.", e)
		}
	}
	n := ratEntryCount(l)
	for _, e := range es {
		r := tmpl
		r.Entry = e
		l.RAT = append(l.RAT, store.RATEntry{})
		copy(l.RAT[n+1:], l.RAT[n:])
		l.RAT[n] = r
		n++
	}
	return nil
}

const openRelayWarning = "Warning: ALL ACCEPT accepts mail for any recipient from the hosts whose policy is ACCEPT."

func checkPublic(l *store.Listener) error {
	if !l.HasRAT() {
		return shell.Errorf("Listener %s is private: private listeners have no recipient access table (their HAT decides who may relay).", l.Name)
	}
	return nil
}

func printRAT(c *shell.Ctx, l *store.Listener) {
	c.Printf("%s", store.FormatRAT(l.RAT))
}

func importRAT(c *shell.Ctx, l *store.Listener, file string) error {
	data, err := c.ReadConfigFile(file)
	if err != nil {
		return err
	}
	rat, err := store.ParseRAT(file, bytes.NewReader(data))
	if err != nil {
		var le *store.LineErrors
		if errors.As(err, &le) {
			return shell.Errorf("The Recipient Access Table was not imported:\n%s", strings.Join(le.Problems, "\n"))
		}
		return shell.AsUser(err)
	}
	l.RAT = rat
	c.Printf("Imported %s from %s.\n", shell.Plural(len(rat)-1, "entry", "entries"), file)
	if all := ratAll(l); all != nil && all.Action == store.RATAccept {
		c.Printf("%s\n", openRelayWarning)
	}
	return nil
}

func exportRAT(c *shell.Ctx, l *store.Listener, file string) error {
	if err := c.WriteConfigFile(file, []byte(store.FormatRAT(l.RAT))); err != nil {
		return err
	}
	c.Printf("The Recipient Access Table of %s was exported to %s.\n", l.Name, file)
	return nil
}

// clearRAT removes every entry but ALL, which keeps its action.
func clearRAT(l *store.Listener) {
	all := store.RATEntry{Entry: "ALL", Action: store.RATReject}
	if a := ratAll(l); a != nil {
		all = *a
	}
	l.RAT = []store.RATEntry{all}
}

func showRAT(c *shell.Ctx, l *store.Listener) {
	def := store.RATReject
	if a := ratAll(l); a != nil {
		def = a.Action
	}
	c.Printf("\nOverview:\nThere are currently %s.\nDefault access: %s\n", shell.Plural(ratEntryCount(l), "recipient", "recipients"), def)
}

// ratOps is RCPTACCESS, interactive and batch. Reading and exporting the
// table is open to the command's role; changing it takes an operator.
var ratOps = &shell.Table[*store.Listener]{Prefix: "listenerconfig edit NAME rcptaccess", Denied: "change listeners", Ops: []shell.Operation[*store.Listener]{
	{Name: "new", Desc: "Create a new entry.", Access: shell.AccessOperator,
		Usage: []string{"ENTRY[,ENTRY...] ACCEPT|REJECT [--code N --text T] [--bypass_receiving_control]"},
		Batch: func(c *shell.Ctx, l *store.Listener, args []string) error { return ratSetBatch(c, l, "new", args) },
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			list, err := shell.AskRequired(c, `Enter the recipient address for this entry.
Hostnames such as "example.com" are allowed.
Partial hostnames such as ".example.com" are allowed.
Usernames such as "postmaster@" are allowed.
Full email addresses such as "joe@example.com" or "joe@[1.2.3.4]" are allowed.
Separate multiple addresses with commas.`, "", checker(func(s string) (string, error) {
				_, err := ratEntries(s)
				return s, err
			}))
			if err != nil {
				return err
			}
			e, err := askRATOptions(c, store.RATEntry{Action: store.RATAccept}, false)
			if err != nil {
				return err
			}
			return addRAT(l, list, e)
		},
		Complete: ratComplete("new")},
	{Name: "edit", Desc: "Modify an entry.", Access: shell.AccessOperator,
		Usage: []string{"ENTRY|ALL ACCEPT|REJECT [--code N --text T] [--bypass_receiving_control]"},
		Batch: func(c *shell.Ctx, l *store.Listener, args []string) error { return ratSetBatch(c, l, "edit", args) },
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			i, err := pickRAT(c, l, "Enter the number or address of the entry you wish to edit.", true)
			if err != nil || i < 0 {
				return err
			}
			e, err := askRATOptions(c, l.RAT[i], l.RAT[i].Entry == "ALL")
			if err != nil {
				return err
			}
			l.RAT[i] = e
			if e.Entry == "ALL" && e.Action == store.RATAccept {
				c.Printf("%s\n", openRelayWarning)
			}
			return nil
		},
		Complete: ratComplete("edit")},
	{Name: "delete", Desc: "Remove an entry.", Access: shell.AccessOperator,
		Usage: []string{"ENTRY"},
		Batch: ratDeleteBatch,
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			i, err := pickRAT(c, l, "Enter the number or address of the entry you wish to delete.", false)
			if err != nil || i < 0 {
				return err
			}
			c.Printf("Entry %s deleted.\n", l.RAT[i].Entry)
			l.RAT = append(l.RAT[:i], l.RAT[i+1:]...)
			return nil
		},
		Complete: ratComplete("delete")},
	{Name: "print", Desc: "Display all entries.",
		Batch: func(c *shell.Ctx, l *store.Listener, args []string) error {
			if len(args) > 0 {
				return shell.ErrUsage
			}
			printRAT(c, l)
			return nil
		},
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			c.Printf("\n")
			printRAT(c, l)
			return nil
		}},
	fileOp("rcptaccess", "import", "Import all entries from a file.", importRAT),
	fileOp("rcptaccess", "export", "Export all entries to a file.", exportRAT),
	{Name: "clear", Desc: "Remove all entries.", Access: shell.AccessOperator, Aliases: []string{"reset"},
		Batch: func(c *shell.Ctx, l *store.Listener, args []string) error {
			if len(args) > 0 {
				return shell.ErrUsage
			}
			clearRAT(l)
			return nil
		},
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			ok, err := shell.AskYN(c, "Remove every entry? The default access (ALL) stays.", false)
			if err != nil || !ok {
				return err
			}
			clearRAT(l)
			return nil
		}},
}}

// pickRAT asks for an entry by number or address; withAll offers ALL.
func pickRAT(c *shell.Ctx, l *store.Listener, question string, withAll bool) (int, error) {
	n := ratEntryCount(l)
	if withAll && ratAll(l) != nil {
		n++
	}
	if n == 0 {
		return -1, shell.Errorf("There are no entries.")
	}
	var items []string
	for _, e := range l.RAT[:n] {
		items = append(items, e.Entry+" "+e.Action)
	}
	return shell.Pick(c, question, items)
}

// askRATOptions asks the action, custom response and bypass questions
// with e's values as defaults.
func askRATOptions(c *shell.Ctx, e store.RATEntry, isAll bool) (store.RATEntry, error) {
	def := 1
	if e.Action == store.RATReject {
		def = 2
	}
	q := "Select the action to apply to this address:"
	if isAll {
		q = "Select the default action for recipients that no entry matches:"
	}
	i, err := shell.Choose(c, q, []string{"Accept", "Reject"}, def)
	if err != nil {
		return e, err
	}
	action := []string{store.RATAccept, store.RATReject}[i]
	if action != e.Action {
		e.Code, e.Text = 0, ""
	}
	e.Action = action
	custom, err := shell.AskYN(c, "Would you like to specify a custom SMTP response?", e.Code != 0 || e.Text != "")
	if err != nil {
		return e, err
	}
	if custom {
		std := 250
		if action == store.RATReject {
			std = 550
		}
		code := e.Code
		if code == 0 {
			code = std
		}
		s, err := shell.Ask(c, "Enter the SMTP code to use in the response. "+strconv.Itoa(std)+" is the standard code.", strconv.Itoa(code), checker(func(s string) (string, error) {
			n, err := strconv.Atoi(s)
			if err != nil {
				return "", shell.Errorf("You must enter a number.")
			}
			return s, store.CheckRATResponse(action, n, "")
		}))
		if err != nil {
			return e, err
		}
		e.Code, _ = strconv.Atoi(s)
		if e.Text, err = shell.Ask(c, "Enter your custom SMTP response.", e.Text, checker(func(s string) (string, error) {
			return s, store.CheckRATResponse(action, 0, s)
		})); err != nil {
			return e, err
		}
	} else {
		e.Code, e.Text = 0, ""
	}
	if action == store.RATAccept && !isAll {
		if e.BypassReceivingControl, err = shell.AskYN(c, "Would you like to bypass receiving control for this entry?", e.BypassReceivingControl); err != nil {
			return e, err
		}
	} else {
		e.BypassReceivingControl = false
	}
	return e, nil
}

// Batch RCPTACCESS.

// ratSetBatch is "rcptaccess new ENTRY[,ENTRY...] ACTION" and
// "rcptaccess edit ENTRY ACTION", with --code, --text and
// --bypass_receiving_control.
func ratSetBatch(c *shell.Ctx, l *store.Listener, sub string, args []string) error {
	o, err := shell.UserOpts(args, "bypass_receiving_control")
	if err != nil {
		return err
	}
	if err := o.Allow("code", "text", "bypass_receiving_control"); err != nil {
		return err
	}
	if len(o.Pos) != 2 {
		return shell.ErrUsage
	}
	action, err := store.CanonRATAction(o.Pos[1])
	if err != nil {
		return shell.AsUser(err)
	}
	e := store.RATEntry{Action: action, Text: o.Named["text"]}
	if v, ok := o.Named["code"]; ok {
		if e.Code, err = atoi("--code", v); err != nil {
			return err
		}
	}
	if v, ok := o.Named["bypass_receiving_control"]; ok {
		b, err := (&store.ParamSpec{Kind: store.KindOnOff}).Canon(v)
		if err != nil {
			return shell.Errorf("--bypass_receiving_control must be yes or no, not %q.", v)
		}
		e.BypassReceivingControl = b == "on"
	}
	if err := store.CheckRATResponse(action, e.Code, e.Text); err != nil {
		return shell.AsUser(err)
	}
	if sub == "new" {
		if e.BypassReceivingControl && action != store.RATAccept {
			return shell.Errorf("--bypass_receiving_control applies to ACCEPT entries only.")
		}
		return addRAT(l, o.Pos[0], e)
	}
	i, err := findRAT(l, o.Pos[0])
	if err != nil {
		return err
	}
	if e.BypassReceivingControl && (action != store.RATAccept || l.RAT[i].Entry == "ALL") {
		return shell.Errorf("--bypass_receiving_control applies to ACCEPT entries other than ALL only.")
	}
	e.Entry = l.RAT[i].Entry
	l.RAT[i] = e
	if e.Entry == "ALL" && action == store.RATAccept {
		c.Printf("%s\n", openRelayWarning)
	}
	return nil
}

func ratDeleteBatch(c *shell.Ctx, l *store.Listener, args []string) error {
	words, err := shell.UserWords(args)
	if err != nil {
		return err
	}
	if len(words) != 1 {
		return shell.ErrUsage
	}
	i, err := findRAT(l, words[0])
	if err != nil {
		return err
	}
	if l.RAT[i].Entry == "ALL" {
		return shell.Errorf("ALL holds the default access and cannot be deleted: use 'rcptaccess edit ALL ACCEPT|REJECT'.")
	}
	l.RAT = append(l.RAT[:i], l.RAT[i+1:]...)
	return nil
}

// ratComplete completes the words after new, edit and delete: entries
// (not for new; delete leaves ALL out), the action, the options.
func ratComplete(sub string) func(*shell.Ctx, *store.Listener, []string) []string {
	return func(c *shell.Ctx, l *store.Listener, args []string) []string {
		n := len(args)
		if n == 1 {
			var entries []string
			for _, e := range l.RAT {
				entries = append(entries, e.Entry)
			}
			switch {
			case sub == "edit":
				return entries
			case sub == "delete" && len(entries) > 0:
				return entries[:len(entries)-1]
			}
			return nil
		}
		switch {
		case sub == "delete":
			return nil
		case n == 2:
			return []string{store.RATAccept, store.RATReject}
		}
		return []string{"--code=", "--text=", "--bypass_receiving_control"}
	}
}
