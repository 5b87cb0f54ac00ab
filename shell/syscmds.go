package shell

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"seg/internal/mailapi"
	"seg/store"
)

// The system commands AsyncOS admins reach for: version, sethostname,
// topin, hostrate, dnsstatus, nslookup, telnet, suspend, resume,
// shutdown and reboot. Those that need the MTA go through MailSystem,
// version, shutdown and reboot through System (shell/system.go).

// SystemCommands returns them.
func SystemCommands() []*Command {
	mail := []mailCmd{
		topinCmd(), dnsstatusCmd(), nslookupCmd(), telnetCmd(),
		{
			name: "suspend", help: "Suspend receiving and delivery: every listener and every destination.",
			usage: []string{"suspend [SECONDS]   (wait before closing connections still open; default 30)",
				"(deliveries in flight finish their message; a restart of seg resumes: suspend is not saved)"},
			access: AccessOperator,
			check: func(c *Ctx, args []string) (mailCall, error) {
				d, err := delayArg("suspend", args)
				return suspendCall(d), err
			},
			ask: func(c *Ctx) (mailCall, error) {
				d, err := askDelay(c)
				return suspendCall(d), err
			},
			plain: suspendCall(defaultDelay),
		},
		{
			name: "resume", help: "Resume receiving and delivery after suspend (every listener, every destination).",
			usage: []string{"resume"}, access: AccessOperator,
			plain: MailSystem.Resume,
		},
	}
	out := []*Command{versionCommand(), sethostnameCommand(), hostrateCommand(),
		powerCommand("shutdown", false), powerCommand("reboot", true)}
	for _, m := range mail {
		out = append(out, m.command())
	}
	return out
}

// defaultDelay is AsyncOS's default wait before connections are closed
// (suspend, shutdown, reboot).
const defaultDelay = 30 * time.Second

// maxDelay bounds that wait: an hour is longer than any SMTP session
// may idle (RFC 5321 section 4.5.3.2 asks for 10 minutes at most).
const maxDelay = time.Hour

func suspendCall(d time.Duration) mailCall {
	return func(ms MailSystem, w io.Writer) error { return ms.Suspend(w, d) }
}

// delayArg reads the optional SECONDS of suspend, shutdown and reboot.
func delayArg(cmd string, args []string) (time.Duration, error) {
	if len(args) > 1 {
		return 0, fmt.Errorf("Usage: %s [SECONDS]", cmd)
	}
	if len(args) == 0 {
		return defaultDelay, nil
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 || time.Duration(n)*time.Second > maxDelay {
		return 0, fmt.Errorf("Invalid number of seconds %q: enter a number from 0 to %d.", args[0], int(maxDelay/time.Second))
	}
	return time.Duration(n) * time.Second, nil
}

func askDelay(c *Ctx) (time.Duration, error) {
	n, err := c.AskInt("Enter the number of seconds to wait before abruptly closing connections.",
		int64(defaultDelay/time.Second), 0, int64(maxDelay/time.Second))
	return time.Duration(n) * time.Second, err
}

func versionCommand() *Command {
	return &Command{
		Name:   "version",
		Help:   "Show the version, serial number, install date and uptime of the appliance.",
		Usage:  []string{"version"},
		Access: AccessGuest,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return errors.New("version takes no arguments.")
			}
			if c.S.System == nil {
				return ErrNotRunning
			}
			v := c.S.System.Version()
			build := v.BuildDate
			if build == "" {
				build = "unknown"
			}
			day := func(t time.Time) string { return t.In(c.S.loc()).Format("2006-01-02 15:04:05") }
			c.Printf("Current Version\n===============\n")
			c.Printf("Product: seg Secure Email Gateway\n")
			c.Printf("Model: seg (software appliance)\n")
			c.Printf("Version: %s\n", v.Version)
			c.Printf("Build Date: %s\n", build)
			c.Printf("Install Date: %s\n", day(v.Installed))
			c.Printf("Serial #: %s\n", v.Serial)
			c.Printf("Go: %s\n", v.GoVersion)
			c.Printf("Up since: %s (%s)\n", c.Ctime(v.Started), v.Uptime)
			return nil
		},
	}
}

