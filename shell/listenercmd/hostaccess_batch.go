package listenercmd

import (
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// The batch forms of HOSTACCESS (SPEC 3.1), the operations of hatOps.

// hatKind parses the words after new, edit or delete: the entry kind
// ("sendergroup" or "policy") first.
func hatKind(sub string, args []string) (shell.Opts, string, error) {
	o, err := shell.UserOpts(args)
	if err != nil {
		return o, "", err
	}
	if len(o.Pos) == 0 {
		return o, "", shell.Errorf(`The hostaccess %q command requires either "sendergroup" or "policy" and a name.`, sub)
	}
	switch kind := strings.ToLower(o.Pos[0]); kind {
	case "sendergroup", "policy":
		return o, kind, nil
	}
	if sub == "delete" {
		return o, "", shell.Errorf(`The hostaccess "delete" command requires either "sendergroup" or "policy" and a name.`)
	}
	return o, "", shell.Errorf(`Unknown entry kind %q: use "sendergroup" or "policy".`, o.Pos[0])
}

func hatNewBatch(c *shell.Ctx, l *store.Listener, args []string) error {
	o, kind, err := hatKind("new", args)
	if err != nil {
		return err
	}
	h := &l.HAT
	if kind == "policy" {
		if len(o.Pos) != 3 {
			return shell.UsageOf("policy")
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
	}
	if err := o.Allow("comment", "position"); err != nil {
		return err
	}
	if len(o.Pos) != 4 {
		return shell.UsageOf("sendergroup")
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
}

func hatEditBatch(c *shell.Ctx, l *store.Listener, args []string) error {
	o, kind, err := hatKind("edit", args)
	if err != nil {
		return err
	}
	h := &l.HAT
	if kind == "policy" {
		if len(o.Pos) < 2 || len(o.Pos) > 3 {
			return shell.UsageOf("policy")
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
	}
	if err := o.Allow("add", "remove", "policy", "comment", "name"); err != nil {
		return err
	}
	if len(o.Pos) != 2 {
		return shell.UsageOf("sendergroup")
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
}

func hatDeleteBatch(c *shell.Ctx, l *store.Listener, args []string) error {
	o, kind, err := hatKind("delete", args)
	if err != nil {
		return err
	}
	if err := o.Allow(); err != nil {
		return err
	}
	if len(o.Pos) != 2 {
		return shell.Errorf(`The hostaccess "delete" command requires either "sendergroup" or "policy" and a name.`)
	}
	if kind == "policy" {
		return deletePolicy(&l.HAT, o.Pos[1])
	}
	return deleteGroup(&l.HAT, o.Pos[1])
}

func hatMoveBatch(c *shell.Ctx, l *store.Listener, args []string) error {
	words, err := shell.UserWords(args)
	if err != nil {
		return err
	}
	if len(words) != 2 {
		return shell.Errorf(`The hostaccess "move" command requires a sendergroup and a position: hostaccess move GROUP POSITION.`)
	}
	pos, err := atoi("POSITION", words[1])
	if err != nil {
		return err
	}
	return moveGroup(&l.HAT, words[0], pos)
}

func hatDefaultBatch(c *shell.Ctx, l *store.Listener, args []string) error {
	o, err := shell.UserOpts(args)
	if err != nil {
		return err
	}
	if len(o.Pos) > 0 {
		return shell.ErrUsage
	}
	if len(o.Order) == 0 {
		return shell.Errorf("Nothing to change: give --PARAM=VALUE options (see 'help listenerconfig').")
	}
	return applyParamOpts(&l.HAT, nil, o)
}

// hatComplete completes the words after new, edit or delete: the entry
// kind, then sender group and policy names, behaviors and options.
func hatComplete(sub string) func(*shell.Ctx, *store.Listener, []string) []string {
	return func(c *shell.Ctx, l *store.Listener, args []string) []string {
		n := len(args)
		if n == 1 {
			return []string{"sendergroup", "policy"}
		}
		h := &l.HAT
		groupNames := groupItems(groups(h))
		var policyNames []string
		for _, p := range h.Policies {
			policyNames = append(policyNames, p.Name)
		}
		params := shell.ParamOptions(store.HATParams, args[n-1])
		switch kind := strings.ToLower(args[0]); {
		case sub == "new" && kind == "sendergroup":
			if n == 4 {
				return policyNames
			}
			if n > 4 {
				return []string{"--comment=", "--position="}
			}
		case sub == "new" && kind == "policy":
			if n == 3 {
				return append([]string(nil), store.Behaviors...)
			}
			if n > 3 {
				return params
			}
		case sub == "edit" && kind == "sendergroup":
			if n == 2 {
				return append(groupNames, "ALL")
			}
			return []string{"--add=", "--remove=", "--policy=", "--comment=", "--name="}
		case sub == "edit" && kind == "policy":
			if n == 2 {
				return policyNames
			}
			out := append([]string{"--name="}, params...)
			if n == 3 {
				out = append(out, store.Behaviors...)
			}
			return out
		case sub == "delete" && kind == "sendergroup" && n == 2:
			return groupNames
		case sub == "delete" && kind == "policy" && n == 2:
			return policyNames
		}
		return nil
	}
}

func atoi(what, s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, shell.Errorf("%s must be a number, not %q.", what, s)
	}
	return n, nil
}
