package listenercmd

import (
	"strings"

	"seg/shell"
	"seg/store"
)

// The batch forms of the listener level (SPEC 3.1): new, print, edit
// NAME setup. delete is in listenerOps.

func batchNew(c *shell.Ctx, cfg *store.Config, args []string) error {
	o, err := shell.UserOpts(args)
	if err != nil {
		return err
	}
	if err := o.Allow("type", "address", "port", "hostname", "accept", "relay"); err != nil {
		return err
	}
	if len(o.Pos) != 1 {
		return shell.ErrUsage
	}
	name := o.Pos[0]
	if err := checkListenerName(cfg, name, nil); err != nil {
		return err
	}
	typ := strings.ToLower(o.Named["type"])
	switch typ {
	case store.ListenerPublic, store.ListenerPrivate, store.ListenerBlackhole:
	case "":
		return shell.Errorf("Give the listener type: --type public, --type private or --type blackhole.")
	default:
		return shell.Errorf("Invalid listener type %q: use public, private or blackhole.", o.Named["type"])
	}
	if o.Named["address"] == "" || o.Named["port"] == "" {
		return shell.Errorf("Give the address and port: --address IP --port N.")
	}
	addr, err := canonAddress(o.Named["address"])
	if err != nil {
		return err
	}
	port, err := canonPort(o.Named["port"])
	if err != nil {
		return err
	}
	if err := checkEndpoint(cfg, addr, port, nil); err != nil {
		return err
	}
	l := store.NewListener(name, typ, addr, port)
	if h, ok := o.Named["hostname"]; ok {
		h, err := canonHostname(h)
		if err != nil {
			return err
		}
		setHostname(cfg, &l, h)
	}
	if v, ok := o.Named["accept"]; ok {
		if typ != store.ListenerPublic && typ != store.ListenerBlackhole {
			return shell.Errorf("--accept is for public and blackhole listeners (a private listener relays for the hosts of --relay).")
		}
		es, err := ratEntries(v)
		if err != nil {
			return err
		}
		l.RAT = acceptRAT(es)
	}
	if v, ok := o.Named["relay"]; ok {
		if typ != store.ListenerPrivate {
			return shell.Errorf("--relay is for private listeners (a public listener accepts mail for the domains of --accept).")
		}
		ms, err := membersOf(v)
		if err != nil {
			return err
		}
		l.HAT = store.NewPrivateHAT(ms)
	}
	cfg.Listeners = append(cfg.Listeners, l)
	return nil
}

// batchSetup is "edit NAME setup [--name N] [--address IP] [--port N]
// [--hostname H] [--default_domain D] [--max_concurrency N]" and the
// connection limits (connlimits.go).
func batchSetup(c *shell.Ctx, l *store.Listener, args []string) error {
	o, err := shell.UserOpts(args)
	if err != nil {
		return err
	}
	if err := o.Allow(append([]string{"name", "address", "port", "hostname", "default_domain", "max_concurrency", "certificate"}, connLimitOptions()...)...); err != nil {
		return err
	}
	if len(o.Pos) > 0 {
		return shell.ErrUsage
	}
	if len(o.Order) == 0 {
		return shell.Errorf("Nothing to change: give --address, --port, --hostname, --default_domain, --max_concurrency, --name or a connection limit (see help listenerconfig).")
	}
	if l.ConnLimits, err = parseConnLimits(o.Named, l.ConnLimits); err != nil {
		return err
	}
	cfg := c.Config()
	addr, port := l.Address, l.Port
	if v, ok := o.Named["address"]; ok {
		if addr, err = canonAddress(v); err != nil {
			return err
		}
	}
	if v, ok := o.Named["port"]; ok {
		if port, err = canonPort(v); err != nil {
			return err
		}
	}
	if err := checkEndpoint(cfg, addr, port, l); err != nil {
		return err
	}
	l.Address, l.Port = addr, port
	if v, ok := o.Named["hostname"]; ok {
		h, err := canonHostname(v)
		if err != nil {
			return err
		}
		setHostname(cfg, l, h)
	}
	if v, ok := o.Named["default_domain"]; ok {
		if l.DefaultDomain, err = canonDefaultDomain(v); err != nil {
			return err
		}
	}
	if v, ok := o.Named["max_concurrency"]; ok {
		if l.MaxConcurrency, err = canonMaxConcurrency(v); err != nil {
			return err
		}
	}
	if v, ok := o.Named["certificate"]; ok {
		if l.Certificate, err = canonCertificate(cfg, v); err != nil {
			return err
		}
	}
	if v, ok := o.Named["name"]; ok {
		if err := checkListenerName(cfg, v, l); err != nil {
			return err
		}
		l.Name = v
	}
	return nil
}

func printListenerBatch(c *shell.Ctx, cfg *store.Config, args []string) error {
	if len(args) > 1 {
		return shell.ErrUsage
	}
	if len(args) == 1 {
		l, err := lookupListener(cfg, args[0])
		if err != nil {
			return err
		}
		printListener(c, l)
		return nil
	}
	if len(cfg.Listeners) == 0 {
		c.Printf("No listeners are configured.\n")
	}
	for i := range cfg.Listeners {
		printListener(c, &cfg.Listeners[i])
	}
	return nil
}
