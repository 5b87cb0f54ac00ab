package listenercmd

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// The listener level of listenerconfig: the list, NEW, EDIT (NAME,
// INTERFACE, LIMITS, SETUP), DELETE, PRINT. AsyncOS's global SETUP
// (system-wide connection limits, header limits...) is not modelled.

// listenerLine is the AsyncOS one-line summary:
// "IncomingMail (on 127.0.0.1) SMTP TCP Port 2525 Public".
func listenerLine(l *store.Listener) string {
	typ := "Public"
	if l.Type == store.ListenerPrivate {
		typ = "Private"
	}
	return fmt.Sprintf("%s (on %s) SMTP TCP Port %d %s", l.Name, l.Address, l.Port, typ)
}

func showListeners(c *shell.Ctx) {
	cfg := c.Config()
	if len(cfg.Listeners) == 0 {
		c.Printf("\nNo listeners are configured.\n")
		return
	}
	c.Printf("\nCurrently configured listeners:\n")
	for i := range cfg.Listeners {
		c.Printf("%d. %s\n", i+1, listenerLine(&cfg.Listeners[i]))
		if p := c.S.EndpointProblem("listener " + cfg.Listeners[i].Name); p != "" {
			c.Printf("   WARNING: %s\n", p)
		}
	}
}

func interactive(c *shell.Ctx) error {
	ops := func() []shell.Op {
		o := []shell.Op{{Name: "NEW", Desc: "Create a new listener."}}
		if len(c.Config().Listeners) > 0 {
			o = append(o,
				shell.Op{Name: "EDIT", Desc: "Modify a listener."},
				shell.Op{Name: "DELETE", Desc: "Remove a listener."},
				shell.Op{Name: "PRINT", Desc: "Display the settings of a listener."})
		}
		return o
	}
	return shell.MenuLoop(c, func() { showListeners(c) }, ops, func(op string) error {
		switch op {
		case "NEW":
			return newListenerInteractive(c)
		case "EDIT":
			l, err := pickListener(c, "Enter the name or number of the listener you wish to edit.")
			if err != nil || l == nil {
				return err
			}
			return editListenerMenu(c, l.Name)
		case "DELETE":
			l, err := pickListener(c, "Enter the name or number of the listener you wish to delete.")
			if err != nil || l == nil {
				return err
			}
			ok, err := shell.AskYN(c, fmt.Sprintf("WARNING: deleting listener %s also deletes its host and recipient access tables.\nAre you sure you want to delete it?", l.Name), false)
			if err != nil || !ok {
				return err
			}
			name := l.Name
			deleteListener(c.Config(), name)
			c.Printf("Listener %s deleted.\n", name)
			return nil
		case "PRINT":
			l, err := pickListener(c, "Enter the name or number of the listener you wish to print.")
			if err != nil || l == nil {
				return err
			}
			printListener(c, l)
		}
		return nil
	})
}

// pickListener asks for a listener; nil when the user goes back.
func pickListener(c *shell.Ctx, question string) (*store.Listener, error) {
	cfg := c.Config()
	var items []string
	for i := range cfg.Listeners {
		items = append(items, cfg.Listeners[i].Name)
	}
	i, err := shell.Pick(c, question, items)
	if err != nil || i < 0 {
		return nil, err
	}
	return &cfg.Listeners[i], nil
}

// lookupListener returns the named listener or a userError.
func lookupListener(cfg *store.Config, name string) (*store.Listener, error) {
	if l := cfg.Listener(name); l != nil {
		return l, nil
	}
	var names []string
	for _, l := range cfg.Listeners {
		names = append(names, l.Name)
	}
	if len(names) == 0 {
		return nil, shell.Errorf("There is no listener named %q (no listeners are configured).", name)
	}
	return nil, shell.Errorf("There is no listener named %q (listeners: %s).", name, strings.Join(names, ", "))
}

func deleteListener(cfg *store.Config, name string) {
	for i := range cfg.Listeners {
		if strings.EqualFold(cfg.Listeners[i].Name, name) {
			cfg.Listeners = append(cfg.Listeners[:i], cfg.Listeners[i+1:]...)
			return
		}
	}
}

