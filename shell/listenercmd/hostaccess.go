package listenercmd

import (
	"fmt"
	"strings"

	"seg/shell"
	"seg/store"
)

// HOSTACCESS, interactively (reference 2.3): the table's menu, the
// sender group EDIT menu, and NEW/EDIT/DELETE of policies.

func showHAT(c *shell.Ctx, h *store.HAT) {
	c.Printf("\nThere are currently %s defined.\nThere are currently %s.\n",
		shell.Plural(len(h.Policies), "policy", "policies"), shell.Plural(len(groups(h)), "sender group", "sender groups"))
}

// hatOps is HOSTACCESS: the menu (this file) and the batch forms
// (hostaccess_batch.go). Reading and exporting the table is open to the
// command's role; changing it takes an operator.
var hatOps = &shell.Table[*store.Listener]{Prefix: "listenerconfig edit NAME hostaccess", Denied: "change listeners", Ops: []shell.Operation[*store.Listener]{
	{Name: "new", Desc: "Create a new entry.", Access: shell.AccessOperator,
		Usage: []string{
			"sendergroup GROUP MEMBER[,MEMBER...] POLICY [--comment T] [--position N]",
			"policy POLICY BEHAVIOR [--PARAM=VALUE ...]",
		},
		Batch: hatNewBatch,
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			i, err := shell.Choose(c, "Select the kind of entry to create.", []string{"New Sender Group", "New Policy"}, 1)
			if err != nil {
				return err
			}
			if i == 0 {
				return newGroupInteractive(c, &l.HAT)
			}
			return newPolicyInteractive(c, &l.HAT)
		},
		Complete: hatComplete("new")},
	{Name: "edit", Desc: "Modify an entry.", Access: shell.AccessOperator,
		Usage: []string{
			"sendergroup GROUP [--add MEMBERS] [--remove MEMBERS] [--policy P] [--comment T] [--name NEWNAME]",
			"policy POLICY [BEHAVIOR] [--PARAM=VALUE ...] [--name NEWNAME]   " + shell.InheritNote("the listener's default policy parameters"),
		},
		Batch:    hatEditBatch,
		Menu:     func(c *shell.Ctx, l *store.Listener) error { return hatEntry(c, &l.HAT, "EDIT") },
		Complete: hatComplete("edit"),
		Sub:      groupOps,
		// "hostaccess edit sendergroup GROUP" on a terminal: the group's
		// menu.
		Open: func(c *shell.Ctx, l *store.Listener, args []string) (bool, error) {
			if len(args) != 2 || !strings.EqualFold(args[0], "sendergroup") {
				return false, nil
			}
			return true, editGroupMenu(c, &l.HAT, args[1])
		}},
	{Name: "delete", Desc: "Remove an entry.", Access: shell.AccessOperator,
		Usage:    []string{"sendergroup GROUP", "policy POLICY"},
		Batch:    hatDeleteBatch,
		Menu:     func(c *shell.Ctx, l *store.Listener) error { return hatEntry(c, &l.HAT, "DELETE") },
		Complete: hatComplete("delete")},
	{Name: "move", Desc: "Move an entry.", Access: shell.AccessOperator,
		Usage: []string{"GROUP POSITION"},
		Batch: hatMoveBatch,
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			h := &l.HAT
			gs := groups(h)
			if len(gs) < 2 {
				return shell.Errorf("There are not enough sender groups to move.")
			}
			gi, err := shell.Pick(c, "Enter the name or number of the sender group you wish to move.", groupItems(gs))
			if err != nil || gi < 0 {
				return err
			}
			pos, err := shell.AskInt(c, "Enter the position to move it to.", gi+1, 1, len(gs))
			if err != nil {
				return err
			}
			return moveGroup(h, gs[gi].Name, pos)
		},
		Complete: func(c *shell.Ctx, l *store.Listener, args []string) []string {
			if len(args) == 1 {
				return groupItems(groups(&l.HAT))
			}
			return nil
		}},
	{Name: "default", Desc: "Set the defaults.", Access: shell.AccessOperator,
		Usage: []string{"[--PARAM=VALUE ...]"},
		Batch: hatDefaultBatch,
		Menu:  func(c *shell.Ctx, l *store.Listener) error { return editParams(c, &l.HAT, nil) },
		Complete: func(c *shell.Ctx, l *store.Listener, args []string) []string {
			return shell.ParamOptions(store.HATParams, args[len(args)-1])
		}},
	{Name: "print", Desc: "Display the table.",
		Batch: func(c *shell.Ctx, l *store.Listener, args []string) error {
			if len(args) > 0 {
				return shell.ErrUsage
			}
			printHAT(c, &l.HAT)
			return nil
		},
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			c.Printf("\n")
			printHAT(c, &l.HAT)
			return nil
		}},
	fileOp("hostaccess", "import", "Import a table from a file.", importHAT),
	fileOp("hostaccess", "export", "Export the table to a file.", exportHAT),
	{Name: "clear", Desc: "Remove all entries.", Access: shell.AccessOperator, Aliases: []string{"reset"},
		Batch: func(c *shell.Ctx, l *store.Listener, args []string) error {
			if len(args) > 0 {
				return shell.ErrUsage
			}
			clearHAT(l)
			return nil
		},
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			ok, err := shell.AskYN(c, "Remove every sender group and policy and go back to the predefined ones? The default policy parameters stay.", false)
			if err != nil || !ok {
				return err
			}
			clearHAT(l)
			return nil
		}},
}}

