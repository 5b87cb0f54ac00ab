package configcmd

import (
	"crypto/rsa"
	"fmt"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// domainkeys: DKIM signing keys and profiles (SPEC 12), as AsyncOS's
// command: KEYS holds the private keys (generated here or imported from
// a PEM file), PROFILES say which From: addresses a key signs with which
// domain (d=) and selector (s=), DNSTXT prints the record to publish.
// Mail relayed under a policy with dkim_signing on is signed. Private
// keys are never printed but by an admin's showconfig/saveconfig nomask;
// masked output has "*****" (shell/configmask.go).

func domainkeysCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "domainkeys",
		Help:   "Configure DKIM signing: signing keys, domain profiles, and the DNS TXT records to publish.",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			d := &cfg.DomainKeys
			c.Printf("\nSigning keys: %d. Signing profiles: %d. (PRINT lists them.)\n", len(d.Keys), len(d.Profiles))
		},
		Table: &shell.Table[*store.Config]{Prefix: "domainkeys", Ops: dkOps},
		Notes: []string{
			"LIST: comma-separated. --users: user@example.com, example.com, .example.com (its subdomains), user@ (any domain);",
			"  a profile with users signs only their mail, one without signs all mail from its domain (not its subdomains).",
			"--headers: header fields to sign (From among them); DEFAULT: " + strings.Join(store.DefaultDKIMHeaders, ", ") + ".",
			"--canon: header/body canonicalization, " + strings.Join(store.DKIMCanons, ", ") + " (default " + store.DefaultDKIMCanon + ").",
			"Mail is signed when it is relayed (a RELAY policy, or SMTP AUTH with smtpauth_relay) under a policy with dkim_signing on.",
		},
	}.Command()
}

var dkKeyTable = &shell.Table[*store.Config]{Prefix: "domainkeys key", What: "domainkeys key operation", Ops: dkKeyOps}
var dkProfileTable = &shell.Table[*store.Config]{Prefix: "domainkeys profile", What: "domainkeys profile operation", Ops: dkProfileOps}

var dkOps = []shell.Operation[*store.Config]{
	dkBatchOnly("key", "Manage signing keys.", dkKeyTable),
	{Name: "keys", Desc: "Manage signing keys.",
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			return dkKeyTable.Menu(c, cfg, func() { c.Printf("\n%s", dkKeysText(c, cfg)) })
		},
		Sub: dkKeyTable},
	dkBatchOnly("profile", "Manage signing profiles.", dkProfileTable),
	{Name: "profiles", Desc: "Manage signing profiles.",
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			return dkProfileTable.Menu(c, cfg, func() { c.Printf("\n%s", dkProfilesText(cfg)) })
		},
		Sub: dkProfileTable},
	{Name: "dnstxt", Desc: "Print the DNS TXT record to publish for a profile.",
		Usage: []string{"PROFILE"},
		Batch: shell.OneName(func(c *shell.Ctx, cfg *store.Config, name string) error { return dkDNSTXT(c, cfg, name) }),
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			p, err := dkPickProfile(c, cfg, "Enter the number or name of the profile to print the TXT record of.")
			if err != nil || p == nil {
				return err
			}
			c.Printf("\n")
			return dkDNSTXT(c, cfg, p.Name)
		},
		Complete: dkProfileArg},
	shell.PrintOp("Display the signing keys (never their private part) and profiles.", func(c *shell.Ctx, cfg *store.Config) string {
		return dkKeysText(c, cfg) + "\n" + dkProfilesText(cfg)
	}),
}

// dkBatchOnly is the batch word of a sub-table: "domainkeys key new ...";
// the menu reaches the same table as KEYS or PROFILES.
func dkBatchOnly(name, desc string, tb *shell.Table[*store.Config]) shell.Operation[*store.Config] {
	return shell.Operation[*store.Config]{Name: name, Desc: desc, Usage: tb.Forms(),
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error { return tb.Batch(c, cfg, args) },
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			return tb.Complete(c, cfg, args)
		}}
}

var dkKeyOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Generate a new signing key.", Access: shell.AccessOperator,
		Usage: []string{"NAME [--type rsa|ed25519] [--bits 1024|2048|3072|4096]   (default: RSA 2048)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("type", "bits"); err != nil {
				return err
			}
			if len(o.Pos) != 1 {
				return shell.ErrUsage
			}
			alg := strings.ToLower(o.Named["type"])
			bits := 0
			if v, ok := o.Named["bits"]; ok {
				if bits, err = strconv.Atoi(v); err != nil || alg == store.DKIMEd25519 {
					return shell.Errorf("--bits is 1024, 2048, 3072 or 4096, for RSA keys only.")
				}
			}
			return dkNewKey(c, cfg, o.Pos[0], alg, bits)
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := dkAskNewKeyName(c, cfg)
			if err != nil || name == "" {
				return err
			}
			i, err := shell.Choose(c, "Choose the key type.", []string{"RSA 1024", "RSA 2048", "RSA 3072", "RSA 4096", "Ed25519 (RFC 8463; not every verifier reads it)"}, 2)
			if err != nil {
				return err
			}
			if i == 4 {
				return dkNewKey(c, cfg, name, store.DKIMEd25519, 0)
			}
			return dkNewKey(c, cfg, name, store.DKIMRSA, store.DKIMBits[i])
		}},
	{Name: "import", Desc: "Import a signing key from a PEM file.", Access: shell.AccessOperator,
		Usage: []string{"NAME FILE   (a PEM private key, RSA or Ed25519, in DATA/configuration)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			words, err := shell.UserWords(args)
			if err != nil {
				return err
			}
			if len(words) != 2 {
				return shell.ErrUsage
			}
			return dkImportKey(c, cfg, words[0], words[1])
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := dkAskNewKeyName(c, cfg)
			if err != nil || name == "" {
				return err
			}
			file, err := shell.AskRequired(c, "Enter the name of the private key file (PEM) in the configuration directory.", "", nil)
			if err != nil {
				return err
			}
			return dkImportKey(c, cfg, name, file)
		},
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) == 2 {
				return c.ConfigFiles()
			}
			return nil
		}},
	{Name: "delete", Desc: "Delete a signing key (refused while a profile uses it).", Access: shell.AccessOperator,
		Usage: []string{"NAME"},
		Batch: shell.OneName(func(c *shell.Ctx, cfg *store.Config, name string) error { return dkDeleteKey(c, cfg, name) }),
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			d := &cfg.DomainKeys
			if len(d.Keys) == 0 {
				return shell.Errorf("There are no signing keys.")
			}
			i, err := shell.Pick(c, "Enter the number or name of the key to delete.", names(d.Keys, func(k *store.DKIMKey) string { return k.Name }))
			if err != nil || i < 0 {
				return err
			}
			return dkDeleteKey(c, cfg, d.Keys[i].Name)
		},
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) == 1 {
				return names(cfg.DomainKeys.Keys, func(k *store.DKIMKey) string { return k.Name })
			}
			return nil
		}},
	shell.PrintOp("Display the signing keys (never their private part).", dkKeysText),
}

