package configcmd

import (
	"fmt"
	"strings"

	"seg/shell"
	"seg/store"
)

// destconfig: Destination Controls (SPEC 5; reference/asyncos-cli.md 3).
// A domain entry holds only what it overrides; DEFAULT holds everything.

func destconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "destconfig",
		Help:   "Configure destination controls: per-domain delivery limits, TLS, DANE, bounce verification and bounce profile.",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			c.Printf("\nThere are currently %d entries configured.\n", len(cfg.Destinations))
		},
		Table: &shell.Table[*store.Config]{Prefix: "destconfig", Ops: destOps},
		Notes: append([]string{
			"VALUE default, or empty (--PARAM=), removes a domain's own value; on DEFAULT it removes the recipient limit.",
			"--bounce_profile=default names the profile Default: a domain uses DEFAULT's profile again with --bounce_profile=.",
		}, shell.ParamUsage(store.DestParams)...),
	}.Command()
}

// config is the Target of the configuration commands: the command's
// working copy.
func config(c *shell.Ctx) *store.Config { return c.Config() }

// destOps are destconfig's operations, in AsyncOS's menu order
// (reference/asyncos-cli.md 3); the menus are in destmenu.go.
var destOps = []shell.Operation[*store.Config]{
	{Name: "setup", Desc: "Change global settings.",
		Usage: []string{"[--certificate NAME|none] [--alert-on-tls-failure yes|no]   (NAME: a certconfig certificate; alerts go to alertconfig's recipients)"},
		Batch: destSetupBatch,
		Menu:  destSetupInteractive,
		Complete: func(*shell.Ctx, *store.Config, []string) []string {
			return []string{"--certificate", "--alert-on-tls-failure"}
		}},
	{Name: "new", Desc: "Create a new entry.",
		Usage:    []string{"DOMAIN [--PARAM=VALUE ...]"},
		Batch:    destNewBatch,
		Menu:     destNew,
		Complete: destParamsAfter(1)},
	{Name: "edit", Desc: "Modify an entry.",
		Usage: []string{"DOMAIN|DEFAULT [--PARAM=VALUE ...]   " + shell.InheritNote("DEFAULT")},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error { return destEditBatch(cfg, args, false) },
		Menu:  destEditMenu,
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) == 1 {
				return append([]string{store.DestDefaultSection}, destDomains(cfg)...)
			}
			return shell.ParamOptions(store.DestParams, args[len(args)-1])
		}},
	{Name: "delete", Desc: "Remove an entry.",
		Usage: []string{"DOMAIN"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := destArgs("delete", args, 1, 1, false)
			if err != nil {
				return err
			}
			return deleteDest(cfg, o.Pos[0])
		},
		Menu:     destDeleteMenu,
		Complete: destDomainArg},
	{Name: "default", Desc: "Change the default.",
		Usage:    []string{"[--PARAM=VALUE ...]                (same as edit DEFAULT)"},
		Batch:    func(c *shell.Ctx, cfg *store.Config, args []string) error { return destEditBatch(cfg, args, true) },
		Menu:     destDefaultMenu,
		Complete: destParamsAfter(0)},
	{Name: "list", Desc: "Display a summary list of all entries.",
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if _, err := destArgs("list", args, 0, 0, false); err != nil {
				return err
			}
			c.Printf("%s", destList(cfg))
			return nil
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			c.Printf("\n%s", destList(cfg))
			return nil
		}},
	{Name: "detail", Desc: "Display details for one destination or all entries.",
		Usage: []string{"[DOMAIN|DEFAULT|all]"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := destArgs("detail", args, 0, 1, false)
			if err != nil {
				return err
			}
			which := "all"
			if len(o.Pos) == 1 {
				which = o.Pos[0]
			}
			return destDetail(c, cfg, which)
		},
		Menu: destDetailMenu,
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) == 1 {
				return append([]string{"all", store.DestDefaultSection}, destDomains(cfg)...)
			}
			return nil
		}},
	{Name: "clear", Desc: "Remove all entries.",
		Usage: []string{"                                     (removes every domain entry; DEFAULT stays)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if _, err := destArgs("clear", args, 0, 0, false); err != nil {
				return err
			}
			cfg.Destinations = nil
			return nil
		},
		Menu: destClearMenu},
	{Name: "import", Desc: "Import tables from a file.",
		Usage: []string{"FILE                                (replaces DEFAULT and every entry; a parameter [DEFAULT] leaves out takes its default; FILE: a file name in DATA/configuration)"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := destArgs("import", args, 1, 1, false)
			if err != nil {
				return err
			}
			return destImport(c, cfg, o.Pos[0])
		},
		Menu:     destImportMenu,
		Complete: configFileArg},
	{Name: "export", Desc: "Export tables to a file.",
		Usage: []string{"FILE"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := destArgs("export", args, 1, 1, false)
			if err != nil {
				return err
			}
			return destExport(c, cfg, o.Pos[0])
		},
		Menu: destExportMenu},
}

