package configcmd

import (
	"fmt"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// exceptionconfig: the sender verification exception table (SPEC 10).
// An entry names an envelope sender (user@example.com), a domain
// (@example.com) or the subdomains of one (@.example.com); ACCEPT skips
// the DNS verification, REJECT refuses the sender with the entry's code
// and text (553 and "#5.7.1 Envelope sender <$EnvelopeSender> rejected"
// when none). The table is consulted only by policies with
// sender_verification and sender_verification_exceptions on.

func exceptionconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "exceptionconfig",
		Help:   "Configure the sender verification exception table (consulted when a policy has sender_verification_exceptions on).",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			if n := len(cfg.SenderExceptions); n == 0 {
				c.Printf("\nThere are no entries in the exception table.\n")
			} else if n == 1 {
				c.Printf("\nThere is currently 1 entry in the exception table.\n")
			} else {
				c.Printf("\nThere are currently %d entries in the exception table.\n", n)
			}
		},
		Table: &shell.Table[*store.Config]{Prefix: "exceptionconfig", Ops: exceptionOps},
	}.Command()
}

var exceptionOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a new entry.",
		Usage: []string{"ADDRESS|@DOMAIN|@.DOMAIN ACCEPT|REJECT [--code N --text T]   (REJECT default: 553 \"" + store.DefaultExceptionText + "\")"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("code", "text"); err != nil {
				return err
			}
			if len(o.Pos) != 2 {
				return shell.ErrUsage
			}
			e, err := exceptionEntry(o.Pos[0], o.Pos[1], o.Named["code"], o.Named["text"])
			if err != nil {
				return err
			}
			return addException(cfg, e)
		},
		Menu: exceptionNewMenu},
	{Name: "delete", Desc: "Remove an entry.",
		Usage: []string{"ADDRESS|@DOMAIN|@.DOMAIN"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			w, err := shell.UserWords(args)
			if err != nil {
				return err
			}
			if len(w) != 1 {
				return shell.ErrUsage
			}
			return deleteException(cfg, w[0])
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			if len(cfg.SenderExceptions) == 0 {
				return shell.Errorf("There are no entries in the exception table.")
			}
			m, err := shell.Ask(c, "Enter the address or domain of the entry you want to delete.", "", func(s string) (string, error) {
				if s != "" && cfg.SenderExceptionEntry(s) == nil {
					return "", exceptionNotFound(s)
				}
				return s, nil
			})
			if err != nil || m == "" {
				return err
			}
			return deleteException(cfg, m)
		},
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) == 1 {
				return names(cfg.SenderExceptions, func(e *store.SenderException) string { return e.Match })
			}
			return nil
		}},
	shell.PrintOp("Display the exception table.", func(c *shell.Ctx, cfg *store.Config) string { return exceptionsText(cfg) }),
}

// exceptionEntry builds and checks an entry from its words.
func exceptionEntry(match, action, code, text string) (store.SenderException, error) {
	m, err := store.CanonSenderExceptionMatch(strings.TrimSpace(match))
	if err != nil {
		return store.SenderException{}, shell.Errorf("%s", shell.Sentence(err.Error()))
	}
	a, err := store.CanonRATAction(action)
	if err != nil {
		return store.SenderException{}, shell.Errorf("%s", shell.Sentence(err.Error()))
	}
	e := store.SenderException{Match: m, Action: a, Text: strings.TrimSpace(text)}
	if code != "" {
		n, err := strconv.Atoi(code)
		if err != nil {
			return e, shell.Errorf("The response code %s is not a number.", store.Excerpt(code))
		}
		e.Code = n
	}
	if err := store.CheckSenderException(e); err != nil {
		return e, shell.Errorf("%s", shell.Sentence(err.Error()))
	}
	return e, nil
}

func addException(cfg *store.Config, e store.SenderException) error {
	if cfg.SenderExceptionEntry(e.Match) != nil {
		return shell.Errorf("An entry for %s already exists: delete it first.", e.Match)
	}
	cfg.SenderExceptions = append(cfg.SenderExceptions, e)
	return nil
}

func deleteException(cfg *store.Config, match string) error {
	m, err := store.CanonSenderExceptionMatch(strings.TrimSpace(match))
	if err != nil {
		return shell.Errorf("%s", shell.Sentence(err.Error()))
	}
	for i := range cfg.SenderExceptions {
		if cfg.SenderExceptions[i].Match == m {
			cfg.SenderExceptions = without(cfg.SenderExceptions, i)
			return nil
		}
	}
	return exceptionNotFound(match)
}

func exceptionNotFound(m string) error {
	return shell.Errorf("There is no entry for %s in the exception table.", store.Excerpt(m))
}

func exceptionsText(cfg *store.Config) string {
	if len(cfg.SenderExceptions) == 0 {
		return "There are no entries in the exception table.\n"
	}
	var b strings.Builder
	for _, e := range cfg.SenderExceptions {
		fmt.Fprintf(&b, "%s %s", e.Match, e.Action)
		if e.Action == store.RATReject {
			code, text := e.Reply()
			fmt.Fprintf(&b, " %d %q", code, text)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func exceptionNewMenu(c *shell.Ctx, cfg *store.Config) error {
	m, err := shell.AskRequired(c, `Enter an envelope sender address (user@example.com), a domain (@example.com) or the subdomains of one (@.example.com).`, "", func(s string) (string, error) {
		m, err := store.CanonSenderExceptionMatch(strings.TrimSpace(s))
		if err != nil {
			return "", shell.Errorf("%s", shell.Sentence(err.Error()))
		}
		if cfg.SenderExceptionEntry(m) != nil {
			return "", shell.Errorf("An entry for %s already exists.", m)
		}
		return m, nil
	})
	if err != nil {
		return err
	}
	i, err := shell.Choose(c, "Choose the action for senders that match.", []string{"ACCEPT: skip envelope sender verification", "REJECT: refuse the sender"}, 1)
	if err != nil {
		return err
	}
	if i == 0 {
		return addException(cfg, store.SenderException{Match: m, Action: store.RATAccept})
	}
	code := ""
	if _, err := shell.Ask(c, "Enter the SMTP code to use in the response. 553 is the standard code.", "553", func(s string) (string, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 400 || n > 599 {
			return "", shell.Errorf("Enter a code from 400 to 599.")
		}
		code = s
		return s, nil
	}); err != nil {
		return err
	}
	text, err := shell.Ask(c, "Enter your custom SMTP response.", store.DefaultExceptionText, nil)
	if err != nil {
		return err
	}
	e, err := exceptionEntry(m, store.RATReject, code, text)
	if err != nil {
		return err
	}
	return addException(cfg, e)
}
