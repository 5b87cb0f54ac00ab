package configcmd

import (
	"fmt"
	"slices"
	"strings"

	"seg/shell"
	"seg/store"
)

// domainkeys profiles: which From: addresses a key signs, with which d=
// and s=, which header fields, and which canonicalisation.

// dkProfileOptions are the options of profile new and edit.
var dkProfileOptions = []string{"domain", "selector", "key", "headers", "canon", "users"}

var dkProfileOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a signing profile.", Access: shell.AccessOperator,
		Usage: []string{"NAME --domain DOMAIN --selector SELECTOR --key KEY [--headers LIST|DEFAULT] [--canon relaxed/relaxed] [--users LIST]"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow(dkProfileOptions...); err != nil {
				return err
			}
			if len(o.Pos) != 1 || o.Named["domain"] == "" || o.Named["selector"] == "" || o.Named["key"] == "" {
				return shell.ErrUsage
			}
			if err := dkCheckNewProfileName(cfg, o.Pos[0]); err != nil {
				return err
			}
			p := store.DKIMProfile{Name: o.Pos[0]}
			if err := dkSetProfile(&p, o.Named); err != nil {
				return err
			}
			return dkPutProfile(c, cfg, p, -1)
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			if len(cfg.DomainKeys.Keys) == 0 {
				return shell.Errorf("There are no signing keys: create or import one first (KEYS).")
			}
			name, err := shell.Ask(c, "Enter a name for the profile.", "", func(s string) (string, error) {
				if s == "" {
					return s, nil
				}
				return s, dkCheckNewProfileName(cfg, s)
			})
			if err != nil || name == "" {
				return err
			}
			p := store.DKIMProfile{Name: name}
			if err := dkAskProfile(c, cfg, &p); err != nil {
				return err
			}
			return dkPutProfile(c, cfg, p, -1)
		},
		Complete: dkProfileOptsArg(false)},
	{Name: "edit", Desc: "Change a signing profile.", Access: shell.AccessOperator,
		Usage: []string{"NAME [--domain DOMAIN] [--selector SELECTOR] [--key KEY] [--headers LIST|DEFAULT] [--canon C] [--users LIST|ALL]"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow(dkProfileOptions...); err != nil {
				return err
			}
			if len(o.Pos) != 1 || len(o.Order) == 0 {
				return shell.ErrUsage
			}
			i, err := dkProfileIndex(cfg, o.Pos[0])
			if err != nil {
				return err
			}
			p := dkCopy(cfg.DomainKeys.Profiles[i])
			if err := dkSetProfile(&p, o.Named); err != nil {
				return err
			}
			return dkPutProfile(c, cfg, p, i)
		},
		Shown: func(c *shell.Ctx, cfg *store.Config) bool { return len(cfg.DomainKeys.Profiles) > 0 },
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			p, err := dkPickProfile(c, cfg, "Enter the number or name of the profile to edit.")
			if err != nil || p == nil {
				return err
			}
			i, _ := dkProfileIndex(cfg, p.Name)
			np := dkCopy(*p)
			if err := dkAskProfile(c, cfg, &np); err != nil {
				return err
			}
			return dkPutProfile(c, cfg, np, i)
		},
		Complete: dkProfileOptsArg(true)},
	{Name: "delete", Desc: "Delete a signing profile.", Access: shell.AccessOperator,
		Usage: []string{"NAME"},
		Batch: shell.OneName(func(c *shell.Ctx, cfg *store.Config, name string) error { return dkDeleteProfile(c, cfg, name) }),
		Shown: func(c *shell.Ctx, cfg *store.Config) bool { return len(cfg.DomainKeys.Profiles) > 0 },
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			p, err := dkPickProfile(c, cfg, "Enter the number or name of the profile to delete.")
			if err != nil || p == nil {
				return err
			}
			return dkDeleteProfile(c, cfg, p.Name)
		},
		Complete: dkProfileArg},
	{Name: "print", Desc: "Display the signing profiles, or one in full.",
		Usage: []string{"[NAME]"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			words, err := shell.UserWords(args)
			if err != nil {
				return err
			}
			switch len(words) {
			case 0:
				c.Printf("%s", dkProfilesText(cfg))
				return nil
			case 1:
				i, err := dkProfileIndex(cfg, words[0])
				if err != nil {
					return err
				}
				c.Printf("%s", dkProfileText(cfg, &cfg.DomainKeys.Profiles[i]))
				return nil
			}
			return shell.ErrUsage
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			p, err := dkPickProfile(c, cfg, "Enter the number or name of the profile to display.")
			if err != nil || p == nil {
				return err
			}
			c.Printf("\n%s", dkProfileText(cfg, p))
			return nil
		},
		Shown:    func(c *shell.Ctx, cfg *store.Config) bool { return len(cfg.DomainKeys.Profiles) > 0 },
		Complete: dkProfileArg},
}

