package shell

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"seg/store"
)

// The mail-system commands are thin: they check their arguments, ask in
// the interactive form, and hand the normalised batch arguments to
// MailSystem.Command, which prints the report. The arguments MailSystem
// receives are always in these forms:
//
//	tophosts N                          (1-5)
//	hoststatus DOMAIN
//	status | status detail
//	resetcounters | workqueue
//	showrecipients|deleterecipients|bouncerecipients --domain D | --sender S | --all
//	redirectrecipients (same selector) --to HOST
//	delivernow ALL | delivernow DOMAIN
//	suspenddel | suspenddel DOMAIN      resumedel | resumedel DOMAIN
//	suspendlistener | suspendlistener NAME   (same for resumelistener)
//	findevent --mid N | --from RE | --to RE | --subject RE
//	tail mail_logs                      grep PATTERN mail_logs

// mailCmd describes one mail-system command.
type mailCmd struct {
	name, help string
	usage      []string
	access     Access
	sub        []string
	complete   func(c *Ctx, args []string) []string
	// check validates and normalises batch arguments (len(args) > 0).
	check func(c *Ctx, args []string) ([]string, error)
	// ask builds the arguments when none were given in the interactive
	// form; nil: the command runs with no arguments.
	ask func(c *Ctx) ([]string, error)
	// batchDefault are the arguments of a batch run without any (nil:
	// arguments are required there). Batch runs ask nothing: a menu
	// printed into a script's output helps nobody.
	batchDefault []string
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
			var err error
			if len(args) > 0 {
				if m.check == nil {
					return fmt.Errorf("%s takes no arguments.", m.name)
				}
				if args, err = m.check(c, args); err != nil {
					return err
				}
			}
			// Before any question: offline there is nothing to ask about.
			ms, err := c.Mail()
			if err != nil {
				return err
			}
			if len(args) == 0 && m.ask != nil {
				switch {
				case c.S.Interactive:
					args, err = m.ask(c)
				case m.batchDefault != nil:
					args = m.batchDefault
				default:
					err = fmt.Errorf("%s needs arguments here. Usage: %s", m.name, strings.Join(m.usage, " | "))
				}
				if err != nil {
					return err
				}
			}
			return ms.Command(m.name, args, c.Out)
		},
	}
}

