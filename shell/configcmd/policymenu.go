package configcmd

import (
	"strconv"

	"seg/internal/address"
	"seg/shell"
	"seg/store"
)

// policyconfig's interactive form: table choice, the policy table menu,
// and the per-policy EDIT menu with its THREATDEFENSE submenu.

func policyInteractive(c *shell.Ctx) error {
	i, err := shell.Choose(c, "Would you like to configure Incoming or Outgoing Mail Policies?", []string{"Incoming", "Outgoing"}, 1)
	if err != nil {
		return err
	}
	d := policyDir{c.Config(), dirIncoming}
	if i == 1 {
		d.dir = dirOutgoing
	}
	return policyTableMenu(c, d)
}

// policyTableMenu is the menu of the policies of one direction.
func policyTableMenu(c *shell.Ctx, d policyDir) error {
	return policyOpsTable(d.dir).Menu(c, d, func() { c.Printf("\n%s", policyList(d.cfg, d.dir)) })
}

func (d policyDir) allNames() []string {
	return names(*d.table(), func(p *store.MailPolicy) string { return p.Name })
}

// otherNames are the policies other than DEFAULT.
func (d policyDir) otherNames() []string {
	others, _ := splitDefault(*d.table())
	return names(others, func(p *store.MailPolicy) string { return p.Name })
}

func policyEditMenu(c *shell.Ctx, d policyDir) error {
	i, err := shell.Pick(c, "Enter the name or number of the policy you wish to edit.", d.allNames())
	if err != nil || i < 0 {
		return err
	}
	return policyEditOf(c, policyRef{d, i})
}

// policyEditOpen is "policyconfig DIR edit NAME" on a terminal: the
// policy's EDIT menu.
func policyEditOpen(c *shell.Ctx, d policyDir, args []string) (bool, error) {
	if len(args) != 1 {
		return false, nil
	}
	i := findPolicy(*d.table(), args[0])
	if i < 0 {
		return true, policyNotFound(d.dir, args[0])
	}
	return true, policyEditOf(c, policyRef{d, i})
}

// policyEditOf is the EDIT menu of the policy r.
func policyEditOf(c *shell.Ctx, r policyRef) error {
	d := r.policyDir
	return policyEditOpsTable.Menu(c, r, func() {
		p := r.policy()
		c.Printf("\nPolicy: %s\n", p.Name)
		if d.dir == dirIncoming {
			c.Printf("Threat Defense Connector: %s\n", tdcState(d.cfg, p))
		}
	})
}

func policyDeleteMenu(c *shell.Ctx, d policyDir) error {
	others := d.otherNames()
	if len(others) == 0 {
		return shell.Errorf("There are no policies to delete; the DEFAULT policy may not be deleted.")
	}
	i, err := shell.Pick(c, "Enter the name or number of the policy you wish to delete.", others)
	if err != nil || i < 0 {
		return err
	}
	return deletePolicy(d.table(), d.dir, others[i])
}

func policyPrintMenu(c *shell.Ctx, d policyDir) error {
	table := d.table()
	for i := range *table {
		c.Printf("\n%s", policyText(d.cfg, d.dir, &(*table)[i]))
	}
	return nil
}

func policyMoveMenu(c *shell.Ctx, d policyDir) error {
	others := d.otherNames()
	if len(others) < 2 {
		return shell.Errorf("There is nothing to move: DEFAULT is always last.")
	}
	i, err := shell.Pick(c, "Enter the name or number of the policy you wish to move.", others)
	if err != nil || i < 0 {
		return err
	}
	pos, err := askPosition(c, len(others), i+1)
	if err != nil {
		return err
	}
	return movePolicy(d.table(), d.dir, others[i], strconv.Itoa(pos))
}

// askPosition asks for a 1-based position among n ordered policies.
func askPosition(c *shell.Ctx, n, def int) (int, error) {
	v, err := shell.Ask(c, "Enter the position of this policy in the table (1 is first; DEFAULT is always last).", strconv.Itoa(def), func(s string) (string, error) {
		if p, err := strconv.Atoi(s); err == nil && p >= 1 && p <= n {
			return s, nil
		}
		return "", shell.Errorf("Enter a number from 1 to %d.", n)
	})
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}

const memberHelp = `Username entries such as joe@, domain entries such as @example.com, sub-domain entries such as @.example.com, and full email addresses such as joe@example.com are allowed.`