// hatEntry is EDIT or DELETE: a sender group or a policy.
func hatEntry(c *shell.Ctx, h *store.HAT, op string) error {
	i, err := shell.Choose(c, "Select the kind of entry.", []string{"HAT sender groups", "HAT policies"}, 1)
	if err != nil {
		return err
	}
	if i == 0 {
		return groupEntry(c, h, op)
	}
	return policyEntry(c, h, op)
}

// fileOp is IMPORT or EXPORT (sub) of a listener's table: ask for the
// file, or take it from the batch words, and run f. Importing changes the
// table and takes an operator; exporting reads it.
func fileOp(table, sub, desc string, f func(c *shell.Ctx, l *store.Listener, file string) error) shell.Operation[*store.Listener] {
	op := shell.Operation[*store.Listener]{Name: sub, Desc: desc,
		Usage: []string{"FILE"},
		Batch: func(c *shell.Ctx, l *store.Listener, args []string) error {
			words, err := shell.UserWords(args)
			if err != nil {
				return err
			}
			if len(words) != 1 {
				return shell.Errorf(`The %s %q command requires a filename.`, table, sub)
			}
			return f(c, l, words[0])
		},
	}
	question := "Enter a name for the exported file (a file name in the configuration directory)."
	if sub == "import" {
		op.Access, op.Complete = shell.AccessOperator, configFileArg
		question = "Enter the name of the file to import (a file name in the configuration directory)."
	}
	op.Menu = func(c *shell.Ctx, l *store.Listener) error {
		file, err := shell.AskRequired(c, question, "", nil)
		if err != nil {
			return err
		}
		return f(c, l, file)
	}
	return op
}

// configFileArg completes a file of the configuration directory as the
// first word.
func configFileArg(c *shell.Ctx, l *store.Listener, args []string) []string {
	if len(args) == 1 {
		return c.ConfigFiles()
	}
	return nil
}

func groupItems(gs []store.SenderGroup) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

func policyItems(h *store.HAT) []string {
	var out []string
	for _, p := range h.Policies {
		out = append(out, p.Name+" ("+p.Behavior+")")
	}
	return out
}

const memberHelp = `Enter the hosts, separated by commas. Accepted forms:
  IP addresses (10.1.1.1, 2001:db8::1), CIDR blocks (10.1.1.0/24, 2001:db8::/32),
  partial addresses (10.1.1.), ranges (10.1.1.10-20, 10.1-5.),
  host names (mail.example.com), partial host names (.example.com),
  reputation ranges (sbrs[-10.0:-3.0], sbrs[none]), DNS lists (dnslist[bl.example.org]).`

func memberCheck(s string) (string, error) {
	_, err := membersOf(s)
	return s, err
}

func askPolicy(c *shell.Ctx, h *store.HAT, question, current string) (string, error) {
	def := 1
	for i, p := range h.Policies {
		if strings.EqualFold(p.Name, current) {
			def = i + 1
		}
	}
	var names []string
	for _, p := range h.Policies {
		names = append(names, p.Name)
	}
	i, err := shell.ChooseNamed(c, question, policyItems(h), names, def)
	if err != nil {
		return "", err
	}
	return h.Policies[i].Name, nil
}

func newGroupInteractive(c *shell.Ctx, h *store.HAT) error {
	if len(h.Policies) == 0 {
		return shell.Errorf("There are no policies: create one first.")
	}
	name, err := shell.AskRequired(c, "Enter a name for this sender group.", "", checker(func(s string) (string, error) {
		return s, checkNewGroupName(h, s)
	}))
	if err != nil {
		return err
	}
	list, err := shell.Ask(c, memberHelp, "", checker(func(s string) (string, error) {
		if strings.TrimSpace(s) == "" {
			return "", nil
		}
		return memberCheck(s)
	}))
	if err != nil {
		return err
	}
	pol, err := askPolicy(c, h, "Select the mail flow policy for this sender group.", "")
	if err != nil {
		return err
	}
	comment, err := shell.Ask(c, "Enter a comment for this sender group.", "", checker(store.CheckComment))
	if err != nil {
		return err
	}
	g := store.SenderGroup{Name: name, Policy: pol, Comment: comment}
	if err := addGroup(h, g, 0); err != nil {
		return err
	}
	if strings.TrimSpace(list) != "" {
		i, _ := findGroup(h, name)
		warnings, err := addMembers(h, i, list)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			c.Printf("%s\n", w)
		}
	}
	c.Printf("\nSender group %s created.\n", name)
	return nil
}