func destDomains(cfg *store.Config) []string {
	return names(cfg.Destinations, func(d *store.Destination) string { return d.Domain })
}

// destDomainArg completes a domain entry as the first word.
func destDomainArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) == 1 {
		return destDomains(cfg)
	}
	return nil
}

// destParamsAfter completes --PARAM=VALUE options after n words.
func destParamsAfter(n int) func(*shell.Ctx, *store.Config, []string) []string {
	return func(c *shell.Ctx, cfg *store.Config, args []string) []string {
		if len(args) <= n {
			return nil
		}
		return shell.ParamOptions(store.DestParams, args[len(args)-1])
	}
}

// configFileArg completes a file of the configuration directory as the
// first word.
func configFileArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) == 1 {
		return c.ConfigFiles()
	}
	return nil
}

// canonDomain validates a domain name and returns it lower-cased without
// a trailing dot.
func canonDomain(s string) (string, error) {
	d := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if !store.ValidDomain(d) {
		return "", shell.Errorf("%q is not a valid domain name (for example: example.com).", s)
	}
	return d, nil
}

func isDefaultName(s string) bool { return strings.EqualFold(s, store.DestDefaultSection) }

func destNotFound(d string) error {
	return shell.Errorf("%q was not found in the destination control table.", d)
}

// destArgs parses the words after a destconfig operation: min to max
// positional words, and options only when opts.
func destArgs(sub string, args []string, min, max int, opts bool) (shell.Opts, error) {
	o, err := shell.UserOpts(args)
	if err != nil {
		return o, err
	}
	if len(o.Pos) < min || len(o.Pos) > max {
		return o, shell.ErrUsage
	}
	if !opts && len(o.Order) > 0 {
		return o, shell.Errorf("destconfig %s takes no options (got --%s).", sub, o.Order[0])
	}
	return o, nil
}

// destNewBatch is "destconfig new DOMAIN [--PARAM=VALUE ...]".
func destNewBatch(c *shell.Ctx, cfg *store.Config, args []string) error {
	o, err := destArgs("new", args, 1, 1, true)
	if err != nil {
		return err
	}
	if isDefaultName(o.Pos[0]) {
		return shell.Errorf("DEFAULT always exists: use 'destconfig edit DEFAULT'.")
	}
	d, err := canonDomain(o.Pos[0])
	if err != nil {
		return err
	}
	if cfg.Destination(d) != nil {
		return shell.Errorf("A destination control entry for %s already exists: use 'destconfig edit %s'.", d, d)
	}
	p := store.Params{}
	if err := applyDestOpts(cfg, p, o, false); err != nil {
		return err
	}
	cfg.Destinations = append(cfg.Destinations, store.Destination{Domain: d, Params: p})
	return checkDests(cfg)
}

// destEditBatch is "destconfig edit DOMAIN|DEFAULT [--PARAM=VALUE ...]"
// and, with isDefault, "destconfig default [--PARAM=VALUE ...]".
func destEditBatch(cfg *store.Config, args []string, isDefault bool) error {
	if isDefault {
		args = append([]string{store.DestDefaultSection}, args...)
	}
	o, err := destArgs("edit", args, 1, 1, true)
	if err != nil {
		return err
	}
	if len(o.Order) == 0 {
		return shell.Errorf("Nothing to change: give --PARAM=VALUE options (see 'help destconfig').")
	}
	if isDefaultName(o.Pos[0]) {
		if cfg.DestDefault == nil {
			cfg.DestDefault = store.Params{}
		}
		if err := applyDestOpts(cfg, cfg.DestDefault, o, true); err != nil {
			return err
		}
		return checkDests(cfg)
	}
	d := cfg.Destination(strings.TrimSuffix(o.Pos[0], "."))
	if d == nil {
		return destNotFound(o.Pos[0])
	}
	if d.Params == nil {
		d.Params = store.Params{}
	}
	if err := applyDestOpts(cfg, d.Params, o, false); err != nil {
		return err
	}
	return checkDests(cfg)
}