// checkListenerName validates a new name for listener self (nil: a new
// listener).
func checkListenerName(cfg *store.Config, name string, self *store.Listener) error {
	if name == "" {
		return shell.Errorf("You must enter a name.")
	}
	if err := store.CheckListenerName(name); err != nil {
		return shell.AsUser(err)
	}
	if o := cfg.Listener(name); o != nil && o != self {
		return shell.Errorf("A listener named %s already exists.", o.Name)
	}
	return nil
}

// canonAddress validates a listening address.
func canonAddress(s string) (string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return "", shell.Errorf("Invalid IP address %q: enter an address such as 127.0.0.1, 0.0.0.0 or ::1.", s)
	}
	return a.Unmap().String(), nil
}

func canonPort(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, shell.Errorf("Invalid port %q: enter a number from 1 to 65535.", s)
	}
	return n, nil
}

// checkEndpoint reports a clash of address:port with another listener
// or the SSH endpoint: same port on the same address, or either on the
// unspecified address (it takes the port on every address).
func checkEndpoint(cfg *store.Config, addr string, port int, self *store.Listener) error {
	a, _ := netip.ParseAddr(addr)
	clash := func(other string, otherPort int) bool {
		b, err := netip.ParseAddr(other)
		return err == nil && port == otherPort && (a == b || a.IsUnspecified() || b.IsUnspecified())
	}
	for i := range cfg.Listeners {
		o := &cfg.Listeners[i]
		if o != self && clash(o.Address, o.Port) {
			return shell.Errorf("Port %d on %s is already used by listener %s (%s port %d).", port, addr, o.Name, o.Address, o.Port)
		}
	}
	if clash(cfg.SSH.Address, cfg.SSH.Port) {
		return shell.Errorf("Port %d on %s is already used by the SSH service (%s port %d).", port, addr, cfg.SSH.Address, cfg.SSH.Port)
	}
	return nil
}

func canonHostname(s string) (string, error) {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if !store.ValidDomain(h) {
		return "", shell.Errorf("Invalid hostname format %q: enter a name such as mail.example.com.", s)
	}
	return h, nil
}

func canonMaxConcurrency(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 10000 {
		return 0, shell.Errorf("Invalid maximum concurrent connections %q: enter a number from 1 to 10000.", s)
	}
	return n, nil
}

// checker adapts a validating function to Ask's checker.
func checker(f func(string) (string, error)) func(string) (string, error) {
	return func(s string) (string, error) {
		v, err := f(s)
		return v, shell.AsUser(err)
	}
}

func newListenerInteractive(c *shell.Ctx) error {
	cfg := c.Config()
	ti, err := shell.Choose(c, "Please select the type of listener you want to create.", []string{"Public", "Private"}, 1)
	if err != nil {
		return err
	}
	typ := store.ListenerPublic
	if ti == 1 {
		typ = store.ListenerPrivate
	}
	name, err := shell.AskRequired(c, `Please create a name for this listener (Ex: "IncomingMail"):`, "", checker(func(s string) (string, error) {
		return s, checkListenerName(cfg, s, nil)
	}))
	if err != nil {
		return err
	}
	addr, err := shell.Ask(c, "Enter the IP address this listener accepts connections on.", "127.0.0.1", checker(canonAddress))
	if err != nil {
		return err
	}
	def := "25"
	if checkEndpoint(cfg, addr, 25, nil) != nil {
		def = ""
	}
	ps, err := shell.AskRequired(c, "Enter the TCP port for this listener.", def, checker(func(s string) (string, error) {
		p, err := canonPort(s)
		if err != nil {
			return "", err
		}
		return strconv.Itoa(p), checkEndpoint(cfg, addr, p, nil)
	}))
	if err != nil {
		return err
	}
	port, _ := strconv.Atoi(ps)
	host, err := shell.Ask(c, "Enter the hostname this listener shows in its SMTP banner.", cfg.System.Hostname, checker(canonHostname))
	if err != nil {
		return err
	}
	l := store.NewListener(name, typ, addr, port)
	if host != cfg.System.Hostname {
		l.Hostname = host
	}
	if typ == store.ListenerPublic {
		list, err := shell.Ask(c, "Enter the domains or addresses this listener accepts mail for, separated by commas\n(for example: example.com, .example.com). Until you add some, it rejects every recipient.", "", checker(func(s string) (string, error) {
			_, err := ratEntries(s)
			return s, err
		}))
		if err != nil {
			return err
		}
		es, _ := ratEntries(list)
		l.RAT = acceptRAT(es)
	} else {
		list, err := shell.Ask(c, "Enter the hosts allowed to relay mail through this listener, separated by commas\n(for example: 10.1.1.0/24, mail.example.com).", "", checker(func(s string) (string, error) {
			if strings.TrimSpace(s) == "" {
				return s, nil
			}
			_, err := membersOf(s)
			return s, err
		}))
		if err != nil {
			return err
		}
		ms, _ := membersOf(list)
		l.HAT = store.NewPrivateHAT(ms)
	}
	change, err := shell.AskYN(c, "Do you want to change the default host access policy parameters?", false)
	if err != nil {
		return err
	}
	if change {
		if err := editParams(c, &l.HAT, nil); err != nil {
			return err
		}
	}
	cfg.Listeners = append(cfg.Listeners, l)
	c.Printf("\nListener %s created.\n", name)
	return nil
}

