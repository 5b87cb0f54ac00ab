package listenercmd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"seg/shell"
	"seg/store"
)

// The operations on a Host Access Table shared by the HOSTACCESS menus
// and the batch forms. They validate before they change anything and
// return userErrors.

// canonPolicyName adds the leading '$' when missing and validates.
func canonPolicyName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "$") {
		s = "$" + s
	}
	if err := store.CheckPolicyName(s); err != nil {
		return "", shell.AsUser(err)
	}
	return s, nil
}

// groups returns the sender groups without the ALL row.
func groups(h *store.HAT) []store.SenderGroup {
	if n := len(h.SenderGroups); n > 0 && h.SenderGroups[n-1].Name == "ALL" {
		return h.SenderGroups[:n-1]
	}
	return h.SenderGroups
}

// findGroup returns the index of a sender group; "ALL" finds the ALL row.
func findGroup(h *store.HAT, name string) (int, error) {
	for i := range h.SenderGroups {
		if strings.EqualFold(h.SenderGroups[i].Name, name) {
			return i, nil
		}
	}
	var names []string
	for _, g := range groups(h) {
		names = append(names, g.Name)
	}
	if len(names) == 0 {
		return -1, shell.Errorf("There is no sender group named %q (the table has none).", name)
	}
	return -1, shell.Errorf("There is no sender group named %q (sender groups: %s).", name, strings.Join(names, ", "))
}

// findPolicy returns the index of a policy named with or without '$'.
func findPolicy(h *store.HAT, name string) (int, error) {
	n := strings.TrimSpace(name)
	if !strings.HasPrefix(n, "$") {
		n = "$" + n
	}
	for i := range h.Policies {
		if strings.EqualFold(h.Policies[i].Name, n) {
			return i, nil
		}
	}
	return -1, shell.Errorf("There is no policy named %s (policies: %s).", n, policyList(h))
}

