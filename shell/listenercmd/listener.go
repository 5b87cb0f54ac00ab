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
	if l.Address == "" && l.Port == 0 {
		// A cluster's listener this machine has no address for: it
		// does not run here until it has one (SPEC 14; the address is
		// machine-level).
		return fmt.Sprintf("%s (no address on this machine: not running here; listenerconfig edit %s setup --address IP --port N) %s", l.Name, l.Name, typeLabel(l))
	}
	return fmt.Sprintf("%s (on %s) SMTP TCP Port %d %s", l.Name, l.Address, l.Port, typeLabel(l))
}

// typeLabel is the type as AsyncOS shows it.
func typeLabel(l *store.Listener) string {
	switch l.Type {
	case store.ListenerPrivate:
		return "Private"
	case store.ListenerBlackhole:
		return "Blackhole"
	}
	return "Public"
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

func deleteListenerInteractive(c *shell.Ctx, cfg *store.Config) error {
	l, err := pickListener(c, "Enter the name or number of the listener you wish to delete.")
	if err != nil || l == nil {
		return err
	}
	ok, err := shell.AskYN(c, fmt.Sprintf("WARNING: deleting listener %s also deletes its host and recipient access tables.\nAre you sure you want to delete it?", l.Name), false)
	if err != nil || !ok {
		return err
	}
	name := l.Name
	deleteListener(cfg, name)
	c.Printf("Listener %s deleted.\n", name)
	return nil
}

func printListenerInteractive(c *shell.Ctx, cfg *store.Config) error {
	l, err := pickListener(c, "Enter the name or number of the listener you wish to print.")
	if err != nil || l == nil {
		return err
	}
	printListener(c, l)
	return nil
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
	ti, err := shell.Choose(c, "Please select the type of listener you want to create.", []string{"Public", "Private", "Blackhole (accepts mail and discards it, for testing)"}, 1)
	if err != nil {
		return err
	}
	typ := []string{store.ListenerPublic, store.ListenerPrivate, store.ListenerBlackhole}[ti]
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
	switch typ {
	case store.ListenerBlackhole:
		// AsyncOS also offers a Blackhole that writes each message to
		// disk first, to measure the disk: seg has only the one that
		// logs and discards.
		c.Printf("\nA Blackhole listener accepts every recipient (RAT: ALL ACCEPT) and discards each message after the 250 reply.\nNothing it accepts is queued or delivered.\n")
	case store.ListenerPublic:
		list, err := shell.Ask(c, "Enter the domains or addresses this listener accepts mail for, separated by commas\n(for example: example.com, .example.com). Until you add some, it rejects every recipient.", "", checker(func(s string) (string, error) {
			_, err := ratEntries(s)
			return s, err
		}))
		if err != nil {
			return err
		}
		es, _ := ratEntries(list)
		l.RAT = acceptRAT(es)
	default:
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
	typ := typeLabel(l)
	if l.Type == store.ListenerBlackhole {
		typ += " (accepts mail and discards it: nothing is queued or delivered)"
	}
	host := l.Hostname
	if host == "" {
		host = cfg.System.Hostname + " (the system hostname)"
	}
	dd := l.DefaultDomain
	if dd == "" {
		dd = "None"
	}
	c.Printf("\nName: %s\nType: %s\nInterface: %s TCP Port %d\nProtocol: SMTP\nHostname: %s\nDefault Domain: %s\nMax Concurrent Connections: %d\nCertificate (STARTTLS): %s\n",
		l.Name, typ, l.Address, l.Port, host, dd, l.MaxConcurrency, l.CertificateName())
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
	if l.HasRAT() {
		c.Printf("\nRecipient Access Table:\n%s", store.FormatRAT(l.RAT))
	}
}

// listenerEditOps is a listener's EDIT menu and the batch forms "edit
// NAME setup|hostaccess|rcptaccess ...". NAME, INTERFACE and LIMITS are
// in the batch form of SETUP. The listener stays the same object while
// the menu runs (the menus add and remove no listener), renamed or not.
var listenerEditOps = &shell.Table[*store.Listener]{Prefix: "listenerconfig edit NAME", What: "listener setting", Denied: "change listeners", Ops: []shell.Operation[*store.Listener]{
	{Name: "name", Desc: "Change the name of the listener.", Access: shell.AccessOperator,
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			n, err := shell.AskRequired(c, "Please enter a new name for this listener.", l.Name, checker(func(s string) (string, error) {
				return s, checkListenerName(c.Config(), s, l)
			}))
			if err != nil {
				return err
			}
			l.Name = n
			return nil
		}},
	{Name: "interface", Desc: "Change the IP address and port of the listener.", Access: shell.AccessOperator, Menu: askInterface},
	{Name: "limits", Desc: "Change the injection limits.", Access: shell.AccessOperator, Menu: askLimits},
	{Name: "setup", Desc: "Configure general options.", Access: shell.AccessOperator,
		Usage: []string{"[--address IP] [--port N] [--hostname H] [--max_concurrency N] [--default_domain D|none] [--name NEWNAME] [--certificate NAME]\n" +
			"    [--idle_timeout S] [--max_connection_time S] [--data_timeout S] [--min_data_rate N] [--data_rate_interval S] [--pressure_idle S] [--reserved_percent P]"},
		Batch: batchSetup,
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			return listenerSetupOps.Menu(c, l, func() { showSetup(c, l) })
		},
		Complete: func(*shell.Ctx, *store.Listener, []string) []string {
			out := []string{"--address=", "--port=", "--hostname=", "--max_concurrency=", "--default_domain=", "--name=", "--certificate="}
			for _, n := range connLimitOptions() {
				out = append(out, "--"+n+"=")
			}
			return out
		},
		Sub: listenerSetupOps},
	{Name: "hostaccess", Desc: "Modify the Host Access Table.",
		Usage:    hatOps.Forms(),
		Batch:    hatOps.Batch,
		Menu:     func(c *shell.Ctx, l *store.Listener) error { return hatOps.Menu(c, l, func() { showHAT(c, &l.HAT) }) },
		Complete: hatOps.Complete,
		Sub:      hatOps},
	{Name: "rcptaccess", Desc: "Modify the Recipient Access Table.",
		Usage: ratOps.Forms(),
		Batch: func(c *shell.Ctx, l *store.Listener, args []string) error {
			if err := checkPublic(l); err != nil {
				return err
			}
			return ratOps.Batch(c, l, args)
		},
		Menu:     func(c *shell.Ctx, l *store.Listener) error { return ratOps.Menu(c, l, func() { showRAT(c, l) }) },
		Shown:    func(c *shell.Ctx, l *store.Listener) bool { return l.HasRAT() },
		Complete: ratOps.Complete,
		Sub:      ratOps},
	{Name: "smtpauth", Desc: "Configure SMTP authentication.",
		Usage:    []string{"[--smtpauth_allow=off|on|required] [--smtpauth_requiretls=on|off] [--smtpauth_relay=on|off]   (no option: print)"},
		Batch:    batchSMTPAuth,
		Menu:     askSMTPAuthSettings,
		Complete: completeSMTPAuth},
	{Name: "certificate", Desc: "Choose the certificate.", Access: shell.AccessOperator,
		Usage:    []string{"CERT   (a certconfig name)"},
		Batch:    batchCertificate,
		Menu:     askCertificate,
		Complete: completeCertificate},
}}