// applyDestOpts sets --PARAM=VALUE options on p in canonical form. The
// value default (or an empty one, see destInherits) removes the
// parameter: a domain then uses DEFAULT's value, and DEFAULT loses its
// recipient limit.
func applyDestOpts(cfg *store.Config, p store.Params, o shell.Opts, isDefault bool) error {
	for _, n := range o.Order {
		v := o.Named[n]
		spec, ok := store.DestParams.Lookup(n)
		if !ok {
			return shell.Errorf("Unknown destconfig parameter --%s (accepted: %s).", n, strings.Join(store.DestParams.Names(), ", "))
		}
		if destInherits(spec.Name, v) {
			if isDefault && !spec.Optional {
				return shell.Errorf("DEFAULT needs a value for %s.", spec.Name)
			}
			delete(p, spec.Name)
			continue
		}
		k, cv, err := store.DestParams.Canon(n, v)
		if err != nil {
			return shell.AsUser(err)
		}
		if k == "bounce_profile" {
			if cv, err = resolveProfile(cfg, cv); err != nil {
				return err
			}
		}
		p[k] = cv
	}
	return nil
}

// destInherits reports whether a --PARAM=VALUE option removes the
// parameter: VALUE is shell.Inherit, or empty as before there was one
// spelling (scripts use it). For bounce_profile "default" is the name of
// the Default profile, which always exists: only the empty value
// inherits.
func destInherits(name, v string) bool {
	return strings.TrimSpace(v) == "" || shell.Inherits(v) && name != "bounce_profile"
}

// resolveProfile returns the stored spelling of a bounce profile name.
func resolveProfile(cfg *store.Config, name string) (string, error) {
	if bp := cfg.BounceProfile(name); bp != nil {
		return bp.Name, nil
	}
	return "", shell.Errorf("Unknown bounce profile %q (defined: %s).", name,
		strings.Join(names(cfg.Bounce, func(b *store.BounceProfile) string { return b.Name }), ", "))
}

// checkDests checks what spans parameters: a recipient limit needs the
// minutes it is measured over, and bounce profiles must exist.
func checkDests(cfg *store.Config) error {
	check := func(name string, p store.Params) error {
		if err := store.CheckRecipientLimit(p, cfg.DestDefault); err != nil {
			return shell.Errorf("%s: %v, here or in DEFAULT.", store.ExcerptBare(name), err)
		}
		if err := store.CheckSourceIP(p["source_ip"]); err != nil {
			return shell.Errorf("%s: %v.", store.ExcerptBare(name), err)
		}
		if bp, ok := p["bounce_profile"]; ok && cfg.BounceProfile(bp) == nil {
			return shell.Errorf("%s: unknown bounce profile %s.", store.ExcerptBare(name), store.Excerpt(bp))
		}
		return nil
	}
	if err := check(store.DestDefaultSection, cfg.DestDefault); err != nil {
		return err
	}
	for _, d := range cfg.Destinations {
		if err := check(d.Domain, d.Params); err != nil {
			return err
		}
	}
	return nil
}

func deleteDest(cfg *store.Config, name string) error {
	if isDefaultName(name) {
		return shell.Errorf("The default entry may not be deleted.")
	}
	for i, d := range cfg.Destinations {
		if strings.EqualFold(d.Domain, strings.TrimSuffix(name, ".")) {
			cfg.Destinations = without(cfg.Destinations, i)
			return nil
		}
	}
	return destNotFound(name)
}