// MailCommands returns the commands served by the running MTA (tophosts,
// hoststatus, status, workqueue, the queue commands, findevent, tail, grep).
func MailCommands() []*Command {
	selector := []string{"--domain", "--sender", "--all"}
	cmds := []mailCmd{
		{
			name: "tophosts", help: "Show the top 20 recipient hosts in the queue.",
			usage:  []string{"tophosts [1-5]   (sort: 1 Active Recipients, 2 Connections Out, 3 Delivered Recipients, 4 Hard Bounced Recipients, 5 Soft Bounced Events)"},
			access: AccessGuest, sub: []string{"1", "2", "3", "4", "5"},
			check: func(c *Ctx, args []string) ([]string, error) {
				if len(args) == 1 {
					if n, err := strconv.Atoi(args[0]); err == nil && n >= 1 && n <= 5 {
						return []string{strconv.Itoa(n)}, nil
					}
				}
				return nil, errors.New("Usage: tophosts [1-5] (the sort order, a number from 1 to 5)")
			},
			ask: func(c *Ctx) ([]string, error) {
				i, err := c.Choose("Sort results by:", topHostsSort(), 1)
				if err != nil {
					return nil, err
				}
				return []string{strconv.Itoa(i + 1)}, nil
			},
			batchDefault: []string{"1"},
		},
		{
			name: "hoststatus", help: "Show the delivery status of a recipient host.",
			usage:  []string{"hoststatus DOMAIN"},
			access: AccessGuest,
			check: func(c *Ctx, args []string) ([]string, error) {
				if len(args) != 1 {
					return nil, errors.New("Usage: hoststatus DOMAIN")
				}
				d, err := checkHost(args[0])
				return []string{d}, err
			},
			ask: func(c *Ctx) ([]string, error) {
				d, err := c.AskRequired("Recipient host:", "", checkHost)
				return []string{d}, err
			},
		},
		{
			name: "status", help: "Show system status and counters ('status detail' adds rates).",
			usage:  []string{"status", "status detail"},
			access: AccessGuest, sub: []string{"detail"},
			check: func(c *Ctx, args []string) ([]string, error) {
				if len(args) == 1 && strings.EqualFold(args[0], "detail") {
					return []string{"detail"}, nil
				}
				return nil, errors.New("Usage: status [detail]")
			},
		},
		{
			name: "resetcounters", help: "Reset the counters shown in the Reset column of status.",
			usage: []string{"resetcounters"}, access: AccessOperator,
		},
		{
			name: "workqueue", help: "Show the messages waiting in the work queue.",
			usage: []string{"workqueue"}, access: AccessGuest,
		},
		recipientsCmd("showrecipients", "Show the messages in the delivery queue.", AccessReadOnly, "show", 3),
		recipientsCmd("deleterecipients", "Delete recipients from the delivery queue.", AccessOperator, "delete", 0),
		recipientsCmd("bouncerecipients", "Bounce recipients in the delivery queue.", AccessOperator, "bounce", 0),
		redirectCmd(selector),
		{
			name: "delivernow", help: "Retry delivery at once, for one recipient host or ALL.",
			usage:  []string{"delivernow [DOMAIN|ALL]"},
			access: AccessOperator, sub: []string{"ALL"},
			check: func(c *Ctx, args []string) ([]string, error) {
				if len(args) != 1 {
					return nil, errors.New("Usage: delivernow [DOMAIN|ALL]")
				}
				d, err := checkHostOrAll(args[0])
				return []string{d}, err
			},
			ask: func(c *Ctx) ([]string, error) {
				d, err := c.Ask("Enter the recipient host to deliver now, or ALL for every host.", "ALL", checkHostOrAll)
				return []string{d}, err
			},
			batchDefault: []string{"ALL"},
		},
		domainCmd("suspenddel", "Suspend delivery, for one recipient host or all."),
		domainCmd("resumedel", "Resume suspended delivery, for one recipient host or all."),
		listenerCmd("suspendlistener", "Stop accepting connections on one listener or all."),
		listenerCmd("resumelistener", "Accept connections again on one listener or all."),
		findeventCmd(),
		{
			name: "tail", help: "Show the last 40 lines of a log.",
			usage:  []string{"tail [mail_logs]"},
			access: AccessReadOnly, sub: []string{"mail_logs"},
			check: func(c *Ctx, args []string) ([]string, error) {
				if len(args) == 1 && args[0] == "mail_logs" {
					return args, nil
				}
				return nil, errors.New("Usage: tail [mail_logs] (the only log is mail_logs)")
			},
			ask:          func(c *Ctx) ([]string, error) { return []string{"mail_logs"}, nil },
			batchDefault: []string{"mail_logs"},
		},
		{
			name: "grep", help: "Search a log for lines matching a regular expression.",
			usage:  []string{"grep PATTERN [mail_logs]"},
			access: AccessReadOnly,
			check: func(c *Ctx, args []string) ([]string, error) {
				if (len(args) == 1 || len(args) == 2 && args[1] == "mail_logs") && args[0] != "" {
					return []string{args[0], "mail_logs"}, nil
				}
				return nil, errors.New("Usage: grep PATTERN [mail_logs] (the only log is mail_logs)")
			},
			ask: func(c *Ctx) ([]string, error) {
				p, err := c.AskRequired("Enter the regular expression to grep.", "", nil)
				return []string{p, "mail_logs"}, err
			},
		},
	}
	out := make([]*Command, len(cmds))
	for i, m := range cmds {
		out[i] = m.command()
	}
	return out
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
// the extra options allowed; it returns the normalised selector args and
// the parsed options.
func parseSelector(cmd string, args []string, extra ...string) ([]string, Opts, error) {
	usage := fmt.Errorf("Usage: %s --domain DOMAIN | --sender ADDRESS | --all", cmd)
	o, err := ParseOpts(args, "all")
	if err != nil {
		return nil, o, err
	}
	if err := o.Only(append([]string{"domain", "sender", "all"}, extra...)...); err != nil {
		return nil, o, err
	}
	if len(o.Pos) > 0 {
		return nil, o, fmt.Errorf("Unknown argument %q. %v", o.Pos[0], usage)
	}
	var sel []string
	for _, n := range []string{"domain", "sender", "all"} {
		v, ok := o.Named[n]
		if !ok {
			continue
		}
		if sel != nil {
			return nil, o, fmt.Errorf("Give only one of --domain, --sender and --all.")
		}
		switch n {
		case "domain":
			d, err := checkHost(v)
			if err != nil {
				return nil, o, err
			}
			sel = []string{"--domain", d}
		case "sender":
			if !store.ValidAddress(v) && v != "<>" {
				return nil, o, fmt.Errorf("Not a valid email address: %q (use <> for the null sender).", v)
			}
			sel = []string{"--sender", v}
		case "all":
			if v != "on" {
				return nil, o, fmt.Errorf("--all takes no value.")
			}
			sel = []string{"--all"}
		}
	}
	if sel == nil {
		return nil, o, usage
	}
	return sel, o, nil
}

// askSelector is the interactive selector menu; def is the 1-based
// default (0: none, so batch runs without arguments need input).
func askSelector(c *Ctx, verb string, def int) ([]string, error) {
	i, err := c.Choose("Please select how you would like to "+verb+" messages:",
		[]string{"By recipient host.", "By Envelope From address.", "All."}, def)
	if err != nil {
		return nil, err
	}
	switch i {
	case 0:
		d, err := c.AskRequired("Please enter the hostname for the messages you wish to "+verb+".", "", checkHost)
		return []string{"--domain", d}, err
	case 1:
		a, err := c.AskRequired("Please enter the Envelope From address for the messages you wish to "+verb+".", "",
			func(s string) (string, error) {
				if !store.ValidAddress(s) && s != "<>" {
					return "", fmt.Errorf("Not a valid email address: %q.", s)
				}
				return s, nil
			})
		return []string{"--sender", a}, err
	}
	return []string{"--all"}, nil
}

func recipientsCmd(name, help string, access Access, verb string, def int) mailCmd {
	var batch []string
	if def == 3 {
		batch = []string{"--all"}
	}
	return mailCmd{
		batchDefault: batch,
		name:         name, help: help, access: access,
		usage: []string{name + " --domain DOMAIN | --sender ADDRESS | --all"},
		sub:   []string{"--domain", "--sender", "--all"},
		check: func(c *Ctx, args []string) ([]string, error) {
			sel, _, err := parseSelector(name, args)
			return sel, err
		},
		ask: func(c *Ctx) ([]string, error) { return askSelector(c, verb, def) },
	}
}

func redirectCmd(selector []string) mailCmd {
	const name = "redirectrecipients"
	return mailCmd{
		name: name, help: "Send queued recipients to another host instead.", access: AccessOperator,
		usage: []string{name + " --domain DOMAIN | --sender ADDRESS | --all --to HOST"},
		sub:   append(selector, "--to"),
		check: func(c *Ctx, args []string) ([]string, error) {
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
			return append(sel, "--to", h), nil
		},
		ask: func(c *Ctx) ([]string, error) {
			h, err := c.AskRequired("Please enter the hostname or IP address of the machine you want to send the mail to.", "", checkRelayHost)
			if err != nil {
				return nil, err
			}
			sel, err := askSelector(c, "redirect", 0)
			if err != nil {
				return nil, err
			}
			return append(sel, "--to", h), nil
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

func domainCmd(name, help string) mailCmd {
	return mailCmd{
		name: name, help: help, access: AccessOperator,
		usage: []string{name + "          (every host)", name + " DOMAIN"},
		check: func(c *Ctx, args []string) ([]string, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("Usage: %s [DOMAIN]", name)
			}
			d, err := checkHost(args[0])
			return []string{d}, err
		},
	}
}

func listenerCmd(name, help string) mailCmd {
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
		check: func(c *Ctx, args []string) ([]string, error) {
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
			return []string{l.Name}, nil
		},
	}
}

func findeventCmd() mailCmd {
	keys := []string{"mid", "from", "to", "subject"}
	return mailCmd{
		name: "findevent", help: "Find a message's events in mail_logs.",
		usage:  []string{"findevent --mid N | --from REGEX | --to REGEX | --subject REGEX"},
		access: AccessReadOnly, sub: []string{"--mid", "--from", "--to", "--subject"},
		check: func(c *Ctx, args []string) ([]string, error) {
			usage := errors.New("Usage: findevent --mid N | --from REGEX | --to REGEX | --subject REGEX")
			o, err := ParseOpts(args)
			if err != nil {
				return nil, err
			}
			if err := o.Only(keys...); err != nil {
				return nil, err
			}
			if len(o.Pos) > 0 || len(o.Order) != 1 {
				return nil, usage
			}
			k := o.Order[0]
			v := o.Named[k]
			if k == "mid" {
				if _, err := checkMID(v); err != nil {
					return nil, err
				}
			} else if v == "" {
				return nil, usage
			}
			return []string{"--" + k, v}, nil
		},
		ask: func(c *Ctx) ([]string, error) {
			i, err := c.Choose("Please choose which type of search you want to perform:",
				[]string{"Search by envelope FROM", "Search by Message ID", "Search by Subject", "Search by envelope TO"}, 1)
			if err != nil {
				return nil, err
			}
			if i == 1 {
				v, err := c.AskRequired("Enter the Message ID (MID) to search for.", "", checkMID)
				return []string{"--mid", v}, err
			}
			v, err := c.AskRequired("Enter the regular expression to search for.", "", nil)
			return []string{"--" + [...]string{"from", "", "subject", "to"}[i], v}, err
		},
	}
}

func checkMID(s string) (string, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n == 0 {
		return "", fmt.Errorf("Not a valid MID: %q (a message number such as 12345).", s)
	}
	return strconv.FormatUint(n, 10), nil
}
