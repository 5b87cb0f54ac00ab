package configcmd

import (
	"fmt"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// policyconfig: the incoming and outgoing mail policy tables (SPEC 2, 6;
// reference/asyncos-cli.md 5). Each table is ordered, first match wins
// per recipient (store.MatchPolicy), DEFAULT is last and can be neither
// deleted, renamed nor given members. Incoming policies carry the Threat
// Defense Connector setting.

const (
	dirIncoming = "incoming"
	dirOutgoing = "outgoing"
)

func policyconfigCommand() *shell.Command {
	in := policyOpsTable(dirIncoming)
	return &shell.Command{
		Name:   "policyconfig",
		Help:   "Configure the incoming and outgoing mail policies and their Threat Defense Connector setting.",
		Access: shell.AccessReadOnly,
		Sub:    []string{dirIncoming, dirOutgoing},
		Usage: append(in.Usage(),
			"policyconfig outgoing new|edit|delete|print|move ...   (the same, without --tdc)",
			"LIST: comma-separated members: user@example.com, @example.com, @.example.com (its subdomains), user@ (any domain).",
			"--recipients replaces the recipient members, --senders the sender members (--senders= : any sender).",
			"--tdc: off (no journaling), default (the tdcconfig intake address), custom:ADDRESS,",
			"  inherit or empty (--tdc=): use the DEFAULT policy's setting, whatever it is when mail arrives.",
			"The DEFAULT policy matches when no other does; only its --tdc can be changed."),
		Ops: in.Docs("policyconfig", "", shell.AccessReadOnly),
		Complete: func(c *shell.Ctx, args []string) []string {
			if len(args) <= 1 {
				return []string{dirIncoming, dirOutgoing}
			}
			d, ok := policyDirOf(c, args[0])
			if !ok {
				return nil
			}
			return policyOpsTable(d.dir).Complete(c, d, args[1:])
		},
		Run: func(c *shell.Ctx, args []string) error {
			if len(args) == 0 {
				return policyInteractive(c)
			}
			d, ok := policyDirOf(c, args[0])
			if !ok {
				return shell.Errorf("policyconfig: say incoming or outgoing first (for example: policyconfig incoming print).")
			}
			if len(args) == 1 && c.S.Interactive {
				// A partial line on a terminal: that table's menu.
				return policyTableMenu(c, d)
			}
			return policyOpsTable(d.dir).Batch(c, d, args[1:])
		},
	}
}

// policyDir is what policyconfig's operations work on: one of the two
// tables of the command's working copy.
type policyDir struct {
	cfg *store.Config
	dir string // dirIncoming or dirOutgoing
}

func (d policyDir) table() *[]store.MailPolicy { return policyTable(d.cfg, d.dir) }

// policyDirOf reads the direction word of a batch line.
func policyDirOf(c *shell.Ctx, word string) (policyDir, bool) {
	dir := strings.ToLower(word)
	return policyDir{c.Config(), dir}, dir == dirIncoming || dir == dirOutgoing
}

// policyOpsTable is the operations on the table of a direction, in
// AsyncOS's menu order; the menus are in policymenu.go.
func policyOpsTable(dir string) *shell.Table[policyDir] {
	return &shell.Table[policyDir]{Prefix: "policyconfig " + dir, What: "policyconfig operation", Ops: policyOps}
}

var policyOps = []shell.Operation[policyDir]{
	{Name: "new", Desc: "Create a new policy.",
		Usage:    []string{"NAME --recipients LIST [--senders LIST] [--position N] [--tdc off|default|custom:ADDRESS]"},
		Batch:    policyNewBatch,
		Menu:     policyNew,
		Complete: policyComplete("new")},
	{Name: "edit", Desc: "Edit an existing policy.",
		Usage:    []string{"NAME [--recipients LIST] [--senders LIST] [--name NEWNAME] [--tdc off|default|custom:ADDRESS]"},
		Batch:    policyEditBatch,
		Menu:     policyEditMenu,
		Open:     policyEditOpen,
		Complete: policyComplete("edit"),
		Sub:      policyEditOpsTable},
	{Name: "delete", Desc: "Remove a policy.",
		Usage: []string{"NAME"},
		Batch: func(c *shell.Ctx, d policyDir, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if len(o.Pos) != 1 || len(o.Order) > 0 {
				return shell.ErrUsage
			}
			return deletePolicy(d.table(), d.dir, o.Pos[0])
		},
		Menu:     policyDeleteMenu,
		Complete: policyComplete("delete")},
	{Name: "print", Desc: "Print all policies.",
		Usage:    []string{"[NAME]"},
		Batch:    policyPrintBatch,
		Menu:     policyPrintMenu,
		Complete: policyComplete("print")},
	{Name: "move", Desc: "Move the position of a policy.",
		Usage: []string{"NAME POSITION"},
		Batch: func(c *shell.Ctx, d policyDir, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if len(o.Pos) != 2 || len(o.Order) > 0 {
				return shell.ErrUsage
			}
			return movePolicy(d.table(), d.dir, o.Pos[0], o.Pos[1])
		},
		Menu:     policyMoveMenu,
		Complete: policyComplete("move")},
}

// policyComplete completes a policy name as the first word (not for
// new), then the options of new and edit.
func policyComplete(sub string) func(*shell.Ctx, policyDir, []string) []string {
	return func(c *shell.Ctx, d policyDir, args []string) []string {
		if len(args) == 1 && sub != "new" {
			return names(*d.table(), func(p *store.MailPolicy) string { return p.Name })
		}
		if sub != "new" && sub != "edit" {
			return nil
		}
		opts := []string{"--recipients", "--senders"}
		if sub == "new" {
			opts = append(opts, "--position")
		} else {
			opts = append(opts, "--name")
		}
		if d.dir == dirIncoming {
			opts = append(opts, "--tdc")
		}
		return opts
	}
}

// policyTable returns the table of a direction.
func policyTable(cfg *store.Config, dir string) *[]store.MailPolicy {
	if dir == dirOutgoing {
		return &cfg.Outgoing
	}
	return &cfg.Incoming
}

func isDefaultPolicy(p *store.MailPolicy) bool {
	return strings.EqualFold(p.Name, store.DefaultPolicyName)
}

// findPolicy returns the index of a policy by name (case-insensitive).
func findPolicy(ps []store.MailPolicy, name string) int {
	for i := range ps {
		if strings.EqualFold(ps[i].Name, name) {
			return i
		}
	}
	return -1
}

func policyNotFound(dir, name string) error {
	return shell.Errorf("There is no %s mail policy named %q.", dir, name)
}

// splitDefault separates the ordered policies from DEFAULT.
func splitDefault(ps []store.MailPolicy) (others, def []store.MailPolicy) {
	for _, p := range ps {
		if isDefaultPolicy(&p) {
			def = append(def, p)
		} else {
			others = append(others, p)
		}
	}
	return others, def
}

// placePolicy puts p at 1-based position pos among the policies other
// than DEFAULT, which stays last.
func placePolicy(ps []store.MailPolicy, p store.MailPolicy, pos int) []store.MailPolicy {
	others, def := splitDefault(ps)
	out := make([]store.MailPolicy, 0, len(ps)+1)
	out = append(out, others[:pos-1]...)
	out = append(out, p)
	out = append(out, others[pos-1:]...)
	return append(out, def...)
}

// checkPolicyName validates a new policy name in a table; skip is the
// index of the policy being renamed (-1 for none).
func checkPolicyName(ps []store.MailPolicy, name string, skip int) error {
	if strings.EqualFold(name, store.DefaultPolicyName) {
		return shell.Errorf("The name DEFAULT is reserved for the default policy.")
	}
	if err := store.CheckMailPolicyName(name); err != nil {
		return shell.AsUser(err)
	}
	if i := findPolicy(ps, name); i >= 0 && i != skip {
		return shell.Errorf("A policy named %q already exists.", ps[i].Name)
	}
	return nil
}

// canonMembers validates a comma-separated member list.
func canonMembers(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, m := range shell.SplitList(list) {
		c, err := store.CanonPolicyMember(m)
		if err != nil {
			return nil, shell.AsUser(err)
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// parseTDC reads --tdc off|default|custom:ADDRESS|inherit; empty is
// inherit too, as an empty --PARAM= drops a destconfig domain's own
// value. "default" is taken: it has always meant the default intake
// address.
func parseTDC(v string) (mode, addr string, err error) {
	m, a, hasAddr := strings.Cut(strings.TrimSpace(v), ":")
	switch strings.ToLower(m) {
	case store.TDCInherit, "":
		if hasAddr {
			break
		}
		return store.TDCInherit, "", nil
	case store.TDCOff, "no", "disable", "disabled":
		if hasAddr {
			break
		}
		return store.TDCOff, "", nil
	case store.TDCDefault:
		if hasAddr {
			break
		}
		return store.TDCDefault, "", nil
	case store.TDCCustom:
		a = strings.TrimSpace(a)
		if !store.ValidAddress(a) {
			return "", "", shell.Errorf("--tdc custom needs a valid message intake address: --tdc custom:ADDRESS (got %q).", a)
		}
		return store.TDCCustom, a, nil
	}
	return "", "", shell.Errorf("--tdc must be off, default, custom:ADDRESS or inherit, not %q.", v)
}

// policyArgs parses the words after new and edit: the options a
// direction accepts (extra, and --tdc for incoming).
func policyArgs(d policyDir, args []string, extra string) (shell.Opts, []string, error) {
	o, err := shell.UserOpts(args)
	if err != nil {
		return o, nil, err
	}
	if len(o.Pos) != 1 {
		return o, nil, shell.ErrUsage
	}
	allowed := []string{"recipients", "senders"}
	if d.dir == dirIncoming {
		allowed = append(allowed, "tdc")
	} else if _, ok := o.Named["tdc"]; ok {
		return o, nil, shell.Errorf("Outgoing policies have no Threat Defense Connector setting: journaling is for incoming mail only.")
	}
	return o, append(allowed, extra), o.Allow(append(allowed, extra)...)
}

func policyNewBatch(c *shell.Ctx, d policyDir, args []string) error {
	o, _, err := policyArgs(d, args, "position")
	if err != nil {
		return err
	}
	table := d.table()
	name := o.Pos[0]
	if err := checkPolicyName(*table, name, -1); err != nil {
		return err
	}
	p := store.MailPolicy{Name: name}
	if d.dir == dirIncoming {
		p.TDC = store.TDCOff
	}
	if _, ok := o.Named["recipients"]; !ok {
		return shell.Errorf("A new policy needs --recipients LIST (user@example.com, @example.com, @.example.com, user@).")
	}
	if err := applyPolicyOpts(&p, o); err != nil {
		return err
	}
	others, _ := splitDefault(*table)
	pos := len(others) + 1
	if v, ok := o.Named["position"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > len(others)+1 {
			return shell.Errorf("--position must be a number from 1 to %d (DEFAULT is always last).", len(others)+1)
		}
		pos = n
	}
	*table = placePolicy(*table, p, pos)
	return nil
}

func policyEditBatch(c *shell.Ctx, d policyDir, args []string) error {
	o, allowed, err := policyArgs(d, args, "name")
	if err != nil {
		return err
	}
	table := d.table()
	i := findPolicy(*table, o.Pos[0])
	if i < 0 {
		return policyNotFound(d.dir, o.Pos[0])
	}
	if len(o.Order) == 0 {
		return shell.Errorf("Nothing to change: give --%s.", strings.Join(allowed, ", --"))
	}
	p := (*table)[i]
	p.Senders = append([]string(nil), p.Senders...)
	p.Recipients = append([]string(nil), p.Recipients...)
	if isDefaultPolicy(&p) {
		if err := o.Allow("tdc"); err != nil {
			return shell.Errorf("The DEFAULT policy cannot be renamed and has no members; only its --tdc can be changed.")
		}
	}
	if n, ok := o.Named["name"]; ok {
		if err := checkPolicyName(*table, n, i); err != nil {
			return err
		}
		p.Name = n
	}
	if err := applyPolicyOpts(&p, o); err != nil {
		return err
	}
	(*table)[i] = p
	return nil
}

func policyPrintBatch(c *shell.Ctx, d policyDir, args []string) error {
	o, err := shell.UserOpts(args)
	if err != nil {
		return err
	}
	if len(o.Pos) > 1 || len(o.Order) > 0 {
		return shell.ErrUsage
	}
	table := d.table()
	if len(o.Pos) == 1 {
		i := findPolicy(*table, o.Pos[0])
		if i < 0 {
			return policyNotFound(d.dir, o.Pos[0])
		}
		c.Printf("%s", policyText(d.cfg, d.dir, &(*table)[i]))
		return nil
	}
	for i := range *table {
		if i > 0 {
			c.Printf("\n")
		}
		c.Printf("%s", policyText(d.cfg, d.dir, &(*table)[i]))
	}
	return nil
}

// applyPolicyOpts applies --recipients, --senders and --tdc.
func applyPolicyOpts(p *store.MailPolicy, o shell.Opts) error {
	if v, ok := o.Named["recipients"]; ok {
		rs, err := canonMembers(v)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return shell.Errorf("A policy needs at least one recipient member.")
		}
		p.Recipients = rs
	}
	if v, ok := o.Named["senders"]; ok {
		ss, err := canonMembers(v)
		if err != nil {
			return err
		}
		p.Senders = ss
	}
	if v, ok := o.Named["tdc"]; ok {
		mode, addr, err := parseTDC(v)
		if err != nil {
			return err
		}
		if mode == store.TDCInherit && isDefaultPolicy(p) {
			return shell.Errorf("The DEFAULT policy has no policy to inherit from: give --tdc off, default or custom:ADDRESS.")
		}
		p.TDC, p.TDCAddress = mode, addr
	}
	return nil
}

func deletePolicy(table *[]store.MailPolicy, dir, name string) error {
	i := findPolicy(*table, name)
	if i < 0 {
		return policyNotFound(dir, name)
	}
	if isDefaultPolicy(&(*table)[i]) {
		return shell.Errorf("The DEFAULT policy may not be deleted.")
	}
	*table = append((*table)[:i], (*table)[i+1:]...)
	return nil
}

func movePolicy(table *[]store.MailPolicy, dir, name, position string) error {
	i := findPolicy(*table, name)
	if i < 0 {
		return policyNotFound(dir, name)
	}
	p := (*table)[i]
	if isDefaultPolicy(&p) {
		return shell.Errorf("The DEFAULT policy is always last and cannot be moved.")
	}
	rest := append(append([]store.MailPolicy(nil), (*table)[:i]...), (*table)[i+1:]...)
	others, _ := splitDefault(rest)
	n, err := strconv.Atoi(position)
	if err != nil || n < 1 || n > len(others)+1 {
		return shell.Errorf("The position must be a number from 1 to %d (DEFAULT is always last).", len(others)+1)
	}
	*table = placePolicy(rest, p, n)
	return nil
}

// tdcState describes a policy's Threat Defense Connector setting; an
// inherited one says so and what it is now.
func tdcState(cfg *store.Config, p *store.MailPolicy) string {
	mode, addr := cfg.EffectiveTDC(p)
	s := "Disabled"
	switch mode {
	case store.TDCDefault:
		s = "Enabled (default message intake address)"
	case store.TDCCustom:
		s = "Enabled (custom message intake address " + addr + ")"
	}
	if p.TDC == store.TDCInherit {
		return "Use DEFAULT policy settings: " + s
	}
	return s
}

// tdcOn reports whether the policy journals, on its own setting or the
// DEFAULT policy's.
func tdcOn(cfg *store.Config, p *store.MailPolicy) bool {
	mode, _ := cfg.EffectiveTDC(p)
	return mode == store.TDCDefault || mode == store.TDCCustom
}

// policyText is a policy's definition, for PRINT.
func policyText(cfg *store.Config, dir string, p *store.MailPolicy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Policy: %s\n", p.Name)
	if isDefaultPolicy(p) {
		b.WriteString("    Recipients: Any recipient not matched by another policy\n")
	} else {
		fmt.Fprintf(&b, "    Recipients: %s\n", strings.Join(p.Recipients, ", "))
	}
	senders := "Any sender"
	if len(p.Senders) > 0 {
		senders = strings.Join(p.Senders, ", ")
	}
	fmt.Fprintf(&b, "    Senders: %s\n", senders)
	if dir == dirIncoming {
		fmt.Fprintf(&b, "    Threat Defense Connector: %s\n", tdcState(cfg, p))
	}
	return b.String()
}

// policyList is the table shown above the interactive menu.
func policyList(cfg *store.Config, dir string) string {
	ps := *policyTable(cfg, dir)
	var b strings.Builder
	if dir == dirOutgoing {
		b.WriteString("Outgoing Mail Policy Configuration\n\n")
		rows := make([][]string, len(ps))
		for i := range ps {
			rows[i] = []string{ps[i].Name}
		}
		b.WriteString(shell.FormatTable([]string{"Policy Name"}, rows))
		return b.String()
	}
	b.WriteString("Incoming Mail Policy Configuration\n\n")
	rows := make([][]string, len(ps))
	anyOn := false
	for i := range ps {
		st := "Disabled"
		if tdcOn(cfg, &ps[i]) {
			st, anyOn = "Enabled", true
		}
		if ps[i].TDC == store.TDCInherit {
			st = "Use DEFAULT (" + st + ")"
		}
		rows[i] = []string{ps[i].Name, st}
	}
	b.WriteString(shell.FormatTable([]string{"Policy Name", "Threat Defense Connector"}, rows))
	if anyOn && !cfg.TDC.Enabled {
		b.WriteString("Note: the Threat Defense Connector itself is disabled (tdcconfig); no messages are forwarded.\n")
	}
	return b.String()
}