func destImport(c *shell.Ctx, cfg *store.Config, name string) error {
	data, err := c.ReadConfigFile(name)
	if err != nil {
		return err
	}
	def, dests, err := store.ParseDestFile(name, strings.NewReader(string(data)))
	if err != nil {
		return shell.Errorf("%v", err)
	}
	if filled := store.FillDestDefaults(def); len(filled) > 0 {
		var vals []string
		for _, k := range filled {
			vals = append(vals, k+" = "+def[k])
		}
		c.Printf("[DEFAULT] in %s does not set %s: using the default: %s.\n", name, strings.Join(filled, ", "), strings.Join(vals, ", "))
	}
	var problems store.Problems
	fix := func(section string, p store.Params) {
		if bp, ok := p["bounce_profile"]; ok {
			if prof := cfg.BounceProfile(bp); prof != nil {
				p["bounce_profile"] = prof.Name
			} else {
				problems.Addf("%s: [%s]: unknown bounce profile %s (create it with bounceconfig first)", name, store.ExcerptBare(section), store.Excerpt(bp))
			}
		}
	}
	fix(store.DestDefaultSection, def)
	for _, d := range dests {
		fix(d.Domain, d.Params)
	}
	if problems.Len() > 0 {
		return shell.Errorf("%s", strings.Join(problems.List(), "\n"))
	}
	cfg.DestDefault, cfg.Destinations = def, without(dests, -1)
	return checkDests(cfg)
}

func destExport(c *shell.Ctx, cfg *store.Config, name string) error {
	if err := c.WriteConfigFile(name, []byte(store.FormatDestFile(cfg.DestDefault, cfg.Destinations))); err != nil {
		return err
	}
	savedMessage(c, name)
	return nil
}

// savedMessage says where an exported file went.
func savedMessage(c *shell.Ctx, name string) {
	c.Printf("The file %s has been saved in the configuration directory.\n", name)
}

// destList is LIST: one row per entry, (Default) first.
func destList(cfg *store.Config) string {
	def := cfg.DestDefault
	rows := [][]string{{"(Default)", "On", labelOf(tlsShort, def["use_tls"]), onOffLabel(def["bounce_validation"]),
		def["bounce_profile"], labelOf(sortShort, def["ip_sort_pref"])}}
	for _, d := range cfg.Destinations {
		p := d.Params
		rate := "Default"
		if p.Has("max_host_concurrency") || p.Has("recipient_limit") || p.Has("max_messages_per_connection") {
			rate = "On"
		}
		or := func(k string, f func(string) string) string {
			if v, ok := p[k]; ok {
				return f(v)
			}
			return "Default"
		}
		rows = append(rows, []string{d.Domain, rate,
			or("use_tls", func(v string) string { return labelOf(tlsShort, v) }),
			or("bounce_validation", onOffLabel),
			or("bounce_profile", func(v string) string { return v }),
			or("ip_sort_pref", func(v string) string { return labelOf(sortShort, v) })})
	}
	return shell.FormatTable([]string{"Domain", "Rate Limiting", "TLS", "Bounce Verification", "Bounce Profile", "IP Address Preference"}, rows)
}

func onOffLabel(v string) string {
	if v == "on" {
		return "On"
	}
	return "Off"
}

// destDetail is DETAIL: every setting of one entry, DEFAULT, or all.
func destDetail(c *shell.Ctx, cfg *store.Config, which string) error {
	switch {
	case strings.EqualFold(which, "all"):
		c.Printf("%s", destBlock(cfg, "(Default)", cfg.DestDefault, true))
		for _, d := range cfg.Destinations {
			c.Printf("\n%s", destBlock(cfg, d.Domain, d.Params, false))
		}
	case isDefaultName(which):
		c.Printf("%s", destBlock(cfg, "(Default)", cfg.DestDefault, true))
	default:
		d := cfg.Destination(strings.TrimSuffix(which, "."))
		if d == nil {
			return destNotFound(which)
		}
		live, err := destLive(c, d.Domain)
		if err != nil {
			return err
		}
		c.Printf("%s%s", destBlock(cfg, d.Domain, d.Params, false), live)
	}
	return nil
}

