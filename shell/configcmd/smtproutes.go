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
	cmd := &shell.Command{
		Name:   "smtproutes",
		Help:   "Configure permanent SMTP routes: deliver a domain's mail to given hosts instead of its MX.",
		Access: shell.AccessReadOnly,
		Sub:    []string{"new", "edit", "delete", "print", "clear", "import", "export"},
		Usage: []string{
			"smtproutes new DOMAIN HOST[:PORT][,HOST[:PORT]...]   (DOMAIN: example.com, .example.com for subdomains, or ALL; HOST /dev/null discards)",
			"smtproutes edit DOMAIN HOST[:PORT][,HOST[:PORT]...]  (replaces the destinations)",
			"smtproutes delete DOMAIN",
			"smtproutes print",
			"smtproutes clear",
			"smtproutes import FILE     (lines \"DOMAIN HOST[,HOST...]\"; replaces every route; FILE: a file name in DATA/configuration)",
			"smtproutes export FILE",
		},
	}
	cmd.Complete = func(c *shell.Ctx, args []string) []string {
		if len(args) <= 1 {
			return cmd.Sub
		}
		if len(args) == 2 {
			switch strings.ToLower(args[0]) {
			case "edit", "delete":
				return names(c.Config().System.Routes, func(r *store.SMTPRoute) string { return r.Domain })
			case "import":
				return c.ConfigFiles()
			}
		}
		return nil
	}
	cmd.Run = func(c *shell.Ctx, args []string) error {
		if len(args) == 0 {
			return routesInteractive(c)
		}
		return routesBatch(c, cmd, args)
	}
	return cmd
}

func routesBatch(c *shell.Ctx, cmd *shell.Command, args []string) error {
	sub := strings.ToLower(args[0])
	rest := args[1:]
	cfg := c.Config()
	want := map[string][2]int{"new": {2, -1}, "edit": {2, -1}, "delete": {1, 1}, "print": {0, 0}, "clear": {0, 0}, "import": {1, 1}, "export": {1, 1}}
	n, ok := want[sub]
	if !ok {
		return shell.Errorf("Unknown smtproutes operation %q (accepted: %s).", args[0], strings.Join(cmd.Sub, ", "))
	}
	if len(rest) < n[0] || n[1] >= 0 && len(rest) > n[1] {
		return subUsage(cmd, sub)
	}
	switch sub {
	case "new", "edit":
		// Hosts may be one comma list or several words.
		hosts, err := canonRouteHosts(strings.Join(rest[1:], ","))
		if err != nil {
			return err
		}
		if sub == "new" {
			return addRoute(cfg, rest[0], hosts)
		}
		r := findRoute(cfg, rest[0])
		if r == nil {
			return routeNotFound(rest[0])
		}
		r.Hosts = hosts
	case "delete":
		return deleteRoute(cfg, rest[0])
	case "print":
		c.Printf("%s", routesText(cfg))
	case "clear":
		cfg.System.Routes = nil
	case "import":
		return importRoutes(c, cfg, rest[0])
	case "export":
		if err := c.WriteConfigFile(rest[0], []byte(formatRoutes(cfg.System.Routes))); err != nil {
			return err
		}
		savedMessage(c, rest[0])
	}
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

var routeOps = []shell.Op{
	{Name: "NEW", Desc: "Create a new route."},
	{Name: "EDIT", Desc: "Edit destinations of an existing route."},
	{Name: "DELETE", Desc: "Remove a route."},
	{Name: "PRINT", Desc: "Display all routes."},
	{Name: "IMPORT", Desc: "Import new routes from a file."},
	{Name: "EXPORT", Desc: "Export all routes to a file."},
	{Name: "CLEAR", Desc: "Remove all routes."},
}

const routeHostsQuestion = "Enter the destination hosts, separated by commas, to which mail for %s should be delivered (HOST or HOST:PORT). Enter /dev/null by itself to discard the mail."

func routesInteractive(c *shell.Ctx) error {
	cfg := c.Config()
	askHosts := func(domain, def string) ([]string, error) {
		var hosts []string
		_, err := shell.AskRequired(c, fmt.Sprintf(routeHostsQuestion, domain), def, func(s string) (string, error) {
			h, err := canonRouteHosts(s)
			hosts = h
			return s, err
		})
		return hosts, err
	}
	askRoute := func(question string) (*store.SMTPRoute, error) {
		if len(cfg.System.Routes) == 0 {
			return nil, shell.Errorf("There are no routes configured.")
		}
		var r *store.SMTPRoute
		_, err := shell.Ask(c, question, "", func(s string) (string, error) {
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
	return shell.MenuLoop(c,
		func() {
			if n := len(cfg.System.Routes); n == 0 {
				c.Printf("\nThere are no routes configured.\n")
			} else {
				c.Printf("\nThere are currently %d routes configured.\n", n)
			}
		},
		func() []shell.Op { return routeOps },
		func(op string) error {
			switch op {
			case "NEW":
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
				hosts, err := askHosts(d, "")
				if err != nil {
					return err
				}
				return addRoute(cfg, d, hosts)
			case "EDIT":
				r, err := askRoute("Enter the domain of the route you want to edit.")
				if err != nil || r == nil {
					return err
				}
				hosts, err := askHosts(r.Domain, strings.Join(r.Hosts, ", "))
				if err != nil {
					return err
				}
				r.Hosts = hosts
			case "DELETE":
				r, err := askRoute("Enter the domain of the route you want to delete.")
				if err != nil || r == nil {
					return err
				}
				return deleteRoute(cfg, r.Domain)
			case "PRINT":
				c.Printf("\n%s", routesText(cfg))
			case "CLEAR":
				yes, err := shell.AskYN(c, "Do you want to remove all routes?", false)
				if err != nil || !yes {
					return err
				}
				cfg.System.Routes = nil
			case "IMPORT":
				name, err := shell.Ask(c, "Enter the name of the file to import (in the configuration directory).", "", nil)
				if err != nil || name == "" {
					return err
				}
				return importRoutes(c, cfg, name)
			case "EXPORT":
				name, err := shell.Ask(c, "Enter a name for the exported file (in the configuration directory).", "", nil)
				if err != nil || name == "" {
					return err
				}
				if err := c.WriteConfigFile(name, []byte(formatRoutes(cfg.System.Routes))); err != nil {
					return err
				}
				savedMessage(c, name)
			}
			return nil
		})
}
