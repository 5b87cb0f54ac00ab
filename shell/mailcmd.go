package shell

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"seg/internal/mailapi"
	"seg/store"
)

// The mail-system commands are thin: they check their arguments, ask in
// the interactive form, and call the MailSystem method of the command
// with typed arguments (shell/mailsystem.go); the method prints the
// report. check and ask each return that call, so a command's batch and
// interactive forms end in the same request.

// mailCall is a checked request to the mail system, ready to run.
type mailCall func(ms MailSystem, w io.Writer) error

// mailCmd describes one mail-system command.
type mailCmd struct {
	name, help string
	usage      []string
	access     Access
	sub        []string
	complete   func(c *Ctx, args []string) []string
	// check validates batch arguments (len(args) > 0); nil: the command
	// takes none.
	check func(c *Ctx, args []string) (mailCall, error)
	// ask builds the call in the interactive form when no arguments were
	// given; nil: plain runs there too.
	ask func(c *Ctx) (mailCall, error)
	// plain is the call without arguments where nothing is asked (nil:
	// arguments are required there). Batch runs ask nothing: a menu
	// printed into a script's output helps nobody.
	plain mailCall
}

func (m mailCmd) command() *Command {
	return &Command{
		Name:     m.name,
		Help:     m.help,
		Usage:    m.usage,
		Access:   m.access,
		Sub:      m.sub,
		Complete: m.complete,
		Run: func(c *Ctx, args []string) error {
			var call mailCall
			if len(args) > 0 {
				if m.check == nil {
					return fmt.Errorf("%s takes no arguments.", m.name)
				}
				var err error
				if call, err = m.check(c, args); err != nil {
					return err
				}
			}
			// Before any question: offline there is nothing to ask about.
			ms, err := c.Mail()
			if err != nil {
				return err
			}
			if call == nil {
				switch {
				case m.ask != nil && c.S.Interactive:
					call, err = m.ask(c)
				case m.plain != nil:
					call = m.plain
				default:
					err = fmt.Errorf("%s needs arguments here. Usage: %s", m.name, strings.Join(m.usage, " | "))
				}
				if err != nil {
					return err
				}
			}
			return call(ms, c.Out)
		},
	}
}

