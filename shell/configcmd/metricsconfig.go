package configcmd

import (
	"net"
	"strconv"

	"seg/shell"
	"seg/store"
)

// metricsconfig: the Prometheus endpoint (SPEC 9, 13), IP:PORT or off;
// served by cmd/seg (internal/metricsd, mta/metrics).

func metricsconfigCommand() *shell.Command {
	return setupCommand{
		name: "metricsconfig",
		help: "Configure the address of the Prometheus metrics endpoint, or turn it off.",
		setup: []string{
			"--address IP:PORT | --off",
		},
		opts:  []string{"address", "off"},
		flags: []string{"off"},
		menu:  "Configure the metrics endpoint.",
		text:  metricsText,
		status: func(c *shell.Ctx) string {
			if p := c.S.EndpointProblem("metrics"); p != "" {
				return "WARNING: " + p + "\n"
			}
			return ""
		},
		ask: metricsSetup,
		set: func(cfg *store.Config, o shell.Opts) error {
			a, hasAddr := o.Named["address"]
			_, off := o.Named["off"]
			if len(o.Pos) > 0 || hasAddr == off {
				return shell.ErrUsage
			}
			if off {
				cfg.Metrics.Address = ""
				return nil
			}
			return setMetrics(cfg, a)
		},
	}.command()
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
		return shell.Errorf("%s is already used by %s.", a, u)
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
	on, err := shell.AskYN(c, "Do you want to serve Prometheus metrics?", cfg.Metrics.Address != "")
	if err != nil {
		return err
	}
	if !on {
		cfg.Metrics.Address = ""
		return nil
	}
	a, err := shell.AskRequired(c, "Enter the address to serve metrics on (IP:PORT).", cfg.Metrics.Address, canonIPPort)
	if err != nil {
		return err
	}
	return setMetrics(cfg, a)
}