// ErrNotRunning is what the commands that need the appliance process
// (version, shutdown, reboot) say offline.
var ErrNotRunning = errors.New("The appliance is not running (start it with 'seg run').")

func sethostnameCommand() *Command {
	return &Command{
		Name:  "sethostname",
		Help:  "Set the appliance's hostname (the prompt, SMTP banners, EHLO, generated mail); applies at commit.",
		Usage: []string{"sethostname HOSTNAME"},
		// Staged like any change; committing it needs no more than
		// operator (store.RefusedChanges).
		Access: AccessOperator,
		Run: func(c *Ctx, args []string) error {
			var h string
			var err error
			switch {
			case len(args) == 1:
				h, err = checkHostname(args[0])
			case len(args) > 1:
				return errors.New("Usage: sethostname HOSTNAME")
			case c.S.Interactive:
				c.Printf("Current hostname: %s\n", c.Config().System.Hostname)
				h, err = c.AskRequired("Enter the new hostname.", "", checkHostname)
			default:
				return errors.New("sethostname needs arguments here. Usage: sethostname HOSTNAME")
			}
			if err != nil {
				return err
			}
			if h == c.Config().System.Hostname {
				c.Printf("The hostname is already %s.\n", h)
				return nil
			}
			c.Config().System.Hostname = h
			c.Printf("The hostname will be %s after 'commit': the prompt, the SMTP banner of listeners without a hostname of their own, the EHLO of deliveries and generated mail use it.\n", h)
			return nil
		},
	}
}

// checkHostname accepts a fully qualified name: at least two labels, not
// an address (AsyncOS refuses "bad" and "1.1.1.1").
func checkHostname(s string) (string, error) {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if _, err := netip.ParseAddr(h); err == nil || !store.ValidDomain(h) || !strings.Contains(h, ".") {
		return "", fmt.Errorf("Invalid hostname format %q: enter a fully qualified name such as mail.example.com.", s)
	}
	return h, nil
}

func topinCmd() mailCmd {
	call := func(o mailapi.TopInOrder) mailCall {
		return func(ms MailSystem, w io.Writer) error { return ms.TopIn(w, o) }
	}
	return mailCmd{
		name: "topin", help: "Show the top 20 remote hosts by incoming connections (or messages).",
		usage:  []string{"topin [1|2]   (sort: 1 Connections In, the default; 2 Messages In since start)"},
		access: AccessGuest, sub: []string{"1", "2"},
		check: func(c *Ctx, args []string) (mailCall, error) {
			if len(args) == 1 {
				if n, err := strconv.Atoi(args[0]); err == nil && mailapi.TopInOrder(n).Valid() {
					return call(mailapi.TopInOrder(n)), nil
				}
			}
			return nil, errors.New("Usage: topin [1|2] (1 Connections In, 2 Messages In)")
		},
		plain: call(mailapi.ByConnectionsIn),
	}
}

func dnsstatusCmd() mailCmd {
	return mailCmd{
		name: "dnsstatus", help: "Show the DNS resolver's counters: requests, cache hits, misses, exceptions, expired.",
		usage: []string{"dnsstatus"}, access: AccessGuest,
		plain: MailSystem.DNSStatus,
	}
}

func lookupTypeNames() []string {
	var out []string
	for _, t := range mailapi.LookupTypes {
		out = append(out, string(t))
	}
	return out
}