var behaviorLabels = []string{"Accept", "Reject", "TCP Refuse", "Relay", "Continue"}

func askBehavior(c *shell.Ctx, current string) (string, error) {
	def := 1
	for i, b := range store.Behaviors {
		if b == current {
			def = i + 1
		}
	}
	i, err := shell.ChooseNamed(c, "Select the behavior for this policy.", behaviorLabels, store.Behaviors, def)
	if err != nil {
		return "", err
	}
	return store.Behaviors[i], nil
}

func newPolicyInteractive(c *shell.Ctx, h *store.HAT) error {
	name, err := shell.AskRequired(c, "Enter a name for this policy (it starts with $, which you may leave out).", "", checker(func(s string) (string, error) {
		return checkNewPolicyName(h, s)
	}))
	if err != nil {
		return err
	}
	b, err := askBehavior(c, "")
	if err != nil {
		return err
	}
	pol := store.FlowPolicy{Name: name, Behavior: b}
	if hasParams(b) {
		change, err := shell.AskYN(c, "Would you like to change the policy parameters?", false)
		if err != nil {
			return err
		}
		if change {
			if err := editParams(c, h, &pol); err != nil {
				return err
			}
		}
	}
	h.Policies = append(h.Policies, pol)
	c.Printf("\nPolicy %s created.\n", name)
	return nil
}

// groupEntry is EDIT or DELETE of a sender group.
func groupEntry(c *shell.Ctx, h *store.HAT, op string) error {
	items := groupItems(h.SenderGroups)
	if op == "DELETE" {
		items = groupItems(groups(h))
	}
	if len(items) == 0 {
		return shell.Errorf("There are no sender groups.")
	}
	i, err := shell.Pick(c, fmt.Sprintf("Enter the name or number of the sender group you wish to %s.", strings.ToLower(op)), items)
	if err != nil || i < 0 {
		return err
	}
	name := h.SenderGroups[i].Name
	if op == "DELETE" {
		if err := deleteGroup(h, name); err != nil {
			return err
		}
		c.Printf("Sender group %s deleted.\n", name)
		return nil
	}
	return editGroupMenu(c, h, name)
}

func printGroup(c *shell.Ctx, g *store.SenderGroup) {
	c.Printf("\nSender Group %s", g.Name)
	if g.Comment != "" {
		c.Printf(": (%s)", g.Comment)
	}
	c.Printf("\nPolicy: %s\n", g.Policy)
	if g.Name == "ALL" {
		c.Printf("Hosts: ALL\n")
		return
	}
	if len(g.Members) == 0 {
		c.Printf("Hosts: none\n")
		return
	}
	c.Printf("Hosts:\n")
	for i, m := range g.Members {
		c.Printf("%d. %s\n", i+1, m)
	}
}

// groupRef is what a sender group's EDIT menu works on: group i of a
// HAT (the menu neither adds nor removes groups).
type groupRef struct {
	h *store.HAT
	i int
}

func (r groupRef) group() *store.SenderGroup { return &r.h.SenderGroups[r.i] }

// notAll: the ALL row has no hosts and no name of its own.
func notAll(c *shell.Ctx, r groupRef) bool { return r.group().Name != "ALL" }

func editGroupMenu(c *shell.Ctx, h *store.HAT, name string) error {
	i, err := findGroup(h, name)
	if err != nil {
		return err
	}
	r := groupRef{h, i}
	return groupOps.Menu(c, r, func() {
		c.Printf("\nSender group %s: %s\n", r.group().Name, shell.Plural(len(r.group().Members), "host", "hosts"))
	})
}