func dkCheckNewProfileName(cfg *store.Config, name string) error {
	if err := store.CheckDKIMName("profile", name); err != nil {
		return shell.Errorf("%s", shell.Sentence(err.Error()))
	}
	if cfg.DomainKeys.Profile(name) != nil {
		return shell.Errorf("A signing profile named %s already exists.", name)
	}
	if len(cfg.DomainKeys.Profiles) >= store.MaxDKIMProfiles {
		return shell.Errorf("There are already %d signing profiles; delete one first.", store.MaxDKIMProfiles)
	}
	return nil
}

func dkProfileIndex(cfg *store.Config, name string) (int, error) {
	for i, p := range cfg.DomainKeys.Profiles {
		if strings.EqualFold(p.Name, name) {
			return i, nil
		}
	}
	return -1, shell.Errorf("There is no signing profile named %s (domainkeys profile print lists them).", name)
}

// dkCopy is a profile whose lists the caller may change.
func dkCopy(p store.DKIMProfile) store.DKIMProfile {
	p.Headers, p.Users = slices.Clone(p.Headers), slices.Clone(p.Users)
	return p
}

// dkSetProfile applies the options of profile new or edit, each checked
// on its own; dkPutProfile checks the profile against the others.
func dkSetProfile(p *store.DKIMProfile, opts map[string]string) error {
	if v, ok := opts["domain"]; ok {
		d, err := canonDomain(v)
		if err != nil {
			return err
		}
		p.Domain = d
	}
	if v, ok := opts["selector"]; ok {
		s, err := dkCanonSelector(v)
		if err != nil {
			return err
		}
		p.Selector = s
	}
	if v, ok := opts["key"]; ok {
		p.Key = v
	}
	if v, ok := opts["headers"]; ok {
		h, err := dkParseHeaders(v)
		if err != nil {
			return err
		}
		p.Headers = h
	}
	if v, ok := opts["canon"]; ok {
		c := strings.ToLower(strings.TrimSpace(v))
		if !slices.Contains(store.DKIMCanons, c) {
			return shell.Errorf("--canon is one of %s, not %q.", strings.Join(store.DKIMCanons, ", "), v)
		}
		p.Canon = c
		if c == store.DefaultDKIMCanon {
			p.Canon = ""
		}
	}
	if v, ok := opts["users"]; ok {
		u, err := dkParseUsers(v)
		if err != nil {
			return err
		}
		p.Users = u
	}
	return nil
}

func dkCanonSelector(s string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if !store.ValidDomain(v) {
		return "", shell.Errorf("%q is not a valid selector (DNS labels of letters, digits and hyphens, separated by dots; for example: s2026).", s)
	}
	return v, nil
}

// dkParseHeaders reads a header list; DEFAULT (or nothing) is the
// default set, stored as no list.
func dkParseHeaders(s string) ([]string, error) {
	list := shell.SplitList(s)
	if len(list) == 0 || len(list) == 1 && strings.EqualFold(list[0], "DEFAULT") {
		return nil, nil
	}
	if err := store.CheckDKIMHeaders(list); err != nil {
		return nil, shell.Errorf("%s", shell.Sentence(err.Error()))
	}
	return list, nil
}