// MailCommands returns the commands served by the running MTA (tophosts,
// hoststatus, status, workqueue, the queue commands, findevent).
func MailCommands() []*Command {
	selector := []string{"--domain", "--sender", "--all"}
	cmds := []mailCmd{
		{
			name: "tophosts", help: "Show the top 20 recipient hosts in the queue ('--cluster': summed over the cluster's machines).",
			usage:  []string{"tophosts [1-5] [--cluster]   (sort: 1 Active Recipients, 2 Connections Out, 3 Delivered Recipients, 4 Hard Bounced Recipients, 5 Soft Bounced Events)"},
			access: AccessGuest, sub: []string{"1", "2", "3", "4", "5", "--cluster"},
			check: func(c *Ctx, args []string) (mailCall, error) {
				o, err := ParseOpts(args, "cluster")
				usage := errors.New("Usage: tophosts [1-5] [--cluster] (the sort order, a number from 1 to 5)")
				if err != nil || o.Only("cluster") != nil || !flagForm(o, "cluster") || len(o.Pos) > 1 {
					return nil, usage
				}
				order := mailapi.ByActiveRecipients
				if len(o.Pos) == 1 {
					n, err := strconv.Atoi(o.Pos[0])
					if err != nil || !mailapi.HostOrder(n).Valid() {
						return nil, usage
					}
					order = mailapi.HostOrder(n)
				}
				if o.Named["cluster"] == "on" {
					return func(_ MailSystem, w io.Writer) error { return clusterTopHosts(c, w, order) }, nil
				}
				return topHosts(order), nil
			},
			ask: func(c *Ctx) (mailCall, error) {
				i, err := c.Choose("Sort results by:", topHostsSort(), 1)
				if err != nil {
					return nil, err
				}
				return topHosts(mailapi.HostOrder(i + 1)), nil
			},
			plain: topHosts(mailapi.ByActiveRecipients),
		},
		{
			name: "hoststatus", help: "Show the delivery status of a recipient host.",
			usage:  []string{"hoststatus DOMAIN"},
			access: AccessGuest,
			check: func(c *Ctx, args []string) (mailCall, error) {
				if len(args) != 1 {
					return nil, errors.New("Usage: hoststatus DOMAIN")
				}
				d, err := checkHost(args[0])
				if err != nil {
					return nil, err
				}
				return onHost(MailSystem.HostStatus, d), nil
			},
			ask: func(c *Ctx) (mailCall, error) {
				d, err := c.AskRequired("Recipient host:", "", checkHost)
				return onHost(MailSystem.HostStatus, d), err
			},
		},
		{
			name: "status", help: "Show system status and counters ('status detail' adds rates; '--cluster' sums over the cluster's machines).",
			usage:  []string{"status [detail] [--cluster]"},
			access: AccessGuest, sub: []string{"detail", "--cluster"},
			check: func(c *Ctx, args []string) (mailCall, error) {
				o, err := ParseOpts(args, "cluster")
				if err != nil || o.Only("cluster") != nil || !flagForm(o, "cluster") || len(o.Pos) > 1 || len(o.Pos) == 1 && !strings.EqualFold(o.Pos[0], "detail") {
					return nil, errors.New("Usage: status [detail] [--cluster]")
				}
				detail := len(o.Pos) == 1
				if o.Named["cluster"] == "on" {
					return func(_ MailSystem, w io.Writer) error { return clusterStatus(c, w, detail) }, nil
				}
				return status(detail), nil
			},
			plain: status(false),
		},
		{
			name: "resetcounters", help: "Reset the counters shown in the Reset column of status.",
			usage: []string{"resetcounters"}, access: AccessOperator,
			plain: MailSystem.ResetCounters,
		},
		{
			name: "workqueue", help: "Show the work queue (empty: seg scans in-line, before the 250) and the delivery queue.",
			usage: []string{"workqueue"}, access: AccessGuest,
			plain: MailSystem.WorkQueue,
		},
		recipientsCmd("showrecipients", "Show the messages in the delivery queue.", AccessReadOnly, "show", 3, MailSystem.ShowRecipients),
		recipientsCmd("deleterecipients", "Delete recipients from the delivery queue.", AccessOperator, "delete", 0, MailSystem.DeleteRecipients),
		recipientsCmd("bouncerecipients", "Bounce recipients in the delivery queue.", AccessOperator, "bounce", 0, MailSystem.BounceRecipients),
		redirectCmd(selector),
		{
			name: "delivernow", help: "Retry delivery at once, for one recipient host or ALL.",
			usage:  []string{"delivernow [DOMAIN|ALL]"},
			access: AccessOperator, sub: []string{"ALL"},
			check: func(c *Ctx, args []string) (mailCall, error) {
				if len(args) != 1 {
					return nil, errors.New("Usage: delivernow [DOMAIN|ALL]")
				}
				d, err := checkHostOrAll(args[0])
				if err != nil {
					return nil, err
				}
				return onHost(MailSystem.DeliverNow, d), nil
			},
			ask: func(c *Ctx) (mailCall, error) {
				d, err := c.Ask("Enter the recipient host to deliver now, or ALL for every host.", "ALL", checkHostOrAll)
				return onHost(MailSystem.DeliverNow, d), err
			},
			plain: onHost(MailSystem.DeliverNow, "ALL"),
		},
		domainCmd("suspenddel", "Suspend delivery, for one recipient host or all.", MailSystem.SuspendDelivery),
		domainCmd("resumedel", "Resume suspended delivery, for one recipient host or all.", MailSystem.ResumeDelivery),
		listenerCmd("suspendlistener", "Stop accepting connections on one listener or all.", MailSystem.SuspendListener),
		listenerCmd("resumelistener", "Accept connections again on one listener or all.", MailSystem.ResumeListener),
		findeventCmd(),
		traceCmd(),
	}
	out := make([]*Command, len(cmds))
	for i, m := range cmds {
		out[i] = m.command()
	}
	return out
}

func topHosts(o mailapi.HostOrder) mailCall {
	return func(ms MailSystem, w io.Writer) error { return ms.TopHosts(w, o) }
}

func status(detail bool) mailCall {
	return func(ms MailSystem, w io.Writer) error { return ms.Status(w, detail) }
}

// nameMethod is a MailSystem method that takes a recipient host or a
// listener name ("": all of them).
type nameMethod func(ms MailSystem, w io.Writer, name string) error

// onHost is the call of f for host, as checkHost or checkHostOrAll
// returns it: "ALL" is every host.
func onHost(f nameMethod, host string) mailCall {
	if host == "ALL" {
		host = ""
	}
	return onName(f, host)
}

// onName is the call of f for name ("": all).
func onName(f nameMethod, name string) mailCall {
	return func(ms MailSystem, w io.Writer) error { return f(ms, w, name) }
}

