// Package listenercmd implements listenerconfig: listeners, their Host
// Access Table (sender groups, mail flow policies, default policy
// parameters) and Recipient Access Table, interactively in the AsyncOS
// menu style and in the batch forms of SPEC 3.1.
package listenercmd

import (
	"fmt"
	"strings"

	"seg/shell"
	"seg/store"
)

// Commands returns listenerconfig.
func Commands() []*shell.Command {
	cmd := &shell.Command{
		Name:   "listenerconfig",
		Help:   "Configure mail listeners: interface, limits, host access (HAT) and recipient access (RAT) tables.",
		Access: shell.AccessReadOnly,
		Sub:    []string{"new", "edit", "delete", "print"},
		Usage:  usageLines(),
	}
	cmd.Complete = complete
	cmd.Run = func(c *shell.Ctx, args []string) error {
		if len(args) == 0 {
			if shell.RoleAccess(c.S.Role) < shell.AccessOperator {
				return shell.Errorf("You are not in the correct access group to change listeners: use 'listenerconfig print'.")
			}
			return interactive(c)
		}
		return batch(c, args)
	}
	return []*shell.Command{cmd}
}

// batchForms are the batch forms (SPEC 3.1 and the extra options that
// give every interactive operation a batch form).
var batchForms = []string{
	"listenerconfig new NAME --type public|private --address IP --port N [--hostname H] [--accept DOMAINS] [--relay HOSTS]",
	"listenerconfig edit NAME setup [--address IP] [--port N] [--hostname H] [--max_concurrency N] [--default_domain D|none] [--name NEWNAME]\n" +
		"    [--idle_timeout S] [--max_connection_time S] [--data_timeout S] [--min_data_rate N] [--data_rate_interval S] [--pressure_idle S] [--reserved_percent P]",
	"listenerconfig delete NAME",
	"listenerconfig print [NAME]",
	"listenerconfig edit NAME hostaccess new sendergroup GROUP MEMBER[,MEMBER...] POLICY [--comment T] [--position N]",
	"listenerconfig edit NAME hostaccess edit sendergroup GROUP [--add MEMBERS] [--remove MEMBERS] [--policy P] [--comment T] [--name NEWNAME]",
	"listenerconfig edit NAME hostaccess delete sendergroup GROUP",
	"listenerconfig edit NAME hostaccess move GROUP POSITION",
	"listenerconfig edit NAME hostaccess new policy POLICY BEHAVIOR [--PARAM=VALUE ...]",
	"listenerconfig edit NAME hostaccess edit policy POLICY [BEHAVIOR] [--PARAM=VALUE|default ...] [--name NEWNAME]",
	"listenerconfig edit NAME hostaccess delete policy POLICY",
	"listenerconfig edit NAME hostaccess default [--PARAM=VALUE ...]",
	"listenerconfig edit NAME hostaccess print",
	"listenerconfig edit NAME hostaccess import FILE",
	"listenerconfig edit NAME hostaccess export FILE",
	"listenerconfig edit NAME hostaccess clear",
	"listenerconfig edit NAME rcptaccess new ENTRY[,ENTRY...] ACCEPT|REJECT [--code N --text T] [--bypass_receiving_control]",
	"listenerconfig edit NAME rcptaccess edit ENTRY|ALL ACCEPT|REJECT [--code N --text T] [--bypass_receiving_control]",
	"listenerconfig edit NAME rcptaccess delete ENTRY",
	"listenerconfig edit NAME rcptaccess print",
	"listenerconfig edit NAME rcptaccess import FILE",
	"listenerconfig edit NAME rcptaccess export FILE",
	"listenerconfig edit NAME rcptaccess clear",
}

