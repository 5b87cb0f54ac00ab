package configcmd

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// smtproutes: permanent routes, domain -> relay hosts (SPEC 2, 5). A
// route skips MX lookup. "/dev/null" discards the mail; "ALL" is AsyncOS's
// catch-all domain and ".example.com" covers the subdomains.

const (
	routeAll     = "ALL"
	routeDevNull = "/dev/null"
)

func smtproutesCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "smtproutes",
		Help:   "Configure permanent SMTP routes: deliver a domain's mail to given hosts instead of its MX.",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			if n := len(cfg.System.Routes); n == 0 {
				c.Printf("\nThere are no routes configured.\n")
			} else {
				c.Printf("\nThere are currently %d routes configured.\n", n)
			}
		},
		Table: &shell.Table[*store.Config]{Prefix: "smtproutes", Ops: routeOps},
	}.Command()
}

// routeOps are smtproutes' operations; the menus are at the end of this
// file.
var routeOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a new route.",
		Usage: []string{"DOMAIN HOST[:PORT][,HOST[:PORT]...]   (DOMAIN: example.com, .example.com for subdomains, or ALL; HOST /dev/null discards)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			hosts, err := routeHostArgs(args)
			if err != nil {
				return err
			}
			return addRoute(cfg, args[0], hosts)
		},
		Menu: routeNewMenu},
	{Name: "edit", Desc: "Edit destinations of an existing route.",
		Usage: []string{"DOMAIN HOST[:PORT][,HOST[:PORT]...]  (replaces the destinations)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			hosts, err := routeHostArgs(args)
			if err != nil {
				return err
			}
			r := findRoute(cfg, args[0])
			if r == nil {
				return routeNotFound(args[0])
			}
			r.Hosts = hosts
			return nil
		},
		Menu:     routeEditMenu,
		Complete: routeDomainArg},
	{Name: "delete", Desc: "Remove a route.",
		Usage: []string{"DOMAIN"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if len(args) != 1 {
				return shell.ErrUsage
			}
			return deleteRoute(cfg, args[0])
		},
		Menu:     routeDeleteMenu,
		Complete: routeDomainArg},
	shell.PrintOp("Display all routes.", func(c *shell.Ctx, cfg *store.Config) string { return routesText(cfg) }),
	{Name: "import", Desc: "Import new routes from a file.",
		Usage: []string{"FILE     (lines \"DOMAIN HOST[,HOST...]\"; replaces every route; FILE: a file name in DATA/configuration)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if len(args) != 1 {
				return shell.ErrUsage
			}
			return importRoutes(c, cfg, args[0])
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := askImportFile(c)
			if err != nil || name == "" {
				return err
			}
			return importRoutes(c, cfg, name)
		},
		Complete: configFileArg},
	{Name: "export", Desc: "Export all routes to a file.",
		Usage: []string{"FILE"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if len(args) != 1 {
				return shell.ErrUsage
			}
			return exportRoutes(c, cfg, args[0])
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := askExportFile(c)
			if err != nil || name == "" {
				return err
			}
			return exportRoutes(c, cfg, name)
		}},
	{Name: "clear", Desc: "Remove all routes.",
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if len(args) != 0 {
				return shell.ErrUsage
			}
			cfg.System.Routes = nil
			return nil
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			yes, err := shell.AskYN(c, "Do you want to remove all routes?", false)
			if err != nil || !yes {
				return err
			}
			cfg.System.Routes = nil
			return nil
		}},
}

// routeHostArgs checks "DOMAIN HOST..." of new and edit and returns the
// hosts, which may be one comma list or several words.
func routeHostArgs(args []string) ([]string, error) {
	if len(args) < 2 {
		return nil, shell.ErrUsage
	}
	return canonRouteHosts(strings.Join(args[1:], ","))
}

// routeDomainArg completes a route's domain as the first word.
func routeDomainArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) == 1 {
		return names(cfg.System.Routes, func(r *store.SMTPRoute) string { return r.Domain })
	}
	return nil
}