// acceptRAT is the RAT of a new public listener: ACCEPT for each entry,
// then ALL REJECT.
func acceptRAT(entries []string) []store.RATEntry {
	var rat []store.RATEntry
	for _, e := range entries {
		rat = append(rat, store.RATEntry{Entry: e, Action: store.RATAccept})
	}
	return append(rat, store.DefaultRAT()...)
}

// ratEntries parses a comma-separated list of RAT entries (canonical,
// without duplicates; ALL is not allowed: it is the default row).
func ratEntries(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range shell.SplitList(s) {
		e, err := store.CanonRATEntry(f)
		if err != nil {
			return nil, shell.AsUser(err)
		}
		if e == "ALL" {
			return nil, shell.Errorf("ALL is the default entry: change it with EDIT (batch: rcptaccess edit ALL ACCEPT|REJECT).")
		}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out, nil
}

// membersOf parses a comma-separated list of sender group members into
// canonical strings, without duplicates.
func membersOf(s string) ([]string, error) {
	ms, err := store.ParseMembers(s)
	if err != nil {
		return nil, shell.AsUser(err)
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range ms {
		if m.Kind == store.MemberAll {
			return nil, shell.Errorf("ALL may only be used in the last row of the table.")
		}
		if k := m.String(); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, nil
}

func showListener(c *shell.Ctx, l *store.Listener) {
	cfg := c.Config()
	typ := "Public"
	if l.Type == store.ListenerPrivate {
		typ = "Private"
	}
	host := l.Hostname
	if host == "" {
		host = cfg.System.Hostname + " (the system hostname)"
	}
	dd := l.DefaultDomain
	if dd == "" {
		dd = "None"
	}
	c.Printf("\nName: %s\nType: %s\nInterface: %s TCP Port %d\nProtocol: SMTP\nHostname: %s\nDefault Domain: %s\nMax Concurrent Connections: %d\n",
		l.Name, typ, l.Address, l.Port, host, dd, l.MaxConcurrency)
	if p := c.S.EndpointProblem("listener " + l.Name); p != "" {
		c.Printf("WARNING: %s\n", p)
	}
}

// printListener shows a listener's settings, its HAT with the default
// policy parameters, and its RAT.
func printListener(c *shell.Ctx, l *store.Listener) {
	showListener(c, l)
	printConnLimits(c, l)
	c.Printf("\nHost Access Table:\n")
	printHAT(c, &l.HAT)
	if l.Type == store.ListenerPublic {
		c.Printf("\nRecipient Access Table:\n%s", store.FormatRAT(l.RAT))
	}
}

func editListenerMenu(c *shell.Ctx, name string) error {
	cur := func() *store.Listener { return c.Config().Listener(name) }
	ops := func() []shell.Op {
		o := []shell.Op{
			{Name: "NAME", Desc: "Change the name of the listener."},
			{Name: "INTERFACE", Desc: "Change the IP address and port of the listener."},
			{Name: "LIMITS", Desc: "Change the injection limits."},
			{Name: "SETUP", Desc: "Configure general options."},
			{Name: "HOSTACCESS", Desc: "Modify the Host Access Table."},
		}
		if cur().Type == store.ListenerPublic {
			o = append(o, shell.Op{Name: "RCPTACCESS", Desc: "Modify the Recipient Access Table."})
		}
		return o
	}
	return shell.MenuLoop(c, func() { showListener(c, cur()) }, ops, func(op string) error {
		cfg := c.Config()
		l := cur()
		switch op {
		case "NAME":
			n, err := shell.AskRequired(c, "Please enter a new name for this listener.", l.Name, checker(func(s string) (string, error) {
				return s, checkListenerName(cfg, s, l)
			}))
			if err != nil {
				return err
			}
			l.Name, name = n, n
		case "INTERFACE":
			addr, err := shell.Ask(c, "Enter the IP address this listener accepts connections on.", l.Address, checker(canonAddress))
			if err != nil {
				return err
			}
			ps, err := shell.Ask(c, "Enter the TCP port for this listener.", strconv.Itoa(l.Port), checker(func(s string) (string, error) {
				p, err := canonPort(s)
				if err != nil {
					return "", err
				}
				return strconv.Itoa(p), checkEndpoint(cfg, addr, p, l)
			}))
			if err != nil {
				return err
			}
			l.Address = addr
			l.Port, _ = strconv.Atoi(ps)
		case "LIMITS":
			s, err := shell.Ask(c, "Enter the maximum number of concurrent connections for this listener.", strconv.Itoa(l.MaxConcurrency), checker(func(s string) (string, error) {
				n, err := canonMaxConcurrency(s)
				return strconv.Itoa(n), err
			}))
			if err != nil {
				return err
			}
			l.MaxConcurrency, _ = strconv.Atoi(s)
			printConnLimits(c, l)
			change, err := shell.AskYN(c, "Do you want to change the connection limits (timeouts, idle connections, reserved connections)?", false)
			if err != nil || !change {
				return err
			}
			return askConnLimits(c, l)
		case "SETUP":
			return setupMenu(c, name)
		case "HOSTACCESS":
			return hostAccessMenu(c, name)
		case "RCPTACCESS":
			return rcptAccessMenu(c, name)
		}
		return nil
	})
}

func setupMenu(c *shell.Ctx, name string) error {
	show := func() {
		l := c.Config().Listener(name)
		dd, host := l.DefaultDomain, l.Hostname
		if dd == "" {
			dd = "None"
		}
		if host == "" {
			host = c.Config().System.Hostname + " (the system hostname)"
		}
		c.Printf("\nDefault Domain: %s\nHostname: %s\n", dd, host)
	}
	ops := func() []shell.Op {
		return []shell.Op{
			{Name: "DEFAULTDOMAIN", Desc: "Configure a default domain for addresses without a domain."},
			{Name: "HOSTNAME", Desc: "Change the hostname shown in the SMTP banner."},
		}
	}
	return shell.MenuLoop(c, show, ops, func(op string) error {
		cfg := c.Config()
		l := cfg.Listener(name)
		switch op {
		case "DEFAULTDOMAIN":
			d, err := shell.Ask(c, "Enter the default domain added to addresses without a domain (\"none\" for no default domain).", l.DefaultDomain, checker(canonDefaultDomain))
			if err != nil {
				return err
			}
			l.DefaultDomain = d
		case "HOSTNAME":
			h, err := shell.Ask(c, "Enter the hostname this listener shows in its SMTP banner.", hostnameOf(cfg, l), checker(canonHostname))
			if err != nil {
				return err
			}
			setHostname(cfg, l, h)
		}
		return nil
	})
}

func canonDefaultDomain(s string) (string, error) {
	if s == "" || strings.EqualFold(s, "none") {
		return "", nil
	}
	d, err := canonHostname(s)
	if err != nil {
		return "", shell.Errorf("Invalid domain %q: enter a domain such as example.com, or none.", s)
	}
	return d, nil
}

func hostnameOf(cfg *store.Config, l *store.Listener) string {
	if l.Hostname == "" {
		return cfg.System.Hostname
	}
	return l.Hostname
}

// setHostname stores h, or "" (follow the system hostname) when h is the
// system hostname.
func setHostname(cfg *store.Config, l *store.Listener, h string) {
	if strings.EqualFold(h, cfg.System.Hostname) {
		h = ""
	}
	l.Hostname = h
}
