package configcmd

import (
	"strings"

	"seg/shell"
	"seg/store"
)

// addresslistconfig: named address lists (SPEC 10), which a mail flow
// policy's sender_rate_exceptions names. Entries: user@example.com,
// @example.com, @.example.com (subdomains), an IP address or a CIDR
// block (the client's address).

func addresslistconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "addresslistconfig",
		Help:   "Configure address lists (the exceptions to envelope sender rate limiting).",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			if n := len(cfg.AddressLists); n == 0 {
				c.Printf("\nNo address lists configured.\n")
			} else {
				c.Printf("\n%s\n", shell.Plural(n, "address list configured.", "address lists configured."))
			}
		},
		Table: &shell.Table[*store.Config]{Prefix: "addresslistconfig", Ops: addressListOps},
	}.Command()
}

const addressListEntries = "ENTRY: user@example.com, @example.com, @.example.com (subdomains), an IP address or a CIDR block such as 10.0.0.0/8"

var addressListOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a new address list.",
		Usage: []string{"NAME --addresses ENTRY[,ENTRY...]   (" + addressListEntries + ")"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			name, addrs, err := addressListArgs(args)
			if err != nil {
				return err
			}
			return addAddressList(cfg, name, addrs)
		},
		Menu: addressListNewMenu},
	{Name: "edit", Desc: "Modify an address list.",
		Usage: []string{"NAME --addresses ENTRY[,ENTRY...]   (replaces the entries)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			name, addrs, err := addressListArgs(args)
			if err != nil {
				return err
			}
			l := cfg.AddressList(name)
			if l == nil {
				return addressListNotFound(name)
			}
			l.Addresses = addrs
			return nil
		},
		Menu:     addressListEditMenu,
		Complete: addressListArg},
	{Name: "delete", Desc: "Remove an address list.",
		Usage:    []string{"NAME"},
		Batch:    shell.OneName(func(c *shell.Ctx, cfg *store.Config, name string) error { return deleteAddressList(cfg, name) }),
		Menu:     addressListDeleteMenu,
		Complete: addressListArg},
	shell.PrintOp("Display all address lists.", func(c *shell.Ctx, cfg *store.Config) string { return addressListsText(cfg) }),
}

// addressListArgs reads "NAME --addresses LIST".
func addressListArgs(args []string) (string, []string, error) {
	o, err := shell.UserOpts(args)
	if err != nil {
		return "", nil, err
	}
	if err := o.Allow("addresses"); err != nil {
		return "", nil, err
	}
	list, ok := o.Named["addresses"]
	if len(o.Pos) != 1 || !ok {
		return "", nil, shell.ErrUsage
	}
	addrs, err := canonAddressEntries(list)
	return o.Pos[0], addrs, err
}

// canonAddressEntries checks a list of entries and returns them in the
// stored form, without duplicates.
func canonAddressEntries(list string) ([]string, error) {
	items := shell.SplitList(list)
	if len(items) == 0 {
		return nil, shell.Errorf("Enter at least one address (%s).", addressListEntries)
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range items {
		v, err := store.CanonAddressEntry(s)
		if err != nil {
			return nil, shell.Errorf("%s", shell.Sentence(err.Error()))
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}

func addAddressList(cfg *store.Config, name string, addrs []string) error {
	if !store.ValidAddressListName(name) {
		return shell.Errorf("%q is not a valid address list name (a letter, then letters, digits, '_' or '-').", name)
	}
	if cfg.AddressList(name) != nil {
		return shell.Errorf("An address list named %s already exists.", name)
	}
	cfg.AddressLists = append(cfg.AddressLists, store.AddressList{Name: name, Addresses: addrs})
	return nil
}

// deleteAddressList refuses to remove a list a policy names: the policy
// would lose its exceptions silently.
func deleteAddressList(cfg *store.Config, name string) error {
	for i, l := range cfg.AddressLists {
		if !strings.EqualFold(l.Name, name) {
			continue
		}
		if users := cfg.AddressListUsers(l.Name); len(users) > 0 {
			return shell.Errorf("Address list %s is used by the sender_rate_exceptions of: %s. Change those first.", l.Name, strings.Join(users, "; "))
		}
		cfg.AddressLists = append(cfg.AddressLists[:i:i], cfg.AddressLists[i+1:]...)
		return nil
	}
	return addressListNotFound(name)
}

func addressListNotFound(name string) error {
	return shell.Errorf("No address list named %s.", name)
}

func addressListArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) == 1 {
		return names(cfg.AddressLists, func(l *store.AddressList) string { return l.Name })
	}
	return nil
}

func addressListsText(cfg *store.Config) string {
	if len(cfg.AddressLists) == 0 {
		return "No address lists configured.\n"
	}
	rows := make([][]string, 0, len(cfg.AddressLists))
	for _, l := range cfg.AddressLists {
		rows = append(rows, []string{l.Name, strings.Join(l.Addresses, ", ")})
	}
	return shell.FormatTable([]string{"Name", "Addresses"}, rows)
}

// askAddressList asks for an existing list; an empty answer returns nil.
func askAddressList(c *shell.Ctx, cfg *store.Config, question string) (*store.AddressList, error) {
	if len(cfg.AddressLists) == 0 {
		return nil, shell.Errorf("No address lists configured.")
	}
	var l *store.AddressList
	_, err := shell.AskOf(c, question, "", names(cfg.AddressLists, func(l *store.AddressList) string { return l.Name }), func(s string) (string, error) {
		if s == "" {
			return s, nil
		}
		if l = cfg.AddressList(s); l == nil {
			return "", addressListNotFound(s)
		}
		return s, nil
	})
	return l, err
}

func askAddressEntries(c *shell.Ctx, def string) ([]string, error) {
	var addrs []string
	_, err := shell.AskRequired(c, "Enter the addresses, separated by commas: user@example.com, @example.com, @.example.com (its subdomains), an IP address or a CIDR block such as 10.0.0.0/8.", def, func(s string) (string, error) {
		v, err := canonAddressEntries(s)
		addrs = v
		return s, err
	})
	return addrs, err
}

func addressListNewMenu(c *shell.Ctx, cfg *store.Config) error {
	name, err := shell.AskRequired(c, "Enter a name for the address list.", "", func(s string) (string, error) {
		if !store.ValidAddressListName(s) {
			return "", shell.Errorf("%q is not a valid address list name (a letter, then letters, digits, '_' or '-').", s)
		}
		if cfg.AddressList(s) != nil {
			return "", shell.Errorf("An address list named %s already exists.", s)
		}
		return s, nil
	})
	if err != nil {
		return err
	}
	addrs, err := askAddressEntries(c, "")
	if err != nil {
		return err
	}
	return addAddressList(cfg, name, addrs)
}

func addressListEditMenu(c *shell.Ctx, cfg *store.Config) error {
	l, err := askAddressList(c, cfg, "Enter the name of the address list you want to edit.")
	if err != nil || l == nil {
		return err
	}
	addrs, err := askAddressEntries(c, strings.Join(l.Addresses, ", "))
	if err != nil {
		return err
	}
	l.Addresses = addrs
	return nil
}

func addressListDeleteMenu(c *shell.Ctx, cfg *store.Config) error {
	l, err := askAddressList(c, cfg, "Enter the name of the address list you want to delete.")
	if err != nil || l == nil {
		return err
	}
	return deleteAddressList(cfg, l.Name)
}