func dkCheckNewKeyName(cfg *store.Config, name string) error {
	if err := store.CheckDKIMName("key", name); err != nil {
		return shell.Errorf("%s", shell.Sentence(err.Error()))
	}
	if cfg.DomainKeys.Key(name) != nil {
		return shell.Errorf("A signing key named %s already exists.", name)
	}
	if len(cfg.DomainKeys.Keys) >= store.MaxDKIMKeys {
		return shell.Errorf("There are already %d signing keys; delete one first.", store.MaxDKIMKeys)
	}
	return nil
}

func dkAskNewKeyName(c *shell.Ctx, cfg *store.Config) (string, error) {
	return shell.Ask(c, "Enter a name for the key.", "", func(s string) (string, error) {
		if s == "" {
			return s, nil
		}
		return s, dkCheckNewKeyName(cfg, s)
	})
}

func dkNewKey(c *shell.Ctx, cfg *store.Config, name, alg string, bits int) error {
	if err := dkCheckNewKeyName(cfg, name); err != nil {
		return err
	}
	k, err := store.GenerateDKIMKey(name, alg, bits, c.Now())
	if err != nil {
		return shell.Errorf("Cannot generate the key: %v.", err)
	}
	cfg.DomainKeys.Keys = append(cfg.DomainKeys.Keys, k)
	c.Printf("Key %s generated (%s).\n", name, dkKeyKind(&k))
	return nil
}

// dkImportKey reads the key under the configuration directory's rule
// (shell/files.go) and stores it re-encoded as PKCS #8; nothing of the
// file is ever printed.
func dkImportKey(c *shell.Ctx, cfg *store.Config, name, file string) error {
	if err := dkCheckNewKeyName(cfg, name); err != nil {
		return err
	}
	b, err := c.ReadConfigFile(file)
	if err != nil {
		return err
	}
	key, _, err := store.ParseDKIMKey(string(b))
	if err != nil {
		return shell.Errorf("%s: %v.", file, err)
	}
	k, err := store.NewDKIMKey(name, key, c.Now())
	if err != nil {
		return shell.Errorf("%s: %v.", file, err)
	}
	cfg.DomainKeys.Keys = append(cfg.DomainKeys.Keys, k)
	c.Printf("Key %s imported (%s).\n", name, dkKeyKind(&k))
	return nil
}

func dkDeleteKey(c *shell.Ctx, cfg *store.Config, name string) error {
	d := &cfg.DomainKeys
	k := d.Key(name)
	if k == nil {
		return shell.Errorf("There is no signing key named %s (domainkeys key print lists them).", name)
	}
	if users := d.KeyUsers(k.Name); len(users) > 0 {
		return shell.Errorf("Key %s is used by profile %s; delete the profile or give it another key first (domainkeys profile edit NAME --key KEY).", k.Name, strings.Join(users, ", "))
	}
	for i := range d.Keys {
		if d.Keys[i].Name == k.Name {
			d.Keys = without(d.Keys, i)
			break
		}
	}
	c.Printf("Key %s deleted.\n", name)
	return nil
}

// dkKeyKind is "RSA 2048" or "Ed25519".
func dkKeyKind(k *store.DKIMKey) string {
	key, alg, err := store.ParseDKIMKey(k.PrivateKey)
	switch {
	case err != nil:
		return "unreadable"
	case alg == store.DKIMEd25519:
		return "Ed25519"
	}
	return fmt.Sprintf("RSA %d", key.(*rsa.PrivateKey).N.BitLen())
}

func dkKeysText(c *shell.Ctx, cfg *store.Config) string {
	d := &cfg.DomainKeys
	if len(d.Keys) == 0 {
		return "There are no signing keys.\n"
	}
	rows := make([][]string, 0, len(d.Keys))
	for i := range d.Keys {
		k := &d.Keys[i]
		used := strings.Join(d.KeyUsers(k.Name), ", ")
		if used == "" {
			used = "-"
		}
		rows = append(rows, []string{k.Name, dkKeyKind(k), c.Ctime(k.Created), used})
	}
	return shell.FormatTable([]string{"Key", "Type", "Created", "Used by"}, rows)
}