func usageLines() []string {
	u := append([]string(nil), batchForms...)
	u = append(u,
		"Behaviors: ACCEPT, REJECT, TCPREFUSE, RELAY, CONTINUE. Policy names start with $ (it may be left out).",
		"Members: 10.1.1.1, 10.1.1.0/24, 10.1.1., 10.1.1.10-20, 2001:db8::/32, mail.example.com, .example.com,",
		"  dnslist[bl.example.org], sbrs[-10.0:-3.0], sbrs[none].",
		"FILE is a file name in the configuration directory (DATA/configuration), not a path; the HAT file",
		"  format is that of 'hostaccess print' without the default policy parameters.",
		"--PARAM=VALUE may also be written PARAM=VALUE; sizes take k, M, G. Mail flow policy parameters:")
	for _, s := range store.HATParams.Specs {
		names := s.Name
		if len(s.Aliases) > 0 {
			names += " (also " + strings.Join(s.Aliases, ", ") + ")"
		}
		u = append(u, fmt.Sprintf("  --%s: %s", names, shell.ParamHelp(&s)))
	}
	return append(u, connLimitUsage()...)
}

// usage reports a malformed batch line with the forms that start with
// prefix ("edit NAME hostaccess new sendergroup").
func usage(prefix string) error {
	var forms []string
	for _, f := range batchForms {
		if strings.HasPrefix(f, "listenerconfig "+prefix) {
			forms = append(forms, f)
		}
	}
	if len(forms) == 0 {
		forms = batchForms
	}
	return shell.Errorf("Usage: %s", strings.Join(forms, "\n       "))
}

// readOnly reports whether a batch line only reads.
func readOnly(args []string) bool {
	low := make([]string, len(args))
	for i, a := range args {
		low[i] = strings.ToLower(a)
	}
	switch {
	case low[0] == "print":
		return true
	case low[0] == "edit" && len(low) >= 4 && (low[2] == "hostaccess" || low[2] == "rcptaccess"):
		return low[3] == "print" || low[3] == "export"
	}
	return false
}

func batch(c *shell.Ctx, args []string) error {
	if shell.RoleAccess(c.S.Role) < shell.AccessOperator && !readOnly(args) {
		return shell.Errorf("You are not in the correct access group to change listeners.")
	}
	cfg := c.Config()
	switch strings.ToLower(args[0]) {
	case "new":
		return batchNew(c, args[1:])
	case "delete":
		if len(args) != 2 {
			return usage("delete")
		}
		l, err := lookupListener(cfg, args[1])
		if err != nil {
			return err
		}
		deleteListener(cfg, l.Name)
		return nil
	case "print":
		if len(args) > 2 {
			return usage("print")
		}
		if len(args) == 2 {
			l, err := lookupListener(cfg, args[1])
			if err != nil {
				return err
			}
			printListener(c, l)
			return nil
		}
		if len(cfg.Listeners) == 0 {
			c.Printf("No listeners are configured.\n")
		}
		for i := range cfg.Listeners {
			printListener(c, &cfg.Listeners[i])
		}
		return nil
	case "edit":
		if len(args) < 3 {
			return usage("edit")
		}
		l, err := lookupListener(cfg, args[1])
		if err != nil {
			return err
		}
		switch strings.ToLower(args[2]) {
		case "setup":
			return batchSetup(c, l, args[3:])
		case "hostaccess":
			return batchHostAccess(c, l, args[3:])
		case "rcptaccess":
			return batchRcptAccess(c, l, args[3:])
		}
		return shell.Errorf("Unknown listener setting %q: use setup, hostaccess or rcptaccess.", args[2])
	}
	return shell.Errorf("Unknown operation %q: use new, edit, delete or print (see 'help listenerconfig').", args[0])
}