// groupOps is a sender group's EDIT menu (the batch form is hostaccess
// edit sendergroup GROUP --OPTION...).
var groupOps = &shell.Table[groupRef]{Prefix: "listenerconfig edit NAME hostaccess edit sendergroup GROUP", Ops: []shell.Operation[groupRef]{
	{Name: "new", Desc: "Add a new host.", Shown: notAll,
		Menu: func(c *shell.Ctx, r groupRef) error {
			h, i, g := r.h, r.i, r.group()
			list, err := shell.AskRequired(c, memberHelp, "", checker(memberCheck))
			if err != nil {
				return err
			}
			// Warn about hosts that another group lists, and let the
			// user decide ("Add anyway?" as AsyncOS asks).
			trial := *h
			trial.SenderGroups = append([]store.SenderGroup(nil), h.SenderGroups...)
			trial.SenderGroups[i].Members = append([]string(nil), g.Members...)
			warnings, err := addMembers(&trial, i, list)
			if err != nil {
				return err
			}
			if len(warnings) > 0 {
				c.Printf("%s\n", strings.Join(warnings, "\n"))
				ok, err := shell.AskYN(c, "Add anyway?", false)
				if err != nil || !ok {
					return err
				}
			}
			_, err = addMembers(h, i, list)
			return err
		}},
	{Name: "delete", Desc: "Remove a host.", Shown: notAll,
		Menu: func(c *shell.Ctx, r groupRef) error {
			g := r.group()
			if len(g.Members) == 0 {
				return shell.Errorf("Sender group %s has no hosts.", g.Name)
			}
			mi, err := shell.Pick(c, "Enter the number of the host you wish to remove.", g.Members)
			if err != nil || mi < 0 {
				return err
			}
			g.Members = append(g.Members[:mi], g.Members[mi+1:]...)
			return nil
		}},
	{Name: "move", Desc: "Reorder the hosts.", Shown: notAll,
		Menu: func(c *shell.Ctx, r groupRef) error {
			g := r.group()
			if len(g.Members) < 2 {
				return shell.Errorf("Sender group %s has fewer than two hosts.", g.Name)
			}
			mi, err := shell.Pick(c, "Enter the number of the host you wish to move.", g.Members)
			if err != nil || mi < 0 {
				return err
			}
			pos, err := shell.AskInt(c, "Enter the position to move it to.", mi+1, 1, len(g.Members))
			if err != nil {
				return err
			}
			m := g.Members[mi]
			g.Members = append(g.Members[:mi], g.Members[mi+1:]...)
			g.Members = append(g.Members[:pos-1], append([]string{m}, g.Members[pos-1:]...)...)
			return nil
		}},
	{Name: "policy", Desc: "Change the policy and comment.",
		Menu: func(c *shell.Ctx, r groupRef) error {
			g := r.group()
			pol, err := askPolicy(c, r.h, "Select the mail flow policy for this sender group.", g.Policy)
			if err != nil {
				return err
			}
			comment, err := shell.Ask(c, "Enter a comment for this sender group (\"none\" for no comment).", g.Comment, checker(func(s string) (string, error) {
				if strings.EqualFold(s, "none") {
					return "", nil
				}
				return store.CheckComment(s)
			}))
			if err != nil {
				return err
			}
			g.Policy, g.Comment = pol, comment
			return nil
		}},
	{Name: "print", Desc: "Display the current definition.",
		Menu: func(c *shell.Ctx, r groupRef) error {
			printGroup(c, r.group())
			return nil
		}},
	{Name: "rename", Desc: "Rename this sender group.", Shown: notAll,
		Menu: func(c *shell.Ctx, r groupRef) error {
			g := r.group()
			n, err := shell.AskRequired(c, "Enter the new name for this sender group.", g.Name, checker(func(s string) (string, error) {
				if strings.EqualFold(s, g.Name) {
					return s, shell.AsUser(store.CheckSenderGroupName(s))
				}
				return s, checkNewGroupName(r.h, s)
			}))
			if err != nil {
				return err
			}
			return renameGroup(r.h, r.i, n)
		}},
}}

// policyEntry is EDIT or DELETE of a policy.
func policyEntry(c *shell.Ctx, h *store.HAT, op string) error {
	if len(h.Policies) == 0 {
		return shell.Errorf("There are no policies.")
	}
	i, err := shell.Pick(c, fmt.Sprintf("Enter the name or number of the policy you wish to %s.", strings.ToLower(op)), policyItems(h))
	if err != nil || i < 0 {
		return err
	}
	if op == "DELETE" {
		name := h.Policies[i].Name
		if err := deletePolicy(h, name); err != nil {
			return err
		}
		c.Printf("Policy %s deleted.\n", name)
		return nil
	}
	p := &h.Policies[i]
	n, err := shell.AskRequired(c, "Enter the name of this policy.", p.Name, checker(func(s string) (string, error) {
		n, err := canonPolicyName(s)
		if err != nil {
			return "", err
		}
		if !strings.EqualFold(n, p.Name) {
			return checkNewPolicyName(h, n)
		}
		return n, nil
	}))
	if err != nil {
		return err
	}
	if err := renamePolicy(h, i, n); err != nil {
		return err
	}
	if p.Behavior, err = askBehavior(c, p.Behavior); err != nil {
		return err
	}
	if !hasParams(p.Behavior) {
		return nil
	}
	change, err := shell.AskYN(c, "Would you like to change the policy parameters?", false)
	if err != nil || !change {
		return err
	}
	return editParams(c, h, p)
}