// dkParseUsers reads a user list; ALL (or nothing) is no list: every
// address of the profile's domain.
func dkParseUsers(s string) ([]string, error) {
	list := shell.SplitList(s)
	if len(list) == 0 || len(list) == 1 && strings.EqualFold(list[0], "ALL") {
		return nil, nil
	}
	out := make([]string, 0, len(list))
	for _, u := range list {
		cu, err := store.CanonDKIMUser(u)
		if err != nil {
			return nil, shell.Errorf("%s", shell.Sentence(err.Error()))
		}
		if !slices.Contains(out, cu) {
			out = append(out, cu)
		}
	}
	return out, nil
}

// dkPutProfile adds p (at < 0) or replaces profile at, unless that
// gives the keys and profiles a problem (a key that does not exist, two
// profiles for the same addresses).
func dkPutProfile(c *shell.Ctx, cfg *store.Config, p store.DKIMProfile, at int) error {
	d := cfg.DomainKeys
	k := d.Key(p.Key)
	if k == nil {
		return shell.Errorf("There is no signing key named %s (domainkeys key print lists them).", p.Key)
	}
	p.Key = k.Name
	d.Profiles = slices.Clone(d.Profiles)
	if at < 0 {
		d.Profiles = append(d.Profiles, p)
	} else {
		d.Profiles[at] = p
	}
	// A problem the change brings (not one the candidate already had)
	// refuses it now rather than at commit.
	before := cfg.DomainKeys.Problems()
	for _, prob := range d.Problems() {
		if !slices.Contains(before, prob) {
			_, why, _ := strings.Cut(prob, ": ")
			return shell.Errorf("%s", shell.Sentence(why))
		}
	}
	cfg.DomainKeys.Profiles = d.Profiles
	return nil
}

func dkDeleteProfile(c *shell.Ctx, cfg *store.Config, name string) error {
	i, err := dkProfileIndex(cfg, name)
	if err != nil {
		return err
	}
	cfg.DomainKeys.Profiles = without(cfg.DomainKeys.Profiles, i)
	return nil
}

// dkAskProfile asks each field of a profile, the current value as the
// default.
func dkAskProfile(c *shell.Ctx, cfg *store.Config, p *store.DKIMProfile) error {
	d, err := shell.AskRequired(c, "Enter the domain name of the signing profile (d=).", p.Domain, func(s string) (string, error) { return canonDomain(s) })
	if err != nil {
		return err
	}
	sel, err := shell.AskRequired(c, "Enter the selector (s=): the key's record is published at SELECTOR._domainkey."+d+".", p.Selector, dkCanonSelector)
	if err != nil {
		return err
	}
	keys := names(cfg.DomainKeys.Keys, func(k *store.DKIMKey) string { return k.Name })
	def := 1
	for i, k := range keys {
		if strings.EqualFold(k, p.Key) {
			def = i + 1
		}
	}
	ki, err := shell.Choose(c, "Choose the signing key.", keys, def)
	if err != nil {
		return err
	}
	headers, err := dkAskList(c, "Enter the header fields to sign, separated by commas, or DEFAULT for RFC 6376's recommended set.", p.Headers, "DEFAULT", dkParseHeaders)
	if err != nil {
		return err
	}
	h, b := p.Canonicalization()
	ci, err := shell.Choose(c, "Choose the canonicalization (header/body).", store.DKIMCanons, slices.Index(store.DKIMCanons, h+"/"+b)+1)
	if err != nil {
		return err
	}
	users, err := dkAskList(c, "Enter the users to sign for (user@example.com, example.com, .example.com for its subdomains, user@), separated by commas, or ALL for every address of the domain.", p.Users, "ALL", dkParseUsers)
	if err != nil {
		return err
	}
	p.Domain, p.Selector, p.Key, p.Headers, p.Users = d, sel, keys[ki], headers, users
	p.Canon = store.DKIMCanons[ci]
	if p.Canon == store.DefaultDKIMCanon {
		p.Canon = ""
	}
	return nil
}

// dkAskList asks for a list, the current one as the default (none:
// word), and returns it parsed.
func dkAskList(c *shell.Ctx, question string, cur []string, word string, parse func(string) ([]string, error)) ([]string, error) {
	def := word
	if len(cur) > 0 {
		def = strings.Join(cur, ", ")
	}
	var out []string
	_, err := shell.Ask(c, question, def, func(s string) (string, error) {
		l, err := parse(s)
		out = l
		return s, err
	})
	return out, err
}

