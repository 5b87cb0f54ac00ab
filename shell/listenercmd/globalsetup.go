package listenercmd

import (
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// listenerconfig SETUP: the settings of all listeners together
// (store.ListenerSetup). seg enforces one of AsyncOS's global settings,
// the global connection limit; for each of the others the menu says
// what seg does instead, rather than take a value it would ignore.

// globalSetupOthers are AsyncOS's other global SETUP questions and
// what seg does about each.
var globalSetupOthers = []string{
	"Global limit for concurrent TLS connections: none; TLS connections count against the connection limits.",
	"Maximum message header lines, maximum subject length: none; max_message_size (HAT) bounds the whole message.",
	"SenderBase cache: the DNS answers behind SBRS are cached for their TTL (dnsconfig); there is no separate cache time.",
	"Injection control counter reset period: one hour, fixed (max_rcpts_per_hour counts over the last hour).",
	"Timeout for unsuccessful inbound connections, total inbound connection time: per listener (EDIT, LIMITS: idle_timeout, max_connection_time).",
	"Hostname in Received: headers: the listener's hostname (EDIT, SETUP, HOSTNAME).",
	"Message-ID header for messages without one: not added.",
	"HAT delayed rejection (reject at RCPT instead of at connection): not offered; a REJECT policy refuses with its banner.",
}

func globalLimitText(n int) string {
	if n == 0 {
		return "no global limit (each listener's own)"
	}
	return strconv.Itoa(n)
}

func showGlobalSetup(c *shell.Ctx, cfg *store.Config) {
	c.Printf("\nGlobal limit for concurrent connections (all listeners): %s\n", globalLimitText(cfg.ListenerSetup.MaxConcurrency))
	c.Printf("\nAsyncOS's other global settings, and what seg does instead:\n")
	for _, s := range globalSetupOthers {
		c.Printf("- %s\n", s)
	}
}

func canonGlobalLimit(s string) (int, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "none") {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > store.MaxGlobalConcurrency {
		return 0, shell.Errorf("Invalid global connection limit %q: enter a number from 1 to %d, or 0 (none) for no global limit.", s, store.MaxGlobalConcurrency)
	}
	return n, nil
}

// globalSetupInteractive shows the settings and asks for the limit.
func globalSetupInteractive(c *shell.Ctx, cfg *store.Config) error {
	showGlobalSetup(c, cfg)
	v, err := shell.Ask(c, "Enter the global limit for concurrent connections to be allowed across all listeners (0: no global limit).",
		strconv.Itoa(cfg.ListenerSetup.MaxConcurrency), checker(func(s string) (string, error) {
			n, err := canonGlobalLimit(s)
			return strconv.Itoa(n), err
		}))
	if err != nil {
		return err
	}
	cfg.ListenerSetup.MaxConcurrency, _ = strconv.Atoi(v)
	return nil
}

// batchGlobalSetup is "setup [--max_concurrency N|none]"; with no
// option it prints.
func batchGlobalSetup(c *shell.Ctx, cfg *store.Config, args []string) error {
	o, err := shell.UserOpts(args)
	if err != nil {
		return err
	}
	if err := o.Allow("max_concurrency"); err != nil {
		return err
	}
	if len(o.Pos) > 0 {
		return shell.ErrUsage
	}
	v, ok := o.Named["max_concurrency"]
	if !ok {
		showGlobalSetup(c, cfg)
		return nil
	}
	if shell.RoleAccess(c.S.Role) < shell.AccessOperator {
		return shell.Errorf("You are not in the correct access group to change listeners.")
	}
	n, err := canonGlobalLimit(v)
	if err != nil {
		return err
	}
	cfg.ListenerSetup.MaxConcurrency = n
	return nil
}