func exportRoutes(c *shell.Ctx, cfg *store.Config, name string) error {
	if err := c.WriteConfigFile(name, []byte(formatRoutes(cfg.System.Routes))); err != nil {
		return err
	}
	savedMessage(c, name)
	return nil
}

// canonRouteDomain validates a route's domain: a domain, .domain or ALL.
func canonRouteDomain(s string) (string, error) {
	if strings.EqualFold(s, routeAll) {
		return routeAll, nil
	}
	d := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if !store.ValidDomain(strings.TrimPrefix(d, ".")) {
		return "", shell.Errorf("%s is not a valid route domain (example.com, .example.com for its subdomains, or ALL).", store.Excerpt(s))
	}
	return d, nil
}

// canonRouteHosts validates a comma-separated destination list.
func canonRouteHosts(list string) ([]string, error) {
	hosts := shell.SplitList(list)
	if len(hosts) == 0 {
		return nil, shell.Errorf("Enter at least one destination host (HOST, HOST:PORT or /dev/null).")
	}
	var out []string
	for _, h := range hosts {
		if h == routeDevNull {
			if len(hosts) > 1 {
				return nil, shell.Errorf("/dev/null must be the only destination of a route.")
			}
			return []string{routeDevNull}, nil
		}
		c, err := canonRouteHost(h)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// canonRouteHost accepts HOST or HOST:PORT (IPv6 as [ADDR]:PORT or bare).
func canonRouteHost(h string) (string, error) {
	bad := shell.Errorf("%s is not a valid destination: use HOST, HOST:PORT, [IPv6]:PORT or /dev/null.", store.Excerpt(h))
	if ip := net.ParseIP(h); ip != nil {
		return ip.String(), nil
	}
	if store.ValidDomain(strings.TrimSuffix(h, ".")) {
		return strings.ToLower(strings.TrimSuffix(h, ".")), nil
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		return "", bad
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", shell.Errorf("%s: the port must be a number from 1 to 65535.", store.Excerpt(h))
	}
	if ip := net.ParseIP(host); ip != nil {
		return net.JoinHostPort(ip.String(), port), nil
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if !store.ValidDomain(host) {
		return "", bad
	}
	return net.JoinHostPort(host, port), nil
}

func findRoute(cfg *store.Config, domain string) *store.SMTPRoute {
	d := strings.TrimSuffix(domain, ".")
	for i := range cfg.System.Routes {
		if strings.EqualFold(cfg.System.Routes[i].Domain, d) {
			return &cfg.System.Routes[i]
		}
	}
	return nil
}

func routeNotFound(d string) error { return shell.Errorf("There is no route for %q.", d) }

// addRoute adds a route, keeping ALL last (it is the fallback).
func addRoute(cfg *store.Config, domain string, hosts []string) error {
	d, err := canonRouteDomain(domain)
	if err != nil {
		return err
	}
	if findRoute(cfg, d) != nil {
		return shell.Errorf("A route for %s already exists: use 'smtproutes edit'.", store.ExcerptBare(d))
	}
	r := store.SMTPRoute{Domain: d, Hosts: hosts}
	routes := cfg.System.Routes
	if n := len(routes); d != routeAll && n > 0 && routes[n-1].Domain == routeAll {
		routes = append(routes[:n-1:n-1], r, routes[n-1])
	} else {
		routes = append(routes, r)
	}
	cfg.System.Routes = routes
	return nil
}

func deleteRoute(cfg *store.Config, domain string) error {
	r := findRoute(cfg, domain)
	if r == nil {
		return routeNotFound(domain)
	}
	for i := range cfg.System.Routes {
		if &cfg.System.Routes[i] == r {
			cfg.System.Routes = without(cfg.System.Routes, i)
			break
		}
	}
	return nil
}

func routesText(cfg *store.Config) string {
	if len(cfg.System.Routes) == 0 {
		return "There are no routes configured.\n"
	}
	rows := make([][]string, len(cfg.System.Routes))
	for i, r := range cfg.System.Routes {
		rows[i] = []string{r.Domain, strings.Join(r.Hosts, ", ")}
	}
	return shell.FormatTable([]string{"Domain", "Destinations"}, rows)
}

// formatRoutes is the export file: one "DOMAIN HOST,HOST" line per route.
func formatRoutes(routes []store.SMTPRoute) string {
	var b strings.Builder
	for _, r := range routes {
		fmt.Fprintf(&b, "%s %s\n", r.Domain, strings.Join(r.Hosts, ","))
	}
	return b.String()
}

// importRoutes replaces the routes with a file's, reporting FILE:LINE for
// every bad line.
func importRoutes(c *shell.Ctx, cfg *store.Config, name string) error {
	data, err := c.ReadConfigFile(name)
	if err != nil {
		return err
	}
	n := &store.Config{}
	var problems store.Problems
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		domain, hosts, _ := strings.Cut(s, " ")
		err := func() error {
			hs, err := canonRouteHosts(hosts)
			if err != nil {
				return err
			}
			return addRoute(n, domain, hs)
		}()
		if err != nil {
			problems.Addf("%s:%d: %v", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		problems.Addf("%s:%d: %v", name, line+1, err)
	}
	if problems.Len() > 0 {
		return shell.Errorf("%s", strings.Join(problems.List(), "\n"))
	}
	cfg.System.Routes = n.System.Routes
	return nil
}

const routeHostsQuestion = "Enter the destination hosts, separated by commas, to which mail for %s should be delivered (HOST or HOST:PORT). Enter /dev/null by itself to discard the mail."

// askRouteHosts asks for a route's destinations; def is the current list.
func askRouteHosts(c *shell.Ctx, domain, def string) ([]string, error) {
	var hosts []string
	_, err := shell.AskRequired(c, fmt.Sprintf(routeHostsQuestion, domain), def, func(s string) (string, error) {
		h, err := canonRouteHosts(s)
		hosts = h
		return s, err
	})
	return hosts, err
}

// askRoute asks for an existing route; an empty answer returns nil (go
// back).
func askRoute(c *shell.Ctx, cfg *store.Config, question string) (*store.SMTPRoute, error) {
	if len(cfg.System.Routes) == 0 {
		return nil, shell.Errorf("There are no routes configured.")
	}
	var r *store.SMTPRoute
	_, err := shell.AskOf(c, question, "", routeDomainArg(c, cfg, []string{""}), func(s string) (string, error) {
		if s == "" {
			return s, nil
		}
		if r = findRoute(cfg, s); r == nil {
			return "", routeNotFound(s)
		}
		return s, nil
	})
	return r, err
}

func routeNewMenu(c *shell.Ctx, cfg *store.Config) error {
	d, err := shell.AskRequired(c, `Enter the domain for which you want to set up a permanent route. Partial hostnames such as ".example.com" are allowed. Use "ALL" for the default route.`, "", func(s string) (string, error) {
		d, err := canonRouteDomain(s)
		if err == nil && findRoute(cfg, d) != nil {
			err = shell.Errorf("A route for %s already exists.", d)
		}
		return d, err
	})
	if err != nil {
		return err
	}
	hosts, err := askRouteHosts(c, d, "")
	if err != nil {
		return err
	}
	return addRoute(cfg, d, hosts)
}

func routeEditMenu(c *shell.Ctx, cfg *store.Config) error {
	r, err := askRoute(c, cfg, "Enter the domain of the route you want to edit.")
	if err != nil || r == nil {
		return err
	}
	hosts, err := askRouteHosts(c, r.Domain, strings.Join(r.Hosts, ", "))
	if err != nil {
		return err
	}
	r.Hosts = hosts
	return nil
}

func routeDeleteMenu(c *shell.Ctx, cfg *store.Config) error {
	r, err := askRoute(c, cfg, "Enter the domain of the route you want to delete.")
	if err != nil || r == nil {
		return err
	}
	return deleteRoute(cfg, r.Domain)
}