// topHostsSort is the tophosts sort menu, numbered from 1.
func topHostsSort() []string {
	return []string{
		"Active Recipients",
		"Connections Out",
		"Delivered Recipients",
		"Hard Bounced Recipients",
		"Soft Bounced Events",
	}
}

func checkHost(s string) (string, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if !store.ValidDomain(s) {
		return "", fmt.Errorf("Invalid hostname format %q: enter a domain such as example.com.", s)
	}
	return strings.ToLower(s), nil
}

func checkHostOrAll(s string) (string, error) {
	if strings.EqualFold(strings.TrimSpace(s), "ALL") {
		return "ALL", nil
	}
	return checkHost(s)
}

// parseSelector reads --domain D | --sender S | --all (exactly one) and
// the extra options allowed; it returns the selector and the parsed
// options.
func parseSelector(cmd string, args []string, extra ...string) (mailapi.Selector, Opts, error) {
	var sel mailapi.Selector
	usage := fmt.Errorf("Usage: %s --domain DOMAIN | --sender ADDRESS | --all", cmd)
	o, err := ParseOpts(args, "all")
	if err != nil {
		return sel, o, err
	}
	if err := o.Only(append([]string{"domain", "sender", "all"}, extra...)...); err != nil {
		return sel, o, err
	}
	if len(o.Pos) > 0 {
		return sel, o, fmt.Errorf("Unknown argument %q. %v", o.Pos[0], usage)
	}
	set := false
	for _, n := range []string{"domain", "sender", "all"} {
		v, ok := o.Named[n]
		if !ok {
			continue
		}
		if set {
			return sel, o, fmt.Errorf("Give only one of --domain, --sender and --all.")
		}
		set = true
		switch n {
		case "domain":
			d, err := checkHost(v)
			if err != nil {
				return sel, o, err
			}
			sel.Domain = d
		case "sender":
			if !store.ValidAddress(v) && v != "<>" {
				return sel, o, fmt.Errorf("Not a valid email address: %q (use <> for the null sender).", v)
			}
			sel.Sender = v
		case "all":
			if v != "on" {
				return sel, o, fmt.Errorf("--all takes no value.")
			}
			sel.All = true
		}
	}
	if !set {
		return sel, o, usage
	}
	return sel, o, nil
}

// askSelector is the interactive selector menu; def is the 1-based
// default (0: none, so batch runs without arguments need input).
func askSelector(c *Ctx, verb string, def int) (mailapi.Selector, error) {
	i, err := c.Choose("Please select how you would like to "+verb+" messages:",
		[]string{"By recipient host.", "By Envelope From address.", "All."}, def)
	if err != nil {
		return mailapi.Selector{}, err
	}
	switch i {
	case 0:
		d, err := c.AskRequired("Please enter the hostname for the messages you wish to "+verb+".", "", checkHost)
		return mailapi.Selector{Domain: d}, err
	case 1:
		a, err := c.AskRequired("Please enter the Envelope From address for the messages you wish to "+verb+".", "",
			func(s string) (string, error) {
				if !store.ValidAddress(s) && s != "<>" {
					return "", fmt.Errorf("Not a valid email address: %q.", s)
				}
				return s, nil
			})
		return mailapi.Selector{Sender: a}, err
	}
	return mailapi.Selector{All: true}, nil
}

// selectorMethod is a MailSystem method that acts on the queued
// recipients a selector chooses.
type selectorMethod func(ms MailSystem, w io.Writer, sel mailapi.Selector) error

func recipientsCmd(name, help string, access Access, verb string, def int, f selectorMethod) mailCmd {
	call := func(sel mailapi.Selector) mailCall {
		return func(ms MailSystem, w io.Writer) error { return f(ms, w, sel) }
	}
	var plain mailCall
	if def == 3 {
		plain = call(mailapi.Selector{All: true})
	}
	return mailCmd{
		plain: plain,
		name:  name, help: help, access: access,
		usage: []string{name + " --domain DOMAIN | --sender ADDRESS | --all"},
		sub:   []string{"--domain", "--sender", "--all"},
		check: func(c *Ctx, args []string) (mailCall, error) {
			sel, _, err := parseSelector(name, args)
			if err != nil {
				return nil, err
			}
			return call(sel), nil
		},
		ask: func(c *Ctx) (mailCall, error) {
			sel, err := askSelector(c, verb, def)
			if err != nil {
				return nil, err
			}
			if verb != "show" {
				if ok, err := confirmAll(c, sel, verb); !ok || err != nil {
					return declined(verb), err
				}
			}
			return call(sel), nil
		},
	}
}

