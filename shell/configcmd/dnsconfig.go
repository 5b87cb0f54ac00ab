package configcmd

import (
	"net"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// dnsconfig: the resolvers the MTA queries (SPEC 2): the system resolver,
// or a list of servers as HOST:PORT (HOST alone means port 53).

func dnsconfigCommand() *shell.Command {
	return setupCommand{
		name: "dnsconfig",
		help: "Configure the DNS servers used for MX, address, TXT and TLSA lookups.",
		setup: []string{
			"--servers HOST[:PORT][,HOST[:PORT]...]   (port 53 when omitted; IPv6 as [ADDR]:PORT)",
			"--system                                 (use the operating system's resolver)",
		},
		opts:  []string{"servers", "system"},
		flags: []string{"system"},
		menu:  "Configure the DNS servers.",
		text:  dnsText,
		ask:   dnsSetup,
		set: func(cfg *store.Config, o shell.Opts) error {
			srv, hasSrv := o.Named["servers"]
			_, sys := o.Named["system"]
			if len(o.Pos) > 0 || hasSrv == sys {
				return shell.ErrUsage
			}
			if sys {
				cfg.System.DNS = store.DNSConfig{UseSystem: true}
				return nil
			}
			servers, err := canonServers(srv)
			if err != nil {
				return err
			}
			cfg.System.DNS = store.DNSConfig{Servers: servers}
			return nil
		},
	}.command()
}

// canonServers validates a list of resolvers and writes each as
// HOST:PORT.
func canonServers(list string) ([]string, error) {
	items := shell.SplitList(list)
	if len(items) == 0 {
		return nil, shell.Errorf("Enter at least one DNS server (HOST or HOST:PORT).")
	}
	var out []string
	for _, s := range items {
		hp := s
		if ip := net.ParseIP(s); ip != nil {
			hp = net.JoinHostPort(ip.String(), "53")
		} else if _, _, err := net.SplitHostPort(s); err != nil {
			hp = net.JoinHostPort(s, "53")
		}
		host, port, _ := net.SplitHostPort(hp)
		if ip := net.ParseIP(host); ip != nil {
			host = ip.String()
		} else {
			host = strings.ToLower(strings.TrimSuffix(host, "."))
		}
		hp = net.JoinHostPort(host, port)
		if err := store.ValidHostPort(hp); err != nil {
			return nil, shell.Errorf("DNS server %q: %s", s, shell.Sentence(err.Error()))
		}
		out = append(out, hp)
	}
	return out, nil
}

func dnsText(cfg *store.Config) string {
	d := cfg.System.DNS
	if d.UseSystem || len(d.Servers) == 0 {
		return "Currently using the system resolver.\n"
	}
	var b strings.Builder
	b.WriteString("Currently using the following DNS servers:\n")
	for i, s := range d.Servers {
		b.WriteString(strconv.Itoa(i+1) + ". " + s + "\n")
	}
	return b.String()
}

func dnsSetup(c *shell.Ctx, cfg *store.Config) error {
	d := cfg.System.DNS
	sys, err := shell.AskYN(c, "Do you want to use the system resolver?", d.UseSystem || len(d.Servers) == 0)
	if err != nil {
		return err
	}
	if sys {
		cfg.System.DNS = store.DNSConfig{UseSystem: true}
		return nil
	}
	var servers []string
	_, err = shell.AskRequired(c, "Please enter the DNS servers (HOST or HOST:PORT), separated by commas.", strings.Join(d.Servers, ", "), func(s string) (string, error) {
		v, err := canonServers(s)
		servers = v
		return s, err
	})
	if err != nil {
		return err
	}
	cfg.System.DNS = store.DNSConfig{Servers: servers}
	return nil
}