// askInterface is INTERFACE: the address and port.
func askInterface(c *shell.Ctx, l *store.Listener) error {
	cfg := c.Config()
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
	return nil
}

// askLimits is LIMITS: the concurrency, then the connection limits.
func askLimits(c *shell.Ctx, l *store.Listener) error {
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
}

func showSetup(c *shell.Ctx, l *store.Listener) {
	dd, host := l.DefaultDomain, l.Hostname
	if dd == "" {
		dd = "None"
	}
	if host == "" {
		host = c.Config().System.Hostname + " (the system hostname)"
	}
	c.Printf("\nDefault Domain: %s\nHostname: %s\n", dd, host)
}

// listenerSetupOps is the SETUP menu of a listener (batch: edit NAME
// setup --default_domain D --hostname H).
var listenerSetupOps = &shell.Table[*store.Listener]{Prefix: "listenerconfig edit NAME setup", Ops: []shell.Operation[*store.Listener]{
	{Name: "defaultdomain", Desc: "Configure a default domain for addresses without a domain.",
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			d, err := shell.Ask(c, "Enter the default domain added to addresses without a domain (\"none\" for no default domain).", l.DefaultDomain, checker(canonDefaultDomain))
			if err != nil {
				return err
			}
			l.DefaultDomain = d
			return nil
		}},
	{Name: "hostname", Desc: "Change the hostname shown in the SMTP banner.",
		Menu: func(c *shell.Ctx, l *store.Listener) error {
			cfg := c.Config()
			h, err := shell.Ask(c, "Enter the hostname this listener shows in its SMTP banner.", hostnameOf(cfg, l), checker(canonHostname))
			if err != nil {
				return err
			}
			setHostname(cfg, l, h)
			return nil
		}},
}}

// canonCertificate checks a certconfig name and returns it as stored:
// "" for Default, which a listener uses when it names none.
func canonCertificate(cfg *store.Config, s string) (string, error) {
	ct := cfg.Cert(s)
	if ct == nil {
		return "", shell.Errorf("There is no certificate named %q (certconfig print lists them).", s)
	}
	if ct.Name == store.DefaultCertificate {
		return "", nil
	}
	return ct.Name, nil
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