func policyNew(c *shell.Ctx, d policyDir) error {
	table := d.table()
	name, err := shell.AskRequired(c, "Enter the name for this policy:", "", func(s string) (string, error) {
		return s, checkPolicyName(*table, s, -1)
	})
	if err != nil {
		return err
	}
	p := store.MailPolicy{Name: name}
	if d.dir == dirIncoming {
		p.TDC = store.TDCOff
	}
	c.Printf("\nBegin entering policy members. %s\n", memberHelp)
	for {
		if err := askMembers(c, &p); err != nil {
			return err
		}
		more, err := shell.AskYN(c, "Do you wish to add another member?", false)
		if err != nil {
			return err
		}
		if more {
			continue
		}
		if len(p.Recipients) > 0 {
			break
		}
		c.Printf("A policy needs at least one recipient member.\n")
	}
	others, _ := splitDefault(*table)
	pos := len(others) + 1
	if len(others) > 0 {
		if pos, err = askPosition(c, len(others)+1, pos); err != nil {
			return err
		}
	}
	*table = placePolicy(*table, p, pos)
	return nil
}

// askMembers adds sender or recipient members to p.
func askMembers(c *shell.Ctx, p *store.MailPolicy) error {
	kind, err := shell.Choose(c, "Is this entry a recipient or a sender?", []string{"Recipient", "Sender"}, 1)
	if err != nil {
		return err
	}
	var ms []string
	_, err = shell.AskRequired(c, "Enter an email address, domain or username for this policy member (several separated by commas).", "", func(s string) (string, error) {
		v, err := canonMembers(s)
		ms = v
		return s, err
	})
	if err != nil {
		return err
	}
	if kind == 0 {
		p.Recipients = appendNew(p.Recipients, ms)
	} else {
		p.Senders = appendNew(p.Senders, ms)
	}
	return nil
}

// appendNew appends the items of add not already in list.
func appendNew(list, add []string) []string {
	for _, a := range add {
		dup := false
		for _, l := range list {
			if l == a {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, a)
		}
	}
	return list
}

// policyRef is what the per-policy EDIT menu works on: policy i of a
// table.
type policyRef struct {
	policyDir
	i int
}

func (r policyRef) policy() *store.MailPolicy { return &(*r.table())[r.i] }

// update runs f on a copy of the policy and stores the copy when f
// succeeds.
func (r policyRef) update(f func(p *store.MailPolicy) error) error {
	p := *r.policy()
	p.Senders = append([]string(nil), p.Senders...)
	p.Recipients = append([]string(nil), p.Recipients...)
	if err := f(&p); err != nil {
		return err
	}
	*r.policy() = p
	return nil
}

func (r policyRef) notDefault(*shell.Ctx, policyRef) bool { return !isDefaultPolicy(r.policy()) }

// policyEditOpsTable is the per-policy EDIT menu (interactive only: the
// batch form is policyconfig DIR edit NAME --OPTION...). DEFAULT has
// neither a name to change nor members.
var policyEditOpsTable = &shell.Table[policyRef]{Prefix: "policyconfig", Ops: []shell.Operation[policyRef]{
	{Name: "name", Desc: "Change the name of this policy.",
		Shown: func(c *shell.Ctx, r policyRef) bool { return r.notDefault(c, r) },
		Menu: func(c *shell.Ctx, r policyRef) error {
			return r.update(func(p *store.MailPolicy) error {
				n, err := shell.AskRequired(c, "Enter the new name for this policy:", p.Name, func(s string) (string, error) {
					return s, checkPolicyName(*r.table(), s, r.i)
				})
				p.Name = n
				return err
			})
		}},
	{Name: "new", Desc: "Add a new member to this policy.",
		Shown: func(c *shell.Ctx, r policyRef) bool { return r.notDefault(c, r) },
		Menu: func(c *shell.Ctx, r policyRef) error {
			return r.update(func(p *store.MailPolicy) error { return askMembers(c, p) })
		}},
	{Name: "delete", Desc: "Remove a member from this policy.",
		Shown: func(c *shell.Ctx, r policyRef) bool { return r.notDefault(c, r) },
		Menu: func(c *shell.Ctx, r policyRef) error {
			return r.update(func(p *store.MailPolicy) error { return deleteMember(c, p) })
		}},
	{Name: "print", Desc: "Display the policy definition.",
		Menu: func(c *shell.Ctx, r policyRef) error {
			c.Printf("\n%s", policyText(r.cfg, r.dir, r.policy()))
			return nil
		}},
	{Name: "threatdefense", Desc: "Modify the Threat Defense Connector policy.",
		Shown: func(c *shell.Ctx, r policyRef) bool { return r.dir == dirIncoming },
		Menu: func(c *shell.Ctx, r policyRef) error {
			return r.update(func(p *store.MailPolicy) error { return policyTDC(c, r.cfg, p) })
		},
		Sub: policyTDCOps},
}}