func destBlock(cfg *store.Config, title string, p store.Params, isDefault bool) string {
	eff := cfg.DestDefault.Overlay(p)
	show := func(keys []string, v string) string {
		if isDefault {
			return v
		}
		for _, k := range keys {
			if p.Has(k) {
				return v
			}
		}
		return "Default (" + v + ")"
	}
	rcpt := "None"
	if lim := eff["recipient_limit"]; lim != "" && lim != "0" {
		rcpt = fmt.Sprintf("%s per %s minutes", lim, eff["recipient_minutes"])
	}
	rows := [][2]string{
		{"Concurrency limit", show([]string{"max_host_concurrency"}, eff["max_host_concurrency"])},
		{"Recipient limit", show([]string{"recipient_limit", "recipient_minutes"}, rcpt)},
		{"Apply limits", show([]string{"limit_type"}, labelOf(limitTypeChoices(""), eff["limit_type"]))},
		{"Limits enforced", show([]string{"limit_apply"}, labelOf(limitApplyChoices, eff["limit_apply"]))},
		{"Messages per connection", show([]string{"max_messages_per_connection"}, eff["max_messages_per_connection"])},
		{"TLS support", show([]string{"use_tls"}, labelOf(tlsChoices, eff["use_tls"]))},
		{"DANE support", show([]string{"dane"}, labelOf(daneChoices, eff["dane"]))},
		{"Bounce verification tagging", show([]string{"bounce_validation"}, onOffLabel(eff["bounce_validation"]))},
		{"Bounce profile", show([]string{"bounce_profile"}, eff["bounce_profile"])},
		{"IP sort preference", show([]string{"ip_sort_pref"}, labelOf(sortChoices, eff["ip_sort_pref"]))},
		{"Source IP addresses", show([]string{"source_ip"}, or(strings.ReplaceAll(eff["source_ip"], ",", ", "), "System chooses"))},
	}
	var b strings.Builder
	b.WriteString(title + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "    %-29s %s\n", r[0]+":", r[1])
	}
	return b.String()
}

// destSetupBatch is "destconfig setup": the certificate delivery
// presents when a server asks for one (a certconfig name), and the alert
// on failed required TLS. --alert_on_tls_fail is the older spelling.
func destSetupBatch(c *shell.Ctx, cfg *store.Config, args []string) error {
	o, err := destArgs("setup", args, 0, 0, true)
	if err != nil {
		return err
	}
	if _, ok := o.Named["cert"]; ok {
		return shell.Errorf("destconfig setup takes a certconfig certificate: certconfig import NAME --cert FILE --key FILE, then destconfig setup --certificate NAME.")
	}
	if err := o.Allow("certificate", "alert-on-tls-failure", "alert_on_tls_fail"); err != nil {
		return err
	}
	if len(o.Order) == 0 {
		return shell.Errorf("destconfig setup needs --certificate NAME|none or --alert-on-tls-failure yes|no.")
	}
	if n, ok := o.Named["certificate"]; ok {
		if err := setDestCert(cfg, n); err != nil {
			return err
		}
	}
	v, ok := o.Named["alert-on-tls-failure"]
	if old, dup := o.Named["alert_on_tls_fail"]; dup {
		if ok {
			return shell.Errorf("Give --alert-on-tls-failure once.")
		}
		v, ok = old, true
	}
	if ok {
		b, err := yesNo("alert-on-tls-failure", v)
		if err != nil {
			return err
		}
		cfg.DestSetup.AlertOnTLSFail = b
	}
	return nil
}

// setDestCert sets the outbound client certificate: a certconfig name,
// or none.
func setDestCert(cfg *store.Config, name string) error {
	if strings.EqualFold(name, "none") {
		cfg.DestSetup.Certificate = ""
		return nil
	}
	ct := cfg.Cert(name)
	if ct == nil {
		return shell.Errorf("There is no certificate named %s (certconfig print lists them).", name)
	}
	cfg.DestSetup.Certificate = ct.Name
	return nil
}

func destSetupInteractive(c *shell.Ctx, cfg *store.Config) error {
	s := cfg.DestSetup
	useCert, err := shell.AskYN(c, "Do you want to use a client certificate for outbound TLS connections?", s.Certificate != "")
	if err != nil {
		return err
	}
	s.Certificate = ""
	if useCert {
		if len(cfg.Certificates) == 0 {
			c.Printf("There are no certificates: add one with certconfig first.\n")
		} else {
			names := names(cfg.Certificates, func(ct *store.Certificate) string { return ct.Name })
			def := 1
			for i, n := range names {
				if strings.EqualFold(n, cfg.DestSetup.Certificate) {
					def = i + 1
				}
			}
			i, err := shell.Choose(c, "Please choose the certificate.", names, def)
			if err != nil {
				return err
			}
			s.Certificate = names[i]
		}
	}
	alert, err := shell.AskYN(c, "Do you want to send an alert when a required TLS connection fails?", s.AlertOnTLSFail)
	if err != nil {
		return err
	}
	s.AlertOnTLSFail = alert
	cfg.DestSetup = s
	return nil
}
