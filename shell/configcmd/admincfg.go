package configcmd

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// Shared by sshconfig and metricsconfig: addresses of the admin
// endpoints, and which configured service already holds a port.

// canonIP validates an IP address and returns its canonical form.
func canonIP(s string) (string, error) {
	ip := net.ParseIP(strings.TrimSpace(s))
	if ip == nil {
		return "", shell.Errorf("%q is not an IP address (for example 127.0.0.1 or ::1).", s)
	}
	return ip.String(), nil
}

// canonPort validates a TCP port.
func canonPort(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, shell.Errorf("The port must be a number from 1 to 65535 (got %q).", s)
	}
	return n, nil
}

// canonIPPort validates IP:PORT (IPv6 as [ADDR]:PORT).
func canonIPPort(s string) (string, error) {
	host, port, err := net.SplitHostPort(strings.TrimSpace(s))
	if err != nil {
		return "", shell.Errorf("%q must be IP:PORT (IPv6 as [ADDRESS]:PORT).", s)
	}
	ip, err := canonIP(host)
	if err != nil {
		return "", err
	}
	p, err := canonPort(port)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(ip, strconv.Itoa(p)), nil
}

// portUser names the configured service other than skip ("ssh",
// "metrics") that listens on ip:port, or "" when the port is free. An
// unspecified address (0.0.0.0, ::) overlaps every address.
func portUser(cfg *store.Config, ip string, port int, skip string) string {
	same := func(a string, p int) bool {
		if p != port {
			return false
		}
		x, y := net.ParseIP(a), net.ParseIP(ip)
		if x == nil || y == nil {
			return a == ip
		}
		return x.Equal(y) || x.IsUnspecified() || y.IsUnspecified()
	}
	for _, l := range cfg.Listeners {
		if same(l.Address, l.Port) {
			return fmt.Sprintf("listener %s", l.Name)
		}
	}
	if skip != "ssh" && cfg.SSH.Port != 0 && same(cfg.SSH.Address, cfg.SSH.Port) {
		return "the SSH server"
	}
	if skip != "metrics" && cfg.Metrics.Address != "" {
		if h, p, err := net.SplitHostPort(cfg.Metrics.Address); err == nil {
			if n, _ := strconv.Atoi(p); same(h, n) {
				return "the metrics endpoint"
			}
		}
	}
	return ""
}
