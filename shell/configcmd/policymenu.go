package configcmd

import (
	"strconv"

	"seg/internal/address"
	"seg/shell"
	"seg/store"
)

// policyconfig's interactive form: table choice, the policy table menu,
// and the per-policy EDIT menu with its THREATDEFENSE submenu.

var policyTopOps = []shell.Op{
	{Name: "NEW", Desc: "Create a new policy."},
	{Name: "EDIT", Desc: "Edit an existing policy."},
	{Name: "DELETE", Desc: "Remove a policy."},
	{Name: "PRINT", Desc: "Print all policies."},
	{Name: "MOVE", Desc: "Move the position of a policy."},
}

func policyInteractive(c *shell.Ctx) error {
	i, err := shell.Choose(c, "Would you like to configure Incoming or Outgoing Mail Policies?", []string{"Incoming", "Outgoing"}, 1)
	if err != nil {
		return err
	}
	dir := dirIncoming
	if i == 1 {
		dir = dirOutgoing
	}
	cfg := c.Config()
	table := policyTable(cfg, dir)
	allNames := func() []string { return names(*table, func(p *store.MailPolicy) string { return p.Name }) }
	otherNames := func() []string {
		others, _ := splitDefault(*table)
		return names(others, func(p *store.MailPolicy) string { return p.Name })
	}
	return shell.MenuLoop(c,
		func() { c.Printf("\n%s", policyList(cfg, dir)) },
		func() []shell.Op { return policyTopOps },
		func(op string) error {
			switch op {
			case "NEW":
				return policyNew(c, table, dir)
			case "EDIT":
				i, err := shell.Pick(c, "Enter the name or number of the policy you wish to edit.", allNames())
				if err != nil || i < 0 {
					return err
				}
				return policyEdit(c, cfg, table, dir, i)
			case "DELETE":
				others := otherNames()
				if len(others) == 0 {
					return shell.Errorf("There are no policies to delete; the DEFAULT policy may not be deleted.")
				}
				i, err := shell.Pick(c, "Enter the name or number of the policy you wish to delete.", others)
				if err != nil || i < 0 {
					return err
				}
				return deletePolicy(table, dir, others[i])
			case "PRINT":
				for i := range *table {
					c.Printf("\n%s", policyText(cfg, dir, &(*table)[i]))
				}
			case "MOVE":
				others := otherNames()
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
				return movePolicy(table, dir, others[i], strconv.Itoa(pos))
			}
			return nil
		})
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

func policyNew(c *shell.Ctx, table *[]store.MailPolicy, dir string) error {
	name, err := shell.AskRequired(c, "Enter the name for this policy:", "", func(s string) (string, error) {
		return s, checkPolicyName(*table, s, -1)
	})
	if err != nil {
		return err
	}
	p := store.MailPolicy{Name: name}
	if dir == dirIncoming {
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

// policyEdit is the per-policy menu. Changes are made on a copy and
// stored after each operation.
func policyEdit(c *shell.Ctx, cfg *store.Config, table *[]store.MailPolicy, dir string, idx int) error {
	ops := func() []shell.Op {
		var ops []shell.Op
		if !isDefaultPolicy(&(*table)[idx]) {
			ops = append(ops,
				shell.Op{Name: "NAME", Desc: "Change the name of this policy."},
				shell.Op{Name: "NEW", Desc: "Add a new member to this policy."},
				shell.Op{Name: "DELETE", Desc: "Remove a member from this policy."})
		}
		ops = append(ops, shell.Op{Name: "PRINT", Desc: "Display the policy definition."})
		if dir == dirIncoming {
			ops = append(ops, shell.Op{Name: "THREATDEFENSE", Desc: "Modify the Threat Defense Connector policy."})
		}
		return ops
	}
	return shell.MenuLoop(c,
		func() {
			p := &(*table)[idx]
			c.Printf("\nPolicy: %s\n", p.Name)
			if dir == dirIncoming {
				c.Printf("Threat Defense Connector: %s\n", tdcState(p))
			}
		},
		ops,
		func(op string) error {
			p := (*table)[idx]
			p.Senders = append([]string(nil), p.Senders...)
			p.Recipients = append([]string(nil), p.Recipients...)
			switch op {
			case "NAME":
				n, err := shell.AskRequired(c, "Enter the new name for this policy:", p.Name, func(s string) (string, error) {
					return s, checkPolicyName(*table, s, idx)
				})
				if err != nil {
					return err
				}
				p.Name = n
			case "NEW":
				if err := askMembers(c, &p); err != nil {
					return err
				}
			case "DELETE":
				if err := deleteMember(c, &p); err != nil {
					return err
				}
			case "PRINT":
				c.Printf("\n%s", policyText(cfg, dir, &p))
			case "THREATDEFENSE":
				if err := policyTDC(c, cfg, &p); err != nil {
					return err
				}
			}
			(*table)[idx] = p
			return nil
		})
}

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

// policyTDC is the THREATDEFENSE submenu of an incoming policy.
func policyTDC(c *shell.Ctx, cfg *store.Config, p *store.MailPolicy) error {
	c.Printf("\nThreat Defense Connector: %s\n", tdcState(p))
	op, err := c.Menu([]shell.Op{
		{Name: "ENABLE", Desc: "Enable the Threat Defense Connector for this policy."},
		{Name: "DISABLE", Desc: "Disable the Threat Defense Connector for this policy."},
	})
	if err != nil {
		return err
	}
	switch op {
	case "ENABLE":
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
			if cfg.TDC.IntakeAddress == "" {
				c.Printf("Note: no default message intake address is configured yet; set one with tdcconfig.\n")
			}
			break
		}
		a, err := shell.AskRequired(c, "Enter the message intake address.", p.TDCAddress, checkAddress)
		if err != nil {
			return err
		}
		p.TDC, p.TDCAddress = store.TDCCustom, a
	case "DISABLE":
		p.TDC, p.TDCAddress = store.TDCOff, ""
	}
	if !cfg.TDC.Enabled && tdcOn(p) {
		c.Printf("Note: the Threat Defense Connector itself is disabled; enable it with tdcconfig.\n")
	}
	return nil
}

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
