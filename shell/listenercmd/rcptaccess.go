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
	if l.Type != store.ListenerPublic {
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

func rcptAccessMenu(c *shell.Ctx, name string) error {
	cur := func() *store.Listener { return c.Config().Listener(name) }
	show := func() {
		l := cur()
		def := store.RATReject
		if a := ratAll(l); a != nil {
			def = a.Action
		}
		c.Printf("\nOverview:\nThere are currently %s.\nDefault access: %s\n", shell.Plural(ratEntryCount(l), "recipient", "recipients"), def)
	}
	ops := func() []shell.Op {
		return []shell.Op{
			{Name: "NEW", Desc: "Create a new entry."},
			{Name: "EDIT", Desc: "Modify an entry."},
			{Name: "DELETE", Desc: "Remove an entry."},
			{Name: "PRINT", Desc: "Display all entries."},
			{Name: "IMPORT", Desc: "Import all entries from a file."},
			{Name: "EXPORT", Desc: "Export all entries to a file."},
			{Name: "CLEAR", Desc: "Remove all entries.", Aliases: []string{"RESET"}},
		}
	}
	return shell.MenuLoop(c, show, ops, func(op string) error {
		l := cur()
		switch op {
		case "NEW":
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
		case "EDIT":
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
		case "DELETE":
			i, err := pickRAT(c, l, "Enter the number or address of the entry you wish to delete.", false)
			if err != nil || i < 0 {
				return err
			}
			c.Printf("Entry %s deleted.\n", l.RAT[i].Entry)
			l.RAT = append(l.RAT[:i], l.RAT[i+1:]...)
		case "PRINT":
			c.Printf("\n")
			printRAT(c, l)
		case "IMPORT":
			f, err := shell.AskRequired(c, "Enter the name of the file to import (a file name in the configuration directory).", "", nil)
			if err != nil {
				return err
			}
			return importRAT(c, l, f)
		case "EXPORT":
			f, err := shell.AskRequired(c, "Enter a name for the exported file (a file name in the configuration directory).", "", nil)
			if err != nil {
				return err
			}
			return exportRAT(c, l, f)
		case "CLEAR":
			ok, err := shell.AskYN(c, "Remove every entry? The default access (ALL) stays.", false)
			if err != nil || !ok {
				return err
			}
			clearRAT(l)
		}
		return nil
	})
}

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

func batchRcptAccess(c *shell.Ctx, l *store.Listener, args []string) error {
	if err := checkPublic(l); err != nil {
		return err
	}
	if len(args) == 0 {
		return usage("edit NAME rcptaccess")
	}
	sub := strings.ToLower(args[0])
	o, err := shell.ParseOpts(args[1:], "bypass_receiving_control")
	if err != nil {
		return shell.AsUser(err)
	}
	switch sub {
	case "new", "edit":
		if err := o.Only("code", "text", "bypass_receiving_control"); err != nil {
			return shell.AsUser(err)
		}
		if len(o.Pos) != 2 {
			return usage("edit NAME rcptaccess " + sub)
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
	case "delete":
		if err := o.Only(); err != nil {
			return shell.AsUser(err)
		}
		if len(o.Pos) != 1 {
			return usage("edit NAME rcptaccess delete")
		}
		i, err := findRAT(l, o.Pos[0])
		if err != nil {
			return err
		}
		if l.RAT[i].Entry == "ALL" {
			return shell.Errorf("ALL holds the default access and cannot be deleted: use 'rcptaccess edit ALL ACCEPT|REJECT'.")
		}
		l.RAT = append(l.RAT[:i], l.RAT[i+1:]...)
		return nil
	case "print":
		if len(o.Pos) > 0 || len(o.Order) > 0 {
			return usage("edit NAME rcptaccess print")
		}
		printRAT(c, l)
		return nil
	case "import", "export":
		if err := o.Only(); err != nil {
			return shell.AsUser(err)
		}
		if len(o.Pos) != 1 {
			return shell.Errorf(`The rcptaccess %q command requires a filename.`, sub)
		}
		if sub == "import" {
			return importRAT(c, l, o.Pos[0])
		}
		return exportRAT(c, l, o.Pos[0])
	case "clear", "reset":
		if len(o.Pos) > 0 || len(o.Order) > 0 {
			return usage("edit NAME rcptaccess clear")
		}
		clearRAT(l)
		return nil
	}
	return shell.Errorf("Unknown rcptaccess operation %q: use new, edit, delete, print, import, export or clear.", args[0])
}
