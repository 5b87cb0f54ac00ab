package configcmd

import (
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// interfaceconfig: the appliance's IP interfaces, AsyncOS's command of
// that name reduced to what seg models: a name for an address of the
// host (store/interfaces.go). The New SMTP ICID line of mail_logs names
// the interface a connection arrived on. seg configures no network:
// netmask, Ethernet port, hostname and the services AsyncOS enables per
// interface are not asked.

func interfaceconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "interfaceconfig",
		Help:   "Configure the IP interfaces: names for the host's addresses, shown in mail_logs (New SMTP ICID ... interface NAME (IP)).",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			c.Printf("\n%s", interfacesText(cfg))
		},
		Table: &shell.Table[*store.Config]{Prefix: "interfaceconfig", Ops: interfaceOps},
	}.Command()
}

const (
	askInterfaceName    = `Please enter a name for this IP interface (Ex: "InternalNet"):`
	askInterfaceAddress = "IP Address (Ex: 192.168.1.2 or 2001:db8::5):"
)

var interfaceOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a new interface.",
		Usage: []string{"NAME --address IP"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("address"); err != nil {
				return err
			}
			addr, ok := o.Named["address"]
			if len(o.Pos) != 1 || !ok {
				return shell.ErrUsage
			}
			return addInterface(cfg, o.Pos[0], addr)
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := shell.AskRequired(c, askInterfaceName, "", func(s string) (string, error) {
				return s, checkNewInterfaceName(cfg, s, nil)
			})
			if err != nil {
				return err
			}
			addr, err := shell.AskRequired(c, askInterfaceAddress, "", func(s string) (string, error) {
				return checkInterfaceAddress(cfg, s, nil)
			})
			if err != nil {
				return err
			}
			return addInterface(cfg, name, addr)
		}},
	{Name: "edit", Desc: "Modify an interface.",
		Usage: []string{"NAME [--name NEWNAME] [--address IP]"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("name", "address"); err != nil {
				return err
			}
			if len(o.Pos) != 1 || len(o.Order) == 0 {
				return shell.ErrUsage
			}
			in := cfg.Interface(o.Pos[0])
			if in == nil {
				return interfaceNotFound(o.Pos[0])
			}
			name, addr := in.Name, in.Address
			if v, ok := o.Named["name"]; ok {
				name = v
			}
			if v, ok := o.Named["address"]; ok {
				addr = v
			}
			return editInterface(cfg, in, name, addr)
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			i, err := shell.Choose(c, "Enter the number of the interface you wish to edit.", interfaceItems(cfg), 0)
			if err != nil {
				return err
			}
			in := &cfg.Interfaces[i]
			name, err := shell.AskRequired(c, askInterfaceName, in.Name, func(s string) (string, error) {
				return s, checkNewInterfaceName(cfg, s, in)
			})
			if err != nil {
				return err
			}
			addr, err := shell.AskRequired(c, askInterfaceAddress, in.Address, func(s string) (string, error) {
				return checkInterfaceAddress(cfg, s, in)
			})
			if err != nil {
				return err
			}
			return editInterface(cfg, in, name, addr)
		},
		Shown:    func(c *shell.Ctx, cfg *store.Config) bool { return len(cfg.Interfaces) > 0 },
		Complete: interfaceNameArg},
	{Name: "delete", Desc: "Remove an interface.",
		Usage: []string{"NAME"},
		Batch: shell.OneName(func(c *shell.Ctx, cfg *store.Config, name string) error {
			return deleteInterface(c, cfg, name)
		}),
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			i, err := shell.Choose(c, "Enter the number of the interface you wish to delete.", interfaceItems(cfg), 0)
			if err != nil {
				return err
			}
			return deleteInterface(c, cfg, cfg.Interfaces[i].Name)
		},
		Shown:    func(c *shell.Ctx, cfg *store.Config) bool { return len(cfg.Interfaces) > 0 },
		Complete: interfaceNameArg},
	shell.PrintOp("Display the interfaces.", func(c *shell.Ctx, cfg *store.Config) string { return interfacesText(cfg) }),
}

// interfaceNameArg completes an interface's name as the first word.
func interfaceNameArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) == 1 {
		return names(cfg.Interfaces, func(in *store.IPInterface) string { return in.Name })
	}
	return nil
}

func interfaceNotFound(name string) error {
	return shell.Errorf("There is no interface named %s (interfaceconfig print lists them).", store.Excerpt(name))
}

// checkNewInterfaceName validates a name for a new interface, or for
// self renamed: valid, and no other interface's.
func checkNewInterfaceName(cfg *store.Config, name string, self *store.IPInterface) error {
	if err := store.CheckInterfaceName(name); err != nil {
		return shell.Errorf("%v", err)
	}
	if other := cfg.Interface(name); other != nil && other != self {
		return shell.Errorf("An interface named %s already exists.", other.Name)
	}
	return nil
}

// checkInterfaceAddress validates an address for a new interface, or for
// self: an IP address no other interface has. It returns the canonical
// form.
func checkInterfaceAddress(cfg *store.Config, s string, self *store.IPInterface) (string, error) {
	a, err := store.CheckInterfaceAddress(s)
	if err != nil {
		return "", shell.Errorf("%v", err)
	}
	for i := range cfg.Interfaces {
		if in := &cfg.Interfaces[i]; in != self && in.Address == a {
			return "", shell.Errorf("%s is already the address of interface %s.", a, in.Name)
		}
	}
	return a, nil
}

func addInterface(cfg *store.Config, name, addr string) error {
	if err := checkNewInterfaceName(cfg, name, nil); err != nil {
		return err
	}
	a, err := checkInterfaceAddress(cfg, addr, nil)
	if err != nil {
		return err
	}
	cfg.Interfaces = append(cfg.Interfaces, store.IPInterface{Name: name, Address: a})
	return nil
}

func editInterface(cfg *store.Config, in *store.IPInterface, name, addr string) error {
	if err := checkNewInterfaceName(cfg, name, in); err != nil {
		return err
	}
	a, err := checkInterfaceAddress(cfg, addr, in)
	if err != nil {
		return err
	}
	in.Name, in.Address = name, a
	return nil
}

// deleteInterface removes an interface. Listeners on its address keep
// working: their connections are then logged under the listener's name,
// which the note says.
func deleteInterface(c *shell.Ctx, cfg *store.Config, name string) error {
	for i := range cfg.Interfaces {
		in := cfg.Interfaces[i]
		if !strings.EqualFold(in.Name, name) {
			continue
		}
		cfg.Interfaces = without(cfg.Interfaces, i)
		for _, l := range cfg.Listeners {
			if l.Address == in.Address {
				c.Printf("Note: listener %s is on %s, which no interface names now: mail_logs shows the listener's name in its New SMTP ICID lines.\n", l.Name, in.Address)
			}
		}
		return nil
	}
	return interfaceNotFound(name)
}

func interfaceItems(cfg *store.Config) []string {
	return names(cfg.Interfaces, func(in *store.IPInterface) string { return in.Name + " (" + in.Address + ")" })
}

// interfacesText lists the interfaces as AsyncOS's interfaceconfig does
// ("1. Management (10.1.1.1/24 on Management: host)"), without the
// netmask, port and hostname seg does not model.
func interfacesText(cfg *store.Config) string {
	if len(cfg.Interfaces) == 0 {
		return "There are no interfaces configured: mail_logs names each listener instead.\n"
	}
	var b strings.Builder
	b.WriteString("Currently configured interfaces:\n")
	for i, it := range interfaceItems(cfg) {
		b.WriteString(strconv.Itoa(i+1) + ". " + it + "\n")
	}
	return b.String()
}
