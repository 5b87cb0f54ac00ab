// Package listenercmd implements listenerconfig: listeners, their Host
// Access Table (sender groups, mail flow policies, default policy
// parameters) and Recipient Access Table, interactively in the AsyncOS
// menu style and in the batch forms of SPEC 3.1.
package listenercmd

import (
	"seg/shell"
	"seg/store"
)

// Commands returns listenerconfig.
func Commands() []*shell.Command {
	return []*shell.Command{shell.CommandSpec[*store.Config]{
		Name:   "listenerconfig",
		Help:   "Configure mail listeners: interface, limits, host access (HAT) and recipient access (RAT) tables.",
		Access: shell.AccessReadOnly,
		Target: func(c *shell.Ctx) *store.Config { return c.Config() },
		Table:  listenerOps,
		Notes:  usageNotes(),
		Interactive: func(c *shell.Ctx, cfg *store.Config) error {
			if shell.RoleAccess(c.S.Role) < shell.AccessOperator {
				return shell.Errorf("You are not in the correct access group to change listeners: use 'listenerconfig print'.")
			}
			return listenerOps.Menu(c, cfg, func() { showListeners(c) })
		},
	}.Command()}
}

// usageNotes follow the batch forms in help: the words they use, and
// the parameters.
func usageNotes() []string {
	u := []string{
		"Behaviors: ACCEPT, REJECT, TCPREFUSE, RELAY, CONTINUE. Policy names start with $ (it may be left out).",
		"Members: 10.1.1.1, 10.1.1.0/24, 10.1.1., 10.1.1.10-20, 2001:db8::/32, mail.example.com, .example.com,",
		"  dnslist[bl.example.org], sbrs[-10.0:-3.0], sbrs[none].",
		"FILE is a file name in the configuration directory (DATA/configuration), not a path; the HAT file",
		"  format is that of 'hostaccess print' without the default policy parameters.",
		"A blackhole listener accepts mail as a public one does (its RAT starts as ALL ACCEPT), answers 250 and discards the message:",
		"  nothing is queued or delivered; mail_logs say \"Message aborted MID n Blackhole Listener\".",
		"There is no per-listener BOUNCECONFIG: bounce profiles apply per destination (destconfig --bounce_profile).",
		"--PARAM=VALUE may also be written PARAM=VALUE; sizes take k, M, G. Mail flow policy parameters:",
	}
	u = append(u, shell.ParamUsage(store.HATParams)...)
	return append(u, connLimitUsage()...)
}

// listenersShown: EDIT, DELETE and PRINT are offered when there is a
// listener.
func listenersShown(c *shell.Ctx, cfg *store.Config) bool { return len(cfg.Listeners) > 0 }

// listenerArg completes a listener name as the first word.
func listenerArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) != 1 {
		return nil
	}
	var out []string
	for _, l := range cfg.Listeners {
		out = append(out, l.Name)
	}
	return out
}

// listenerOps is the listener level of listenerconfig (listener.go has
// its menus, listener_batch.go its batch forms). Changing a listener
// takes an operator; reading takes what the command takes.
var listenerOps = &shell.Table[*store.Config]{Prefix: "listenerconfig", Denied: "change listeners", Ops: []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a new listener.", Access: shell.AccessOperator,
		Usage: []string{"NAME --type public|private|blackhole --address IP --port N [--hostname H] [--accept DOMAINS] [--relay HOSTS]"},
		Batch: batchNew,
		Menu:  func(c *shell.Ctx, cfg *store.Config) error { return newListenerInteractive(c) },
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) < 2 {
				return nil
			}
			return []string{"--type=", "--address=", "--port=", "--hostname=", "--accept=", "--relay="}
		}},
	{Name: "edit", Desc: "Modify a listener.",
		Usage: prefixed("NAME ", listenerEditOps.Forms()),
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if len(args) < 2 {
				return shell.ErrUsage
			}
			l, err := lookupListener(cfg, args[0])
			if err != nil {
				return err
			}
			return listenerEditOps.Batch(c, l, args[1:])
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			l, err := pickListener(c, "Enter the name or number of the listener you wish to edit.")
			if err != nil || l == nil {
				return err
			}
			return editListenerMenu(c, l)
		},
		Open: func(c *shell.Ctx, cfg *store.Config, args []string) (bool, error) {
			if len(args) != 1 {
				return false, nil
			}
			l, err := lookupListener(cfg, args[0])
			if err != nil {
				return true, err
			}
			return true, editListenerMenu(c, l)
		},
		Shown: listenersShown,
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) == 1 {
				return listenerArg(c, cfg, args)
			}
			l := cfg.Listener(args[0])
			if l == nil {
				return nil
			}
			return listenerEditOps.Complete(c, l, args[1:])
		},
		Sub: listenerEditOps},
	{Name: "delete", Desc: "Remove a listener.", Access: shell.AccessOperator,
		Usage: []string{"NAME"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if len(args) != 1 {
				return shell.ErrUsage
			}
			l, err := lookupListener(cfg, args[0])
			if err != nil {
				return err
			}
			deleteListener(cfg, l.Name)
			return nil
		},
		Menu:     deleteListenerInteractive,
		Shown:    listenersShown,
		Complete: listenerArg},
	{Name: "print", Desc: "Display the settings of a listener.",
		Usage:    []string{"[NAME]"},
		Batch:    printListenerBatch,
		Menu:     printListenerInteractive,
		Shown:    listenersShown,
		Complete: listenerArg},
	{Name: "setup", Desc: "Change global settings.",
		Usage: []string{"[--max_concurrency N|none]   (the global connection limit; no option: print the global settings)"},
		Batch: batchGlobalSetup,
		Menu:  globalSetupInteractive,
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			return []string{"--max_concurrency="}
		}},
}}

// editListenerMenu is the EDIT menu of listener l.
func editListenerMenu(c *shell.Ctx, l *store.Listener) error {
	return listenerEditOps.Menu(c, l, func() { showListener(c, l) })
}

// prefixed puts p before each of forms.
func prefixed(p string, forms []string) []string {
	out := make([]string, len(forms))
	for i, f := range forms {
		out[i] = p + f
	}
	return out
}