func nslookupCmd() mailCmd {
	call := func(name string, t mailapi.LookupType) mailCall {
		return func(ms MailSystem, w io.Writer) error { return ms.NSLookup(w, name, t) }
	}
	return mailCmd{
		name: "nslookup", help: "Look up a name's A, AAAA, MX, TXT or PTR records through seg's configured resolvers.",
		usage:  []string{"nslookup NAME [A|AAAA|MX|TXT|PTR]   (default A; PTR for an IP address)"},
		access: AccessOperator,
		complete: func(c *Ctx, args []string) []string {
			if len(args) == 2 {
				return lookupTypeNames()
			}
			return nil
		},
		check: func(c *Ctx, args []string) (mailCall, error) {
			if len(args) > 2 {
				return nil, errors.New("Usage: nslookup NAME [A|AAAA|MX|TXT|PTR]")
			}
			name, err := checkLookupName(args[0])
			if err != nil {
				return nil, err
			}
			t := defaultLookupType(name)
			if len(args) == 2 {
				var ok bool
				if t, ok = mailapi.ParseLookupType(args[1]); !ok {
					return nil, fmt.Errorf("Invalid arguments when processing nslookup: unknown query type %q (A, AAAA, MX, TXT or PTR).", args[1])
				}
			}
			return call(name, t), nil
		},
		ask: func(c *Ctx) (mailCall, error) {
			name, err := c.AskRequired("Please enter the host or IP address to resolve.", "", checkLookupName)
			if err != nil {
				return nil, err
			}
			items := []string{
				"A the host's IP address",
				"AAAA the host's IPv6 address",
				"MX the mail exchanger",
				"TXT the text information",
				"PTR the hostname if the query is an Internet address",
			}
			def := 1
			if defaultLookupType(name) == "PTR" {
				def = 5
			}
			i, err := c.Choose("Choose the query type:", items, def)
			if err != nil {
				return nil, err
			}
			return call(name, mailapi.LookupTypes[i]), nil
		},
	}
}

func checkLookupName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String(), nil
	}
	return checkHost(s)
}

func defaultLookupType(name string) mailapi.LookupType {
	if _, err := netip.ParseAddr(name); err == nil {
		return "PTR"
	}
	return "A"
}

func telnetCmd() mailCmd {
	call := func(host string, port int) mailCall {
		return func(ms MailSystem, w io.Writer) error { return ms.Telnet(w, host, port) }
	}
	return mailCmd{
		name: "telnet", help: "Connect to a host's port, show its banner and hang up (a connectivity check, not a session).",
		usage: []string{"telnet HOST [PORT]   (default port 25; waits 5 seconds at most; sends nothing)",
			"(seg has no ping: ICMP needs raw sockets, which seg does not open; telnet checks that a TCP port answers)"},
		access: AccessOperator,
		check: func(c *Ctx, args []string) (mailCall, error) {
			if len(args) > 2 {
				return nil, errors.New("Usage: telnet HOST [PORT]")
			}
			host, err := checkLookupName(args[0])
			if err != nil {
				return nil, err
			}
			port := 25
			if len(args) == 2 {
				if port, err = checkPort(args[1]); err != nil {
					return nil, err
				}
			}
			return call(host, port), nil
		},
		ask: func(c *Ctx) (mailCall, error) {
			host, err := c.AskRequired("Enter the remote hostname or IP address.", "", checkLookupName)
			if err != nil {
				return nil, err
			}
			p, err := c.AskInt("Enter the remote port.", 25, 1, 65535)
			return call(host, int(p)), err
		},
	}
}

func checkPort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("Invalid port %q: enter a number from 1 to 65535.", s)
	}
	return n, nil
}

// powerCommand is shutdown or reboot: after AsyncOS's questions, receiving
// and delivery are suspended as suspend does (connections still open
// after the wait are closed), then the process stops cleanly, and for
// reboot runs again in place.
func powerCommand(name string, restart bool) *Command {
	help := "Stop the appliance cleanly: listeners closed, deliveries finished or left queued."
	done := "System shutting down. Please close this session."
	if restart {
		help = "Restart the appliance in place (a clean stop, then the same binary with the same arguments)."
		done = "System rebooting. Please close this session."
	}
	return &Command{
		Name:   name,
		Help:   help,
		Usage:  []string{name + " [SECONDS]   (wait before closing connections still open; default 30)"},
		Access: AccessOperator,
		Run: func(c *Ctx, args []string) error {
			d, err := delayArg(name, args)
			if err != nil {
				return err
			}
			ms, err := c.Mail()
			if err != nil {
				return err
			}
			if c.S.System == nil {
				return ErrNotRunning
			}
			if len(args) == 0 && c.S.Interactive {
				if c.S.Dirty() {
					yes, err := c.AskYN("You have uncommitted changes, which will be lost. Are you sure you want to continue?", false)
					if err != nil || !yes {
						return err
					}
				}
				if d, err = askDelay(c); err != nil {
					return err
				}
			}
			if err := ms.Suspend(c.Out, d); err != nil {
				return err
			}
			c.Println(done)
			return c.S.System.Stop(restart)
		},
	}
}