// deleteMember removes one member; the last recipient stays.
func deleteMember(c *shell.Ctx, p *store.MailPolicy) error {
	var items []string
	for _, r := range p.Recipients {
		items = append(items, "Recipient: "+r)
	}
	for _, s := range p.Senders {
		items = append(items, "Sender: "+s)
	}
	i, err := shell.Pick(c, "Enter the number of the member you wish to delete.", items)
	if err != nil || i < 0 {
		return err
	}
	if i < len(p.Recipients) {
		if len(p.Recipients) == 1 {
			return shell.Errorf("A policy needs at least one recipient: add another one first, or delete the policy.")
		}
		p.Recipients = append(p.Recipients[:i], p.Recipients[i+1:]...)
		return nil
	}
	i -= len(p.Recipients)
	p.Senders = without(p.Senders, i)
	return nil
}

// policyTDC is the THREATDEFENSE submenu of an incoming policy: one
// operation, then back to the policy's menu.
func policyTDC(c *shell.Ctx, cfg *store.Config, p *store.MailPolicy) error {
	c.Printf("\nThreat Defense Connector: %s\n", tdcState(cfg, p))
	if err := policyTDCOps.Once(c, tdcTarget{cfg, p}); err != nil {
		return err
	}
	if !cfg.TDC.Enabled && tdcOn(cfg, p) {
		c.Printf("Note: the Threat Defense Connector itself is disabled; enable it with tdcconfig.\n")
	}
	return nil
}

// tdcTarget is what the THREATDEFENSE operations work on.
type tdcTarget struct {
	cfg *store.Config
	p   *store.MailPolicy
}

var policyTDCOps = &shell.Table[tdcTarget]{Prefix: "policyconfig", Ops: []shell.Operation[tdcTarget]{
	{Name: "enable", Desc: "Enable the Threat Defense Connector for this policy.",
		Menu: func(c *shell.Ctx, t tdcTarget) error {
			p := t.p
			def := 1
			if p.TDC == store.TDCCustom {
				def = 2
			}
			i, err := shell.Choose(c, "Choose the message intake address to use:", []string{
				"Use the default message intake address",
				"Use a custom message intake address",
			}, def)
			if err != nil {
				return err
			}
			if i == 0 {
				p.TDC, p.TDCAddress = store.TDCDefault, ""
				if t.cfg.TDC.IntakeAddress == "" {
					c.Printf("Note: no default message intake address is configured yet; set one with tdcconfig.\n")
				}
				return nil
			}
			a, err := shell.AskRequired(c, "Enter the message intake address.", p.TDCAddress, checkAddress)
			if err != nil {
				return err
			}
			p.TDC, p.TDCAddress = store.TDCCustom, a
			return nil
		}},
	{Name: "disable", Desc: "Disable the Threat Defense Connector for this policy.",
		Menu: func(c *shell.Ctx, t tdcTarget) error {
			t.p.TDC, t.p.TDCAddress = store.TDCOff, ""
			return nil
		}},
	{Name: "default", Desc: "Use the DEFAULT policy settings.",
		Shown: func(c *shell.Ctx, t tdcTarget) bool { return !isDefaultPolicy(t.p) },
		Menu: func(c *shell.Ctx, t tdcTarget) error {
			t.p.TDC, t.p.TDCAddress = store.TDCInherit, ""
			return nil
		}},
}}

// checkAddress is an Ask checker for an envelope address: an RFC 5321
// mailbox in the canonical form seg sends (store.ValidAddress); the error
// says what is wrong, or how to write it.
func checkAddress(s string) (string, error) {
	c, err := address.Canonical(s)
	switch {
	case err != nil:
		return "", shell.Errorf("%q is not a valid email address (%v).", s, err)
	case c != s:
		return "", shell.Errorf("%q is not a valid email address as written: write it as %q.", s, c)
	}
	return s, nil
}