// complete offers, after the sub-operation: listener names; then setup,
// hostaccess, rcptaccess; then their operations; then sender group and
// policy names, RAT entries, files and options.
func complete(c *shell.Ctx, args []string) []string {
	if len(args) <= 1 {
		return nil
	}
	cfg := c.Config()
	low := make([]string, len(args))
	for i, a := range args {
		low[i] = strings.ToLower(a)
	}
	var listeners []string
	for _, l := range cfg.Listeners {
		listeners = append(listeners, l.Name)
	}
	sub := low[0]
	n := len(args) // the last one is the partial word
	switch sub {
	case "edit", "delete", "print":
		if n == 2 {
			return listeners
		}
	case "new":
		if n >= 3 {
			return []string{"--type=", "--address=", "--port=", "--hostname=", "--accept=", "--relay="}
		}
		return nil
	}
	if sub != "edit" || n < 3 {
		return nil
	}
	l := cfg.Listener(args[1])
	if l == nil {
		return nil
	}
	if n == 3 {
		if l.Type == store.ListenerPublic {
			return []string{"setup", "hostaccess", "rcptaccess"}
		}
		return []string{"setup", "hostaccess"}
	}
	switch low[2] {
	case "setup":
		return []string{"--address=", "--port=", "--hostname=", "--max_concurrency=", "--default_domain=", "--name="}
	case "hostaccess":
		return completeHostAccess(c, &l.HAT, low[3:], args[3:])
	case "rcptaccess":
		return completeRcptAccess(c, l, low[3:])
	}
	return nil
}

func paramOptions() []string {
	var out []string
	for _, n := range store.HATParams.Names() {
		out = append(out, "--"+n+"=")
	}
	return out
}

func completeHostAccess(c *shell.Ctx, h *store.HAT, low, args []string) []string {
	var groupNames, policyNames []string
	for _, g := range groups(h) {
		groupNames = append(groupNames, g.Name)
	}
	for _, p := range h.Policies {
		policyNames = append(policyNames, p.Name)
	}
	n := len(low)
	if n == 1 {
		return []string{"new", "edit", "delete", "move", "default", "print", "import", "export", "clear"}
	}
	op := low[0]
	switch op {
	case "new", "edit", "delete":
		if n == 2 {
			return []string{"sendergroup", "policy"}
		}
	case "move":
		if n == 2 {
			return groupNames
		}
		return nil
	case "default":
		return paramOptions()
	case "import":
		if n == 2 {
			return c.ConfigFiles()
		}
		return nil
	default:
		return nil
	}
	kind := low[1]
	switch {
	case op == "new" && kind == "sendergroup":
		if n == 5 {
			return policyNames
		}
		if n > 5 {
			return []string{"--comment=", "--position="}
		}
	case op == "new" && kind == "policy":
		if n == 4 {
			return append([]string(nil), store.Behaviors...)
		}
		if n > 4 {
			return paramOptions()
		}
	case op == "edit" && kind == "sendergroup":
		if n == 3 {
			return append(groupNames, "ALL")
		}
		return []string{"--add=", "--remove=", "--policy=", "--comment=", "--name="}
	case op == "edit" && kind == "policy":
		if n == 3 {
			return policyNames
		}
		out := append([]string{"--name="}, paramOptions()...)
		if n == 4 {
			out = append(out, store.Behaviors...)
		}
		return out
	case op == "delete" && kind == "sendergroup":
		if n == 3 {
			return groupNames
		}
	case op == "delete" && kind == "policy":
		if n == 3 {
			return policyNames
		}
	}
	return nil
}

func completeRcptAccess(c *shell.Ctx, l *store.Listener, low []string) []string {
	n := len(low)
	if n == 1 {
		return []string{"new", "edit", "delete", "print", "import", "export", "clear"}
	}
	var entries []string
	for _, e := range l.RAT {
		entries = append(entries, e.Entry)
	}
	switch low[0] {
	case "edit":
		if n == 2 {
			return entries
		}
	case "delete":
		if n == 2 && len(entries) > 0 {
			return entries[:len(entries)-1]
		}
		return nil
	case "import":
		if n == 2 {
			return c.ConfigFiles()
		}
		return nil
	case "new":
		if n == 2 {
			return nil
		}
	default:
		return nil
	}
	if n == 3 {
		return []string{store.RATAccept, store.RATReject}
	}
	return []string{"--code=", "--text=", "--bypass_receiving_control"}
}
