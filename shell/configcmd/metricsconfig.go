package configcmd

import (
	"net"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// metricsconfig: the Prometheus endpoint (SPEC 9), IP:PORT or off.

func metricsconfigCommand() *shell.Command {
	cmd := &shell.Command{
		Name:   "metricsconfig",
		Help:   "Configure the address of the Prometheus metrics endpoint, or turn it off.",
		Access: shell.AccessReadOnly,
		Sub:    []string{"setup", "print"},
		Usage: []string{
			"metricsconfig setup --address IP:PORT | --off",
			"metricsconfig print",
		},
	}
	cmd.Complete = func(c *shell.Ctx, args []string) []string {
		switch {
		case len(args) <= 1:
			return cmd.Sub
		case strings.EqualFold(args[0], "setup"):
			return []string{"--address", "--off"}
		}
		return nil
	}
	cmd.Run = func(c *shell.Ctx, args []string) error {
		cfg := c.Config()
		if len(args) == 0 {
			return menuLoop(c,
				func() { c.Printf("\n%s", metricsText(cfg)) },
				func() []shell.Op { return []shell.Op{{Name: "SETUP", Desc: "Configure the metrics endpoint."}} },
				func(string) error { return metricsSetup(c, cfg) })
		}
		o, err := parseOpts(args[1:], "off")
		if err != nil {
			return err
		}
		switch strings.ToLower(args[0]) {
		case "print":
			if len(o.Pos) > 0 || len(o.Order) > 0 {
				return subUsage(cmd, "print")
			}
			c.Printf("%s", metricsText(cfg))
			return nil
		case "setup":
			if err := onlyOpts(o, "address", "off"); err != nil {
				return err
			}
			a, hasAddr := o.Named["address"]
			_, off := o.Named["off"]
			if len(o.Pos) > 0 || hasAddr == off {
				return errorf("Usage: metricsconfig setup --address IP:PORT | --off")
			}
			if off {
				cfg.Metrics.Address = ""
				return nil
			}
			return setMetrics(cfg, a)
		}
		return errorf("Unknown metricsconfig operation %q (accepted: setup, print).", args[0])
	}
	return cmd
}

// setMetrics stores the endpoint unless another service has its port.
func setMetrics(cfg *store.Config, addr string) error {
	a, err := canonIPPort(addr)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(a)
	n, _ := strconv.Atoi(port)
	if u := portUser(cfg, host, n, "metrics"); u != "" {
		return errorf("%s is already used by %s.", a, u)
	}
	cfg.Metrics.Address = a
	return nil
}

func metricsText(cfg *store.Config) string {
	if cfg.Metrics.Address == "" {
		return "Metrics endpoint: disabled\n"
	}
	return "Metrics endpoint: " + cfg.Metrics.Address + "\n"
}

func metricsSetup(c *shell.Ctx, cfg *store.Config) error {
	on, err := askYN(c, "Do you want to serve Prometheus metrics?", cfg.Metrics.Address != "")
	if err != nil {
		return err
	}
	if !on {
		cfg.Metrics.Address = ""
		return nil
	}
	a, err := askRequired(c, "Enter the address to serve metrics on (IP:PORT).", cfg.Metrics.Address, canonIPPort)
	if err != nil {
		return err
	}
	return setMetrics(cfg, a)
}
