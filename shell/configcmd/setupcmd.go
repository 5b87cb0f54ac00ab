package configcmd

import (
	"strings"

	"seg/shell"
	"seg/store"
)

// setupCommand is the shape of the commands whose whole setting is one
// SETUP operation (dnsconfig, metricsconfig, sshconfig, tdcconfig):
// without arguments, the state and a menu with SETUP; `NAME print`; and
// `NAME setup --OPTION...`, the batch form of SETUP.
type setupCommand struct {
	name, help string
	usage      []string // every form, for help and usage errors
	opts       []string // setup's options, without "--"
	flags      []string // those of opts that take no value
	menu       string   // the SETUP operation's description
	text       func(cfg *store.Config) string
	// status, if set, adds what the running service says about itself
	// (an address it could not bind) after text.
	status func(c *shell.Ctx) string
	// ask is the interactive SETUP, set is the batch form: it gets the
	// parsed options, none but opts, and changes cfg or says what is
	// wrong.
	ask func(c *shell.Ctx, cfg *store.Config) error
	set func(cfg *store.Config, o shell.Opts) error
}

func (sc setupCommand) command() *shell.Command {
	cmd := &shell.Command{
		Name:   sc.name,
		Help:   sc.help,
		Access: shell.AccessReadOnly,
		Sub:    []string{"setup", "print"},
		Usage:  sc.usage,
	}
	cmd.Complete = func(c *shell.Ctx, args []string) []string {
		switch {
		case len(args) <= 1:
			return cmd.Sub
		case strings.EqualFold(args[0], "setup"):
			var out []string
			for _, o := range sc.opts {
				out = append(out, "--"+o)
			}
			return out
		}
		return nil
	}
	cmd.Run = func(c *shell.Ctx, args []string) error {
		cfg := c.Config()
		if len(args) == 0 {
			return shell.MenuLoop(c,
				func() { c.Printf("\n%s%s", sc.text(cfg), sc.statusText(c)) },
				func() []shell.Op { return []shell.Op{{Name: "SETUP", Desc: sc.menu}} },
				func(string) error { return sc.ask(c, cfg) })
		}
		o, err := shell.UserOpts(args[1:], sc.flags...)
		if err != nil {
			return err
		}
		switch strings.ToLower(args[0]) {
		case "print":
			if len(o.Pos) > 0 || len(o.Order) > 0 {
				return subUsage(cmd, "print")
			}
			c.Printf("%s%s", sc.text(cfg), sc.statusText(c))
			return nil
		case "setup":
			if err := o.Allow(sc.opts...); err != nil {
				return err
			}
			return sc.set(cfg, o)
		}
		return shell.Errorf("Unknown %s operation %q (accepted: setup, print).", sc.name, args[0])
	}
	return cmd
}

func (sc setupCommand) statusText(c *shell.Ctx) string {
	if sc.status == nil {
		return ""
	}
	return sc.status(c)
}
