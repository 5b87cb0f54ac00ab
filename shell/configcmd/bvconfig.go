package configcmd

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// bvconfig: the bounce verification keys (SPEC 11). The newest key signs
// (outbound tagging, destconfig bounce_validation); every key verifies
// the prvs= tags of incoming bounces, an older one for --old-key-days
// after a newer one was made. Secrets are never printed; operators may
// change the keys (they are mail configuration), and masked showconfig
// and saveconfig output (the default; always for non-admins) hides them.

func bvconfigCommand() *shell.Command {
	cmd := shell.CommandSpec[*store.Config]{
		Name:   "bvconfig",
		Help:   "Configure the bounce verification keys (prvs= address tagging).",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			c.Printf("\n%s", bvText(c, cfg))
		},
		Table: &shell.Table[*store.Config]{Prefix: "bvconfig", Ops: bvOps},
	}.Command()
	cmd.SecretOpts = []string{"text"}
	return cmd
}

var bvOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a new key (the newest key signs).",
		Usage: []string{"KEYNAME [--text SECRET]   (a random secret when omitted)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("text"); err != nil {
				return err
			}
			text, given := o.Named["text"]
			if len(o.Pos) != 1 || (given && text == "") {
				return shell.ErrUsage
			}
			return addBVKey(c, cfg, o.Pos[0], text)
		},
		Menu: bvNewMenu},
	{Name: "delete", Desc: "Remove a key.",
		Usage:    []string{"KEYNAME"},
		Batch:    shell.OneName(func(c *shell.Ctx, cfg *store.Config, name string) error { return deleteBVKey(cfg, name) }),
		Menu:     bvDeleteMenu,
		Complete: bvKeyArg},
	shell.PrintOp("Display the keys (names, numbers, creation dates; never the secrets).", func(c *shell.Ctx, cfg *store.Config) string { return bvText(c, cfg) }),
	{Name: "setup", Desc: "Set how long older keys still verify.",
		Usage: []string{"--old-key-days N   (1-" + strconv.Itoa(store.MaxOldKeyDays) + "; default " + strconv.Itoa(store.DefaultOldKeyDays) + ")"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("old-key-days"); err != nil {
				return err
			}
			v, ok := o.Named["old-key-days"]
			if len(o.Pos) != 0 || !ok {
				return shell.ErrUsage
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > store.MaxOldKeyDays {
				return shell.Errorf("--old-key-days must be a number of days from 1 to %d, not %q.", store.MaxOldKeyDays, v)
			}
			cfg.BounceVerification.OldKeyDays = n
			return nil
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			n, err := shell.AskInt(c, "For how many days should keys that a newer key replaced still verify bounces?",
				cfg.BounceVerification.OldKeyDaysOrDefault(), 1, store.MaxOldKeyDays)
			if err != nil {
				return err
			}
			cfg.BounceVerification.OldKeyDays = n
			return nil
		}},
}

func checkBVName(cfg *store.Config, name string) error {
	if !store.ValidAddressListName(name) {
		return shell.Errorf("%q is not a valid key name (a letter, then letters, digits, '_' or '-').", name)
	}
	if cfg.BounceVerification.Key(name) != nil {
		return shell.Errorf("A key named %s already exists.", name)
	}
	return nil
}

// addBVKey adds a key with the lowest free number; an empty secret is
// generated (32 random octets, in hex).
func addBVKey(c *shell.Ctx, cfg *store.Config, name, secret string) error {
	if err := checkBVName(cfg, name); err != nil {
		return err
	}
	bv := &cfg.BounceVerification
	num := bv.FreeNumber()
	if num < 0 {
		return shell.Errorf("There are already %d keys, one for each tag digit; delete one first.", store.MaxBVKeys)
	}
	if len(secret) > store.MaxBVSecret {
		return shell.Errorf("The key text is too long (at most %d characters).", store.MaxBVSecret)
	}
	if secret == "" {
		b := make([]byte, 32)
		rand.Read(b) // never fails (crypto/rand, Go 1.24)
		secret = hex.EncodeToString(b)
	}
	created := c.Now()
	if n := len(bv.Keys); n > 0 && created.Before(bv.Keys[n-1].Created) {
		created = bv.Keys[n-1].Created // keep creation order: the newest signs
	}
	bv.Keys = append(bv.Keys, store.BVKey{Name: name, Number: num, Secret: secret, Created: created})
	return nil
}

func deleteBVKey(cfg *store.Config, name string) error {
	bv := &cfg.BounceVerification
	for i, k := range bv.Keys {
		if strings.EqualFold(k.Name, name) {
			bv.Keys = without(bv.Keys, i)
			return nil
		}
	}
	return shell.Errorf("No bounce verification key named %s.", name)
}

func bvKeyArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) == 1 {
		return names(cfg.BounceVerification.Keys, func(k *store.BVKey) string { return k.Name })
	}
	return nil
}

func bvText(c *shell.Ctx, cfg *store.Config) string {
	bv := &cfg.BounceVerification
	days := "Older keys verify for " + shell.Plural(bv.OldKeyDaysOrDefault(), "day", "days") + " after a newer key is created.\n"
	if len(bv.Keys) == 0 {
		return "No bounce verification keys configured: bounces are not verified.\n" + days
	}
	rows := make([][]string, 0, len(bv.Keys))
	for i, k := range bv.Keys {
		signs := ""
		if i == len(bv.Keys)-1 {
			signs = "yes"
		}
		rows = append(rows, []string{k.Name, strconv.Itoa(k.Number), c.Ctime(k.Created), signs})
	}
	return shell.FormatTable([]string{"Key", "Number", "Created", "Signs"}, rows) + days
}

func bvNewMenu(c *shell.Ctx, cfg *store.Config) error {
	name, err := shell.AskRequired(c, "Enter a name for the key.", "", func(s string) (string, error) {
		return s, checkBVName(cfg, s)
	})
	if err != nil {
		return err
	}
	text, err := askBVText(c)
	if err != nil {
		return err
	}
	return addBVKey(c, cfg, name, text)
}

// askBVText asks for the key text, hidden on a terminal (it is the
// secret the tags are signed with); empty or end of input: generate one.
func askBVText(c *shell.Ctx) (string, error) {
	for {
		s, err := shell.ReadSecret(c, "Enter the key text (leave empty to generate a random one).")
		if errors.Is(err, io.EOF) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		s = strings.TrimSpace(s)
		if len(s) <= store.MaxBVSecret {
			return s, nil
		}
		c.Printf("The key text is too long (at most %d characters).\n", store.MaxBVSecret)
	}
}

func bvDeleteMenu(c *shell.Ctx, cfg *store.Config) error {
	if len(cfg.BounceVerification.Keys) == 0 {
		return shell.Errorf("No bounce verification keys configured.")
	}
	name, err := shell.AskOf(c, "Enter the name of the key you want to delete.", "", names(cfg.BounceVerification.Keys, func(k *store.BVKey) string { return k.Name }), func(s string) (string, error) {
		if s != "" && cfg.BounceVerification.Key(s) == nil {
			return "", shell.Errorf("No bounce verification key named %s.", s)
		}
		return s, nil
	})
	if err != nil || name == "" {
		return err
	}
	return deleteBVKey(cfg, name)
}
