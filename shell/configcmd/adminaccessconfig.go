package configcmd

import (
	"fmt"
	"strconv"

	"seg/shell"
	"seg/store"
)

// adminaccessconfig: how admin sessions are kept (AsyncOS's command of
// that name). seg has its TIMEOUT operation, the CLI inactivity timeout
// (store.AdminAccess); AsyncOS's menu also has the web interface's
// timeout, login banners and the IP access list, which seg does not
// have: it has no web interface, and SSH listens where sshconfig says.

func adminaccessconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "adminaccessconfig",
		Help:   "Configure administrative access: the CLI inactivity timeout.",
		Access: shell.AccessAdmin,
		Target: config,
		Show:   func(c *shell.Ctx, cfg *store.Config) { c.Printf("\n%s", adminAccessText(cfg)) },
		Table:  &shell.Table[*store.Config]{Prefix: "adminaccessconfig", Ops: adminAccessOps},
		Notes: []string{
			fmt.Sprintf("An interactive session (console, SSH, seg cli) that receives no input for the timeout is closed and its uncommitted changes discarded; %d to %d minutes, default %d. One-shot and batch runs are not interactive and are not timed.", store.MinCLITimeout, store.MaxCLITimeout, store.DefaultCLITimeout),
			"AsyncOS also asks for a web interface timeout here: seg has no web interface.",
		},
	}.Command()
}

var adminAccessOps = []shell.Operation[*store.Config]{
	{Name: "timeout", Desc: "Configure the CLI session inactivity timeout.",
		Usage: []string{"--cli MINUTES"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("cli"); err != nil {
				return err
			}
			v, ok := o.Named["cli"]
			if !ok || len(o.Pos) > 0 {
				return shell.ErrUsage
			}
			n, err := checkCLITimeout(v)
			if err != nil {
				return err
			}
			cfg.AdminAccess.CLITimeout = n
			return nil
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			n, err := shell.AskInt(c, "Enter CLI inactivity timeout (in minutes):", cfg.AdminAccess.CLITimeoutMinutes(), store.MinCLITimeout, store.MaxCLITimeout)
			if err != nil {
				return err
			}
			cfg.AdminAccess.CLITimeout = n
			return nil
		},
		Complete: func(*shell.Ctx, *store.Config, []string) []string { return []string{"--cli"} }},
	adminAccessPrint(),
}

// adminAccessPrint is batch only: the menu shows the settings already.
func adminAccessPrint() shell.Operation[*store.Config] {
	op := shell.PrintOp("Show the administrative access settings.", func(_ *shell.Ctx, cfg *store.Config) string { return adminAccessText(cfg) })
	op.Menu = nil
	return op
}

func checkCLITimeout(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < store.MinCLITimeout || n > store.MaxCLITimeout {
		return 0, shell.Errorf("The CLI inactivity timeout is a number of minutes from %d to %d (not %q).", store.MinCLITimeout, store.MaxCLITimeout, v)
	}
	return n, nil
}

func adminAccessText(cfg *store.Config) string {
	return fmt.Sprintf("CLI session inactivity timeout: %d minutes\n", cfg.AdminAccess.CLITimeoutMinutes())
}