// confirmAll asks AsyncOS's confirmation before a destructive operation
// on the whole queue (default No); other selections are not asked about.
// Batch forms never ask: the script named --all itself.
func confirmAll(c *Ctx, sel mailapi.Selector, verb string) (bool, error) {
	if !sel.All {
		return true, nil
	}
	return c.AskYN("Are you sure you want to "+verb+" all messages in the delivery queue (all recipients)?", false)
}

// declined is the call when the confirmation was answered No: nothing is
// asked of the mail system, and the admin is told so.
func declined(verb string) mailCall {
	return func(_ MailSystem, w io.Writer) error {
		_, err := fmt.Fprintf(w, "No recipients were %sd.\n", verb)
		return err
	}
}

func redirectCmd(selector []string) mailCmd {
	const name = "redirectrecipients"
	call := func(sel mailapi.Selector, host string) mailCall {
		return func(ms MailSystem, w io.Writer) error { return ms.RedirectRecipients(w, sel, host) }
	}
	return mailCmd{
		name: name, help: "Send queued recipients to another host instead.", access: AccessOperator,
		usage: []string{name + " --domain DOMAIN | --sender ADDRESS | --all --to HOST"},
		sub:   append(selector, "--to"),
		check: func(c *Ctx, args []string) (mailCall, error) {
			sel, o, err := parseSelector(name, args, "to")
			if err != nil {
				return nil, err
			}
			to, ok := o.Named["to"]
			if !ok {
				return nil, errors.New("redirectrecipients needs --to HOST (the host to send the mail to).")
			}
			h, err := checkRelayHost(to)
			if err != nil {
				return nil, err
			}
			return call(sel, h), nil
		},
		ask: func(c *Ctx) (mailCall, error) {
			h, err := c.AskRequired("Please enter the hostname or IP address of the machine you want to send the mail to.", "", checkRelayHost)
			if err != nil {
				return nil, err
			}
			sel, err := askSelector(c, "redirect", 0)
			if err != nil {
				return nil, err
			}
			if ok, err := confirmAll(c, sel, "redirect"); !ok || err != nil {
				return declined("redirect"), err
			}
			return call(sel, h), nil
		},
	}
}

// checkRelayHost accepts host or host:port.
func checkRelayHost(s string) (string, error) {
	s = strings.TrimSpace(s)
	if store.ValidDomain(s) {
		return strings.ToLower(s), nil
	}
	if err := store.ValidHostPort(s); err != nil {
		return "", fmt.Errorf("Invalid host %q: enter a hostname or IP address, optionally with :PORT.", s)
	}
	return s, nil
}

func domainCmd(name, help string, f nameMethod) mailCmd {
	return mailCmd{
		name: name, help: help, access: AccessOperator,
		usage: []string{name + "          (every host)", name + " DOMAIN"},
		check: func(c *Ctx, args []string) (mailCall, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("Usage: %s [DOMAIN]", name)
			}
			// ALL, as delivernow spells it, is every host too.
			d, err := checkHostOrAll(args[0])
			if err != nil {
				return nil, err
			}
			return onHost(f, d), nil
		},
		plain: onName(f, ""),
	}
}

func listenerCmd(name, help string, f nameMethod) mailCmd {
	return mailCmd{
		name: name, help: help, access: AccessOperator,
		usage: []string{name + "          (every listener)", name + " NAME"},
		complete: func(c *Ctx, args []string) []string {
			if len(args) != 1 {
				return nil
			}
			var names []string
			for _, l := range c.Running().Listeners {
				names = append(names, l.Name)
			}
			return names
		},
		check: func(c *Ctx, args []string) (mailCall, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("Usage: %s [NAME]", name)
			}
			run := c.Running()
			l := run.Listener(args[0])
			if l == nil {
				var names []string
				for _, l := range run.Listeners {
					names = append(names, l.Name)
				}
				return nil, fmt.Errorf("Unknown listener %q (configured: %s).", args[0], strings.Join(names, ", "))
			}
			return onName(f, l.Name), nil
		},
		plain: onName(f, ""),
	}
}

// checkMID reads a message number (MIDs start at 1): digits only.
func checkMID(s string) (int64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 63)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("Not a valid MID: %q (a message number such as 12345).", s)
	}
	return int64(n), nil
}