func policyList(h *store.HAT) string {
	var names []string
	for _, p := range h.Policies {
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// usersOf lists the sender groups using a policy.
func usersOf(h *store.HAT, policy string) []string {
	var out []string
	for _, g := range h.SenderGroups {
		if strings.EqualFold(g.Policy, policy) {
			out = append(out, g.Name)
		}
	}
	return out
}

func checkNewGroupName(h *store.HAT, name string) error {
	if err := store.CheckSenderGroupName(name); err != nil {
		return shell.AsUser(err)
	}
	if _, err := findGroup(h, name); err == nil {
		return shell.Errorf("A sender group named %s already exists.", name)
	}
	return nil
}

func checkNewPolicyName(h *store.HAT, name string) (string, error) {
	n, err := canonPolicyName(name)
	if err != nil {
		return "", err
	}
	if i, err := findPolicy(h, n); err == nil {
		return "", shell.Errorf("A policy named %s already exists.", h.Policies[i].Name)
	}
	return n, nil
}

// addGroup inserts a sender group at 1-based position pos among the
// sender groups (0: last, before ALL).
func addGroup(h *store.HAT, g store.SenderGroup, pos int) error {
	if err := checkNewGroupName(h, g.Name); err != nil {
		return err
	}
	pi, err := findPolicy(h, g.Policy)
	if err != nil {
		return err
	}
	g.Policy = h.Policies[pi].Name
	if g.Comment, err = store.CheckComment(g.Comment); err != nil {
		return shell.AsUser(err)
	}
	n := len(groups(h))
	if pos == 0 {
		pos = n + 1
	}
	if pos < 1 || pos > n+1 {
		return shell.Errorf("Invalid position %d: enter a number from 1 to %d.", pos, n+1)
	}
	h.SenderGroups = append(h.SenderGroups, store.SenderGroup{})
	copy(h.SenderGroups[pos:], h.SenderGroups[pos-1:])
	h.SenderGroups[pos-1] = g
	return nil
}

// moveGroup moves a sender group to 1-based position pos; ALL stays last.
func moveGroup(h *store.HAT, name string, pos int) error {
	i, err := findGroup(h, name)
	if err != nil {
		return err
	}
	if h.SenderGroups[i].Name == "ALL" {
		return shell.Errorf("The ALL row is always last and cannot be moved.")
	}
	n := len(groups(h))
	if pos < 1 || pos > n {
		return shell.Errorf("Invalid position %d: enter a number from 1 to %d.", pos, n)
	}
	g := h.SenderGroups[i]
	h.SenderGroups = append(h.SenderGroups[:i], h.SenderGroups[i+1:]...)
	h.SenderGroups = append(h.SenderGroups, store.SenderGroup{})
	copy(h.SenderGroups[pos:], h.SenderGroups[pos-1:])
	h.SenderGroups[pos-1] = g
	return nil
}

func deleteGroup(h *store.HAT, name string) error {
	i, err := findGroup(h, name)
	if err != nil {
		return err
	}
	if h.SenderGroups[i].Name == "ALL" {
		return shell.Errorf("The ALL row cannot be deleted: change its policy instead.")
	}
	h.SenderGroups = append(h.SenderGroups[:i], h.SenderGroups[i+1:]...)
	return nil
}

func renameGroup(h *store.HAT, i int, name string) error {
	if h.SenderGroups[i].Name == "ALL" {
		return shell.Errorf("The ALL row cannot be renamed.")
	}
	if strings.EqualFold(h.SenderGroups[i].Name, name) {
		if err := store.CheckSenderGroupName(name); err != nil {
			return shell.AsUser(err)
		}
	} else if err := checkNewGroupName(h, name); err != nil {
		return err
	}
	h.SenderGroups[i].Name = name
	return nil
}

// addMembers adds members to group i; it returns a warning for each
// member that another sender group already lists (the first match wins,
// so such a member may never reach this group).
func addMembers(h *store.HAT, i int, list string) ([]string, error) {
	if h.SenderGroups[i].Name == "ALL" {
		return nil, shell.Errorf("The ALL row matches every host: it takes no members.")
	}
	ms, err := membersOf(list)
	if err != nil {
		return nil, err
	}
	g := &h.SenderGroups[i]
	var warnings []string
	for _, m := range ms {
		for _, have := range g.Members {
			if have == m {
				return nil, shell.Errorf("%s is already in sender group %s.", m, g.Name)
			}
		}
		for j, o := range h.SenderGroups {
			if j == i {
				continue
			}
			for _, have := range o.Members {
				if have == m {
					warnings = append(warnings, fmt.Sprintf("Warning: %s is also in sender group %s.", m, o.Name))
				}
			}
		}
	}
	g.Members = append(g.Members, ms...)
	return warnings, nil
}

func removeMembers(h *store.HAT, i int, list string) error {
	ms, err := store.ParseMembers(list)
	if err != nil {
		return shell.AsUser(err)
	}
	g := &h.SenderGroups[i]
	for _, m := range ms {
		k := m.String()
		found := false
		for j, have := range g.Members {
			if have == k {
				g.Members = append(g.Members[:j], g.Members[j+1:]...)
				found = true
				break
			}
		}
		if !found {
			return shell.Errorf("%s is not in sender group %s.", k, g.Name)
		}
	}
	return nil
}

func setGroupPolicy(h *store.HAT, i int, policy string) error {
	pi, err := findPolicy(h, policy)
	if err != nil {
		return err
	}
	h.SenderGroups[i].Policy = h.Policies[pi].Name
	return nil
}

func deletePolicy(h *store.HAT, name string) error {
	i, err := findPolicy(h, name)
	if err != nil {
		return err
	}
	p := h.Policies[i].Name
	if used := usersOf(h, p); len(used) > 0 {
		return shell.Errorf("The policy %s is used by sender group(s) %s: give them another policy first.", p, strings.Join(used, ", "))
	}
	h.Policies = append(h.Policies[:i], h.Policies[i+1:]...)
	return nil
}

func renamePolicy(h *store.HAT, i int, name string) error {
	n, err := canonPolicyName(name)
	if err != nil {
		return err
	}
	old := h.Policies[i].Name
	if !strings.EqualFold(old, n) {
		if _, err := checkNewPolicyName(h, n); err != nil {
			return err
		}
	}
	for j := range h.SenderGroups {
		if strings.EqualFold(h.SenderGroups[j].Policy, old) {
			h.SenderGroups[j].Policy = n
		}
	}
	h.Policies[i].Name = n
	return nil
}

// setParam sets a parameter of a policy (pol != nil) or of the listener
// defaults. For a policy a value is an override, kept even when it equals
// the default (the policy then stays put if the default changes);
// shell.Inherit ("default") removes the override.
func setParam(h *store.HAT, pol *store.FlowPolicy, name, value string) error {
	if pol != nil && shell.Inherits(value) {
		k := canonKey(name)
		if k == "" {
			_, _, err := store.HATParams.Canon(name, value)
			return shell.AsUser(err)
		}
		delete(pol.Params, k)
		return nil
	}
	k, v, err := store.HATParams.Canon(name, value)
	if err != nil {
		return shell.AsUser(err)
	}
	if pol == nil {
		h.Defaults[k] = v
		return nil
	}
	if pol.Params == nil {
		pol.Params = store.Params{}
	}
	pol.Params[k] = v
	return nil
}

// canonKey returns a parameter's canonical name ("" when unknown).
func canonKey(name string) string {
	if s, ok := store.HATParams.Lookup(name); ok {
		return s.Name
	}
	return ""
}

// applyParamOpts applies --PARAM=VALUE options to a policy or the
// defaults, after checking that every option is a parameter.
func applyParamOpts(h *store.HAT, pol *store.FlowPolicy, o shell.Opts, skip ...string) error {
	for _, n := range o.Order {
		if contains(skip, n) {
			continue
		}
		if err := setParam(h, pol, n, o.Named[n]); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// printHAT shows the table (the text format) and the default policy
// parameters, which the text format leaves out.
func printHAT(c *shell.Ctx, h *store.HAT) {
	c.Printf("%s", store.FormatHAT(*h))
	c.Printf("\nDefault Policy Parameters\n=========================\n")
	for _, s := range store.HATParams.Specs {
		v := h.Defaults[s.Name]
		if s.Kind.Quoted() {
			v = `"` + v + `"`
		}
		c.Printf("%s = %s\n", s.Name, v)
	}
}

// importHAT replaces the listener's HAT from a file; its default policy
// parameters stay.
func importHAT(c *shell.Ctx, l *store.Listener, file string) error {
	data, err := c.ReadConfigFile(file)
	if err != nil {
		return err
	}
	h, err := store.ParseHAT(file, bytes.NewReader(data), l.HAT.Defaults)
	if err != nil {
		var le *store.LineErrors
		if errors.As(err, &le) {
			return shell.Errorf("The Host Access Table was not imported:\n%s", strings.Join(le.Problems, "\n"))
		}
		return shell.AsUser(err)
	}
	l.HAT = h
	c.Printf("Imported %s and %s from %s.\n", shell.Plural(len(h.Policies), "policy", "policies"), shell.Plural(len(groups(&h)), "sender group", "sender groups"), file)
	return nil
}

func exportHAT(c *shell.Ctx, l *store.Listener, file string) error {
	if err := c.WriteConfigFile(file, []byte(store.FormatHAT(l.HAT))); err != nil {
		return err
	}
	c.Printf("The Host Access Table of %s was exported to %s.\n", l.Name, file)
	return nil
}

// clearHAT puts back the predefined policies and sender groups of the
// listener's type, keeping its default policy parameters.
func clearHAT(l *store.Listener) {
	d := l.HAT.Defaults
	if l.Type == store.ListenerPrivate {
		l.HAT = store.NewPrivateHAT(nil)
	} else {
		l.HAT = store.NewPublicHAT()
	}
	l.HAT.Defaults = d
}
