package listenercmd

import (
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// The batch forms of HOSTACCESS (SPEC 3.1).

func batchHostAccess(c *shell.Ctx, l *store.Listener, args []string) error {
	if len(args) == 0 {
		return usage("edit NAME hostaccess")
	}
	h := &l.HAT
	sub := strings.ToLower(args[0])
	o, err := shell.ParseOpts(args[1:])
	if err != nil {
		return shell.AsUser(err)
	}
	kind := ""
	if len(o.Pos) > 0 {
		kind = strings.ToLower(o.Pos[0])
	}
	switch {
	case sub == "new" && kind == "sendergroup":
		if err := o.Only("comment", "position"); err != nil {
			return shell.AsUser(err)
		}
		if len(o.Pos) != 4 {
			return usage("edit NAME hostaccess new sendergroup")
		}
		pos := 0
		if v, ok := o.Named["position"]; ok {
			if pos, err = atoi("--position", v); err != nil {
				return err
			}
		}
		name := o.Pos[1]
		if err := addGroup(h, store.SenderGroup{Name: name, Policy: o.Pos[3], Comment: o.Named["comment"]}, pos); err != nil {
			return err
		}
		i, _ := findGroup(h, name)
		warnings, err := addMembers(h, i, o.Pos[2])
		for _, w := range warnings {
			c.Printf("%s\n", w)
		}
		return err
	case sub == "edit" && kind == "sendergroup":
		if err := o.Only("add", "remove", "policy", "comment", "name"); err != nil {
			return shell.AsUser(err)
		}
		if len(o.Pos) != 2 {
			return usage("edit NAME hostaccess edit sendergroup")
		}
		if len(o.Order) == 0 {
			return shell.Errorf("Nothing to change: give --add, --remove, --policy, --comment or --name.")
		}
		i, err := findGroup(h, o.Pos[1])
		if err != nil {
			return err
		}
		if v, ok := o.Named["remove"]; ok {
			if err := removeMembers(h, i, v); err != nil {
				return err
			}
		}
		if v, ok := o.Named["add"]; ok {
			warnings, err := addMembers(h, i, v)
			if err != nil {
				return err
			}
			for _, w := range warnings {
				c.Printf("%s\n", w)
			}
		}
		if v, ok := o.Named["policy"]; ok {
			if err := setGroupPolicy(h, i, v); err != nil {
				return err
			}
		}
		if v, ok := o.Named["comment"]; ok {
			cm, err := store.CheckComment(v)
			if err != nil {
				return shell.AsUser(err)
			}
			h.SenderGroups[i].Comment = cm
		}
		if v, ok := o.Named["name"]; ok {
			return renameGroup(h, i, v)
		}
		return nil
	case sub == "delete" && (kind == "sendergroup" || kind == "policy"):
		if err := o.Only(); err != nil {
			return shell.AsUser(err)
		}
		if len(o.Pos) != 2 {
			return shell.Errorf(`The hostaccess "delete" command requires either "sendergroup" or "policy" and a name.`)
		}
		if kind == "policy" {
			return deletePolicy(h, o.Pos[1])
		}
		return deleteGroup(h, o.Pos[1])
	case sub == "delete":
		return shell.Errorf(`The hostaccess "delete" command requires either "sendergroup" or "policy" and a name.`)
	case sub == "new" && kind == "policy":
		if len(o.Pos) != 3 {
			return usage("edit NAME hostaccess new policy")
		}
		name, err := checkNewPolicyName(h, o.Pos[1])
		if err != nil {
			return err
		}
		b, err := store.CanonBehavior(o.Pos[2])
		if err != nil {
			return shell.AsUser(err)
		}
		h.Policies = append(h.Policies, store.FlowPolicy{Name: name, Behavior: b})
		return applyParamOpts(h, &h.Policies[len(h.Policies)-1], o)
	case sub == "edit" && kind == "policy":
		if len(o.Pos) < 2 || len(o.Pos) > 3 {
			return usage("edit NAME hostaccess edit policy")
		}
		i, err := findPolicy(h, o.Pos[1])
		if err != nil {
			return err
		}
		if len(o.Pos) == 2 && len(o.Order) == 0 {
			return shell.Errorf("Nothing to change: give a behavior, --PARAM=VALUE options or --name.")
		}
		if len(o.Pos) == 3 {
			if h.Policies[i].Behavior, err = store.CanonBehavior(o.Pos[2]); err != nil {
				return shell.AsUser(err)
			}
		}
		if err := applyParamOpts(h, &h.Policies[i], o, "name"); err != nil {
			return err
		}
		if v, ok := o.Named["name"]; ok {
			return renamePolicy(h, i, v)
		}
		return nil
	case (sub == "new" || sub == "edit") && kind == "":
		return shell.Errorf(`The hostaccess %q command requires either "sendergroup" or "policy" and a name.`, sub)
	case sub == "new" || sub == "edit":
		return shell.Errorf(`Unknown entry kind %q: use "sendergroup" or "policy".`, o.Pos[0])
	case sub == "move":
		if err := o.Only(); err != nil {
			return shell.AsUser(err)
		}
		if len(o.Pos) != 2 {
			return shell.Errorf(`The hostaccess "move" command requires a sendergroup and a position: hostaccess move GROUP POSITION.`)
		}
		pos, err := atoi("POSITION", o.Pos[1])
		if err != nil {
			return err
		}
		return moveGroup(h, o.Pos[0], pos)
	case sub == "default":
		if len(o.Pos) > 0 {
			return usage("edit NAME hostaccess default")
		}
		if len(o.Order) == 0 {
			return shell.Errorf("Nothing to change: give --PARAM=VALUE options (see 'help listenerconfig').")
		}
		return applyParamOpts(h, nil, o)
	case sub == "print":
		if len(o.Pos) > 0 || len(o.Order) > 0 {
			return usage("edit NAME hostaccess print")
		}
		printHAT(c, h)
		return nil
	case sub == "import" || sub == "export":
		if err := o.Only(); err != nil {
			return shell.AsUser(err)
		}
		if len(o.Pos) != 1 {
			return shell.Errorf(`The hostaccess %q command requires a filename.`, sub)
		}
		if sub == "import" {
			return importHAT(c, l, o.Pos[0])
		}
		return exportHAT(c, l, o.Pos[0])
	case sub == "clear" || sub == "reset":
		if len(o.Pos) > 0 || len(o.Order) > 0 {
			return usage("edit NAME hostaccess clear")
		}
		clearHAT(l)
		return nil
	}
	return shell.Errorf("Unknown hostaccess operation %q: use new, edit, delete, move, default, print, import, export or clear.", args[0])
}

func atoi(what, s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, shell.Errorf("%s must be a number, not %q.", what, s)
	}
	return n, nil
}
