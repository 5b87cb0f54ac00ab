package configcmd

import (
	"seg/shell"
	"seg/store"
)

// setupCommand is the shape of the commands whose whole setting is one
// SETUP operation (dnsconfig, metricsconfig, sshconfig, tdcconfig):
// without arguments, the state and a menu with SETUP; `NAME print`; and
// `NAME setup --OPTION...`, the batch form of SETUP.
type setupCommand struct {
	name, help string
	setup      []string // setup's forms, after "NAME setup"
	notes      []string // usage lines after the forms
	opts       []string // setup's options, without "--"
	flags      []string // those of opts that take no value
	menu       string   // the SETUP operation's description
	text       func(cfg *store.Config) string
	// status, if set, adds what the running service says about itself
	// (an address it could not bind) after text.
	status func(c *shell.Ctx) string
	// ask is the interactive SETUP, set is the batch form: it gets the
	// parsed options, none but opts, and changes cfg, says what is
	// wrong, or returns shell.ErrUsage.
	ask func(c *shell.Ctx, cfg *store.Config) error
	set func(cfg *store.Config, o shell.Opts) error
	// extra are operations after SETUP and PRINT (sshconfig's USERKEY).
	extra []shell.Operation[*store.Config]
}

func (sc setupCommand) command() *shell.Command {
	spec := shell.CommandSpec[*store.Config]{
		Name:   sc.name,
		Help:   sc.help,
		Access: shell.AccessReadOnly,
		Target: config,
		Show:   func(c *shell.Ctx, cfg *store.Config) { c.Printf("\n%s%s", sc.text(cfg), sc.statusText(c)) },
		Notes:  sc.notes,
		Table: &shell.Table[*store.Config]{Prefix: sc.name, Ops: []shell.Operation[*store.Config]{
			{Name: "setup", Desc: sc.menu,
				Usage: sc.setup,
				Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
					o, err := shell.UserOpts(args, sc.flags...)
					if err != nil {
						return err
					}
					if err := o.Allow(sc.opts...); err != nil {
						return err
					}
					return sc.set(cfg, o)
				},
				Menu: sc.ask,
				Complete: func(*shell.Ctx, *store.Config, []string) []string {
					var out []string
					for _, o := range sc.opts {
						out = append(out, "--"+o)
					}
					return out
				}},
			{Name: "print", Desc: "Display the settings.",
				Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
					if len(args) > 0 {
						return shell.ErrUsage
					}
					c.Printf("%s%s", sc.text(cfg), sc.statusText(c))
					return nil
				}},
		}},
	}
	spec.Table.Ops = append(spec.Table.Ops, sc.extra...)
	return spec.Command()
}

func (sc setupCommand) statusText(c *shell.Ctx) string {
	if sc.status == nil {
		return ""
	}
	return sc.status(c)
}
