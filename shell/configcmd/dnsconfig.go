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
			"[--dnssec-trusted yes|no]                (the resolvers validate DNSSEC: their AD bit counts for DANE)",
		},
		opts:  []string{"servers", "system", "dnssec-trusted"},
		flags: []string{"system"},
		menu:  "Configure the DNS servers.",
		text:  dnsText,
		ask:   dnsSetup,
		set: func(cfg *store.Config, o shell.Opts) error {
			srv, hasSrv := o.Named["servers"]
			_, sys := o.Named["system"]
			tv, hasTrust := o.Named["dnssec-trusted"]
			if len(o.Pos) > 0 || hasSrv && sys || !hasSrv && !sys && !hasTrust {
				return shell.ErrUsage
			}
			// A new server list drops the trust unless it is given again:
			// trust belongs to the servers.
			trusted := false
			if !hasSrv && !sys {
				trusted = cfg.System.DNS.DNSSECTrusted
			}
			if hasTrust {
				b, err := yesNo("dnssec-trusted", tv)
				if err != nil {
					return err
				}
				trusted = b
			}
			switch {
			case sys:
				cfg.System.DNS = store.DNSConfig{UseSystem: true}
			case hasSrv:
				servers, err := canonServers(srv)
				if err != nil {
					return err
				}
				cfg.System.DNS = store.DNSConfig{Servers: servers}
			}
			cfg.System.DNS.DNSSECTrusted = trusted
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
	trust := ""
	if d.DNSSECTrusted {
		trust = "The resolvers are trusted to validate DNSSEC (DANE believes their AD bit).\n"
	}
	if d.UseSystem || len(d.Servers) == 0 {
		return "Currently using the system resolver.\n" + trust
	}
	var b strings.Builder
	b.WriteString("Currently using the following DNS servers:\n")
	for i, s := range d.Servers {
		b.WriteString(strconv.Itoa(i+1) + ". " + s + "\n")
	}
	b.WriteString(trust)
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
		return askTrusted(c, cfg, d.DNSSECTrusted)
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
	return askTrusted(c, cfg, d.DNSSECTrusted)
}

// askTrusted asks whether the resolvers validate DNSSEC (DANE, RFC 7672
// section 2.1.1).
func askTrusted(c *shell.Ctx, cfg *store.Config, was bool) error {
	t, err := shell.AskYN(c, "Do these resolvers validate DNSSEC, on a path you trust (their AD bit is believed for DANE)?", was)
	if err != nil {
		return err
	}
	cfg.System.DNS.DNSSECTrusted = t
	return nil
}