func dkPickProfile(c *shell.Ctx, cfg *store.Config, question string) (*store.DKIMProfile, error) {
	d := &cfg.DomainKeys
	if len(d.Profiles) == 0 {
		return nil, shell.Errorf("There are no signing profiles.")
	}
	var items []string
	for _, p := range d.Profiles {
		items = append(items, p.Name+" ("+p.Domain+")")
	}
	i, err := shell.Pick(c, question, items)
	if err != nil || i < 0 {
		return nil, err
	}
	return &d.Profiles[i], nil
}

func dkProfileArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) == 1 {
		return names(cfg.DomainKeys.Profiles, func(p *store.DKIMProfile) string { return p.Name })
	}
	return nil
}

// dkProfileOptsArg completes a profile name (edit) and then the options,
// and the key names after --key.
func dkProfileOptsArg(edit bool) func(*shell.Ctx, *store.Config, []string) []string {
	return func(c *shell.Ctx, cfg *store.Config, args []string) []string {
		if len(args) == 1 {
			if edit {
				return dkProfileArg(c, cfg, args)
			}
			return nil
		}
		switch args[len(args)-2] {
		case "--key":
			return names(cfg.DomainKeys.Keys, func(k *store.DKIMKey) string { return k.Name })
		case "--canon":
			return store.DKIMCanons
		}
		var out []string
		for _, o := range dkProfileOptions {
			out = append(out, "--"+o)
		}
		return out
	}
}

func dkUsersText(p *store.DKIMProfile) string {
	if len(p.Users) == 0 {
		return "all of " + p.Domain
	}
	return strings.Join(p.Users, ", ")
}

func dkProfilesText(cfg *store.Config) string {
	d := &cfg.DomainKeys
	if len(d.Profiles) == 0 {
		return "There are no signing profiles.\n"
	}
	rows := make([][]string, 0, len(d.Profiles))
	for i := range d.Profiles {
		p := &d.Profiles[i]
		h, b := p.Canonicalization()
		rows = append(rows, []string{p.Name, p.Domain, p.Selector, p.Key, h + "/" + b, dkUsersText(p)})
	}
	return shell.FormatTable([]string{"Profile", "Domain", "Selector", "Key", "Canon", "Users"}, rows)
}

func dkProfileText(cfg *store.Config, p *store.DKIMProfile) string {
	var b strings.Builder
	h, bc := p.Canonicalization()
	headers := strings.Join(p.HeaderList(), ", ")
	if len(p.Headers) == 0 {
		headers += " (the default)"
	}
	fmt.Fprintf(&b, "Profile: %s\nDomain (d=): %s\nSelector (s=): %s\nKey: %s\n", p.Name, p.Domain, p.Selector, p.Key)
	fmt.Fprintf(&b, "Canonicalization: %s/%s\nHeaders: %s\nUsers: %s\n", h, bc, headers, dkUsersText(p))
	fmt.Fprintf(&b, "DNS TXT record name: %s._domainkey.%s.\n", p.Selector, p.Domain)
	return b.String()
}

// dkDNSTXT prints the record to publish in zone-file form: the text in
// strings of at most 255 octets (RFC 1035 section 3.3.14; RFC 6376
// section 3.6.2.2: verifiers join them).
func dkDNSTXT(c *shell.Ctx, cfg *store.Config, name string) error {
	i, err := dkProfileIndex(cfg, name)
	if err != nil {
		return err
	}
	p := &cfg.DomainKeys.Profiles[i]
	k := cfg.DomainKeys.Key(p.Key)
	if k == nil {
		return shell.Errorf("Profile %s names key %s, which does not exist.", p.Name, p.Key)
	}
	rec, err := store.DKIMRecord(k)
	if err != nil {
		return shell.Errorf("The key of profile %s cannot be read: %v.", p.Name, err)
	}
	var parts []string
	for len(rec) > 255 {
		parts = append(parts, `"`+rec[:255]+`"`)
		rec = rec[255:]
	}
	parts = append(parts, `"`+rec+`"`)
	c.Printf("%s._domainkey.%s. IN TXT %s\n", p.Selector, p.Domain, strings.Join(parts, " "))
	return nil
}
