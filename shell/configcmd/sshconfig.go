package configcmd

import (
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// sshconfig: where the admin SSH server listens (SPEC 1, 2, 7).

func sshconfigCommand() *shell.Command {
	cmd := &shell.Command{
		Name:   "sshconfig",
		Help:   "Configure the address and port of the SSH admin server.",
		Access: shell.AccessReadOnly,
		Sub:    []string{"setup", "print"},
		Usage: []string{
			"sshconfig setup [--address IP] [--port N]",
			"sshconfig print",
		},
	}
	cmd.Complete = func(c *shell.Ctx, args []string) []string {
		switch {
		case len(args) <= 1:
			return cmd.Sub
		case strings.EqualFold(args[0], "setup"):
			return []string{"--address", "--port"}
		}
		return nil
	}
	cmd.Run = func(c *shell.Ctx, args []string) error {
		cfg := c.Config()
		if len(args) == 0 {
			return menuLoop(c,
				func() { c.Printf("\n%s", sshText(cfg)) },
				func() []shell.Op {
					return []shell.Op{{Name: "SETUP", Desc: "Configure the SSH server address and port."}}
				},
				func(string) error { return sshSetup(c, cfg) })
		}
		o, err := parseOpts(args[1:])
		if err != nil {
			return err
		}
		switch strings.ToLower(args[0]) {
		case "print":
			if len(o.Pos) > 0 || len(o.Order) > 0 {
				return subUsage(cmd, "print")
			}
			c.Printf("%s", sshText(cfg))
			return nil
		case "setup":
			if err := onlyOpts(o, "address", "port"); err != nil {
				return err
			}
			if len(o.Pos) > 0 || len(o.Order) == 0 {
				return errorf("Usage: sshconfig setup [--address IP] [--port N]")
			}
			s := cfg.SSH
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
		}
		return errorf("Unknown sshconfig operation %q (accepted: setup, print).", args[0])
	}
	return cmd
}

// setSSH stores the SSH endpoint unless another service has its port.
func setSSH(cfg *store.Config, s store.SSHConfig) error {
	if u := portUser(cfg, s.Address, s.Port, "ssh"); u != "" {
		return errorf("%s port %d is already used by %s.", s.Address, s.Port, u)
	}
	cfg.SSH = s
	return nil
}

func sshText(cfg *store.Config) string {
	return "SSH server: address " + cfg.SSH.Address + " port " + strconv.Itoa(cfg.SSH.Port) + "\n"
}

func sshSetup(c *shell.Ctx, cfg *store.Config) error {
	s := cfg.SSH
	a, err := askRequired(c, "Enter the IP address the SSH server listens on.", s.Address, canonIP)
	if err != nil {
		return err
	}
	p, err := ask(c, "Enter the port the SSH server listens on.", strconv.Itoa(s.Port), func(v string) (string, error) {
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
