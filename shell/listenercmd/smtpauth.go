package listenercmd

import (
	"fmt"
	"strings"

	"seg/shell"
	"seg/store"
)

// EDIT → SMTPAUTH. In AsyncOS it picks the listener's SMTP
// Authentication profile (LDAP, or forwarding to another server), and
// the mail flow policies say whether AUTH is offered or required. seg
// has one profile, fixed: its own users with the SMTP AUTH right
// (userconfig --smtp-auth yes), checked against their passwords. So the
// menu names that profile and sets what seg does enforce, the three
// smtpauth_ parameters of the listener's default policy parameters;
// a mail flow policy that sets one of them itself keeps its own value,
// and the menu lists those.

// smtpAuthParams are the parameters SMTPAUTH sets, in question order.
var smtpAuthParams = []string{"smtpauth_allow", "smtpauth_requiretls", "smtpauth_relay"}

// showSMTPAuth prints the profile, the default policy's values and the
// policies that override them.
func showSMTPAuth(c *shell.Ctx, l *store.Listener) {
	n := 0
	for _, u := range c.Config().Users {
		if u.SMTPAuth {
			n++
		}
	}
	c.Printf("\nSMTP Authentication profile: seg's users with the SMTP AUTH right (%d; userconfig --smtp-auth yes)\n", n)
	c.Printf("Default policy parameters:\n")
	for _, k := range smtpAuthParams {
		c.Printf("    %s: %s\n", k, l.HAT.Defaults[k])
	}
	for _, p := range l.HAT.Policies {
		var own []string
		for _, k := range smtpAuthParams {
			if v, ok := p.Params[k]; ok {
				own = append(own, fmt.Sprintf("%s %s", k, v))
			}
		}
		if len(own) > 0 {
			c.Printf("Policy %s sets its own: %s\n", p.Name, strings.Join(own, ", "))
		}
	}
}

// askSMTPAuthSettings is the menu: the profile, then the questions of
// the default policy parameters.
func askSMTPAuthSettings(c *shell.Ctx, l *store.Listener) error {
	showSMTPAuth(c, l)
	e := &paramEditor{c: c, h: &l.HAT, notes: store.InertNotes{}}
	return e.askSMTPAuth()
}

// batchSMTPAuth is "edit NAME smtpauth [--smtpauth_allow=V]
// [--smtpauth_requiretls=V] [--smtpauth_relay=V]": the options set the
// default policy parameters (all or none of them valid); none prints.
func batchSMTPAuth(c *shell.Ctx, l *store.Listener, args []string) error {
	o, err := shell.UserOpts(args)
	if err != nil {
		return err
	}
	if err := o.Allow(smtpAuthParams...); err != nil {
		return err
	}
	if len(o.Pos) > 0 {
		return shell.ErrUsage
	}
	if len(o.Order) == 0 {
		showSMTPAuth(c, l)
		return nil
	}
	if shell.RoleAccess(c.S.Role) < shell.AccessOperator {
		return shell.Errorf("You are not in the correct access group to change listeners.")
	}
	next := store.Params{}
	for _, k := range o.Order {
		k, v, err := store.HATParams.Canon(k, o.Named[k])
		if err != nil {
			return shell.AsUser(err)
		}
		next[k] = v
	}
	for k, v := range next {
		l.HAT.Defaults[k] = v
	}
	return nil
}

func completeSMTPAuth(*shell.Ctx, *store.Listener, []string) []string {
	var out []string
	for _, k := range smtpAuthParams {
		out = append(out, "--"+k+"=")
	}
	return out
}
