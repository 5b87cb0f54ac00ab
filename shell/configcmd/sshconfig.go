package configcmd

import (
	"strconv"

	"seg/shell"
	"seg/store"
)

// sshconfig: where the admin SSH server listens (SPEC 1, 2, 7).

func sshconfigCommand() *shell.Command {
	return setupCommand{
		name: "sshconfig",
		help: "Configure the address and port of the SSH admin server.",
		setup: []string{
			"[--address IP] [--port N]",
		},
		opts: []string{"address", "port"},
		menu: "Configure the SSH server address and port.",
		text: sshText,
		status: func(c *shell.Ctx) string {
			if p := c.S.EndpointProblem("ssh"); p != "" {
				return "WARNING: " + p + "\n"
			}
			return ""
		},
		ask:   sshSetup,
		extra: []shell.Operation[*store.Config]{userKeyOp()},
		set: func(cfg *store.Config, o shell.Opts) error {
			if len(o.Pos) > 0 || len(o.Order) == 0 {
				return shell.ErrUsage
			}
			s := cfg.SSH
			var err error
			if v, ok := o.Named["address"]; ok {
				if s.Address, err = canonIP(v); err != nil {
					return err
				}
			}
			if v, ok := o.Named["port"]; ok {
				if s.Port, err = canonPort(v); err != nil {
					return err
				}
			}
			return setSSH(cfg, s)
		},
	}.command()
}

// setSSH stores the SSH endpoint unless another service has its port.
func setSSH(cfg *store.Config, s store.SSHConfig) error {
	if u := portUser(cfg, s.Address, s.Port, "ssh"); u != "" {
		return shell.Errorf("%s port %d is already used by %s.", s.Address, s.Port, u)
	}
	cfg.SSH = s
	return nil
}

func sshText(cfg *store.Config) string {
	return "SSH server: address " + cfg.SSH.Address + " port " + strconv.Itoa(cfg.SSH.Port) + "\n"
}

func sshSetup(c *shell.Ctx, cfg *store.Config) error {
	s := cfg.SSH
	a, err := shell.AskRequired(c, "Enter the IP address the SSH server listens on.", s.Address, canonIP)
	if err != nil {
		return err
	}
	p, err := shell.Ask(c, "Enter the port the SSH server listens on.", strconv.Itoa(s.Port), func(v string) (string, error) {
		n, err := canonPort(v)
		return strconv.Itoa(n), err
	})
	if err != nil {
		return err
	}
	s.Address = a
	s.Port, _ = strconv.Atoi(p)
	return setSSH(cfg, s)
}
