package configcmd

import (
	"fmt"
	"strings"

	"seg/shell"
	"seg/store"
)

// destconfig's interactive operations, in AsyncOS's prompt order
// (reference/asyncos-cli.md 3).

// destEditMenu is EDIT: a domain entry's settings.
func destEditMenu(c *shell.Ctx, cfg *store.Config) error {
	d, err := askExistingDest(c, cfg, "Enter the domain you wish to edit.")
	if err != nil || d == nil {
		return err
	}
	p, err := askDestEntry(c, cfg, d.Domain, d.Params, false)
	if err != nil {
		return err
	}
	d.Params = p
	return checkDests(cfg)
}

func destDeleteMenu(c *shell.Ctx, cfg *store.Config) error {
	d, err := askExistingDest(c, cfg, "Enter the domain you wish to delete.")
	if err != nil || d == nil {
		return err
	}
	return deleteDest(cfg, d.Domain)
}

// destDefaultMenu is DEFAULT: every setting of the default entry.
func destDefaultMenu(c *shell.Ctx, cfg *store.Config) error {
	p, err := askDestDefault(c, cfg)
	if err != nil {
		return err
	}
	cfg.DestDefault = p
	return checkDests(cfg)
}

func destDetailMenu(c *shell.Ctx, cfg *store.Config) error {
	which, err := shell.AskOf(c, `Enter the domain you wish to view, DEFAULT for the default entry, or "all" for every entry.`, "", append(destDomains(cfg), "DEFAULT", "all"), nil)
	if err != nil || which == "" {
		return err
	}
	c.Printf("\n")
	return destDetail(c, cfg, which)
}

func destClearMenu(c *shell.Ctx, cfg *store.Config) error {
	yes, err := shell.AskYN(c, "Do you want to remove all entries? The default entry is kept.", false)
	if err != nil || !yes {
		return err
	}
	cfg.Destinations = nil
	return nil
}

func destImportMenu(c *shell.Ctx, cfg *store.Config) error {
	name, err := askImportFile(c)
	if err != nil || name == "" {
		return err
	}
	return destImport(c, cfg, name)
}

func destExportMenu(c *shell.Ctx, cfg *store.Config) error {
	name, err := askExportFile(c)
	if err != nil || name == "" {
		return err
	}
	return destExport(c, cfg, name)
}

// askImportFile and askExportFile ask for the file of IMPORT and EXPORT;
// an empty answer goes back.
func askImportFile(c *shell.Ctx) (string, error) {
	return shell.AskOf(c, "Enter the name of the file to import (in the configuration directory).", "", c.ConfigFiles(), nil)
}

func askExportFile(c *shell.Ctx) (string, error) {
	return shell.Ask(c, "Enter a name for the exported file (in the configuration directory).", "", nil)
}

// askExistingDest asks for the domain of an existing entry; an empty
// answer returns nil (go back).
func askExistingDest(c *shell.Ctx, cfg *store.Config, question string) (*store.Destination, error) {
	if len(cfg.Destinations) == 0 {
		return nil, shell.Errorf("There are no destination control entries; DEFAULT is changed with the DEFAULT operation.")
	}
	var d *store.Destination
	_, err := shell.AskOf(c, question, "", destDomains(cfg), func(s string) (string, error) {
		if s == "" {
			return s, nil
		}
		if isDefaultName(s) {
			return "", shell.Errorf("Use the DEFAULT operation for the default entry.")
		}
		if d = cfg.Destination(strings.TrimSuffix(s, ".")); d == nil {
			return "", destNotFound(s)
		}
		return s, nil
	})
	return d, err
}

func destNew(c *shell.Ctx, cfg *store.Config) error {
	domain, err := shell.AskRequired(c, "Enter the domain you wish to limit.", "", func(s string) (string, error) {
		if isDefaultName(s) {
			return "", shell.Errorf("Use the DEFAULT operation for the default entry.")
		}
		d, err := canonDomain(s)
		if err != nil {
			return "", err
		}
		if cfg.Destination(d) != nil {
			return "", shell.Errorf("A destination control entry for %s already exists.", d)
		}
		return d, nil
	})
	if err != nil {
		return err
	}
	p, err := askDestEntry(c, cfg, domain, store.Params{}, true)
	if err != nil {
		return err
	}
	cfg.Destinations = append(cfg.Destinations, store.Destination{Domain: domain, Params: p})
	return checkDests(cfg)
}

// gate asks one of NEW/EDIT's "Do you wish to ..." questions; the answer
// defaults to yes when the entry already sets one of keys.
func gate(c *shell.Ctx, question string, cur store.Params, def bool, keys ...string) (bool, error) {
	for _, k := range keys {
		if cur.Has(k) {
			def = true
		}
	}
	return shell.AskYN(c, question, def)
}

// askDestEntry asks for a domain entry's settings. cur is what the entry
// sets now (empty for a new one); the result holds only what was asked
// for, the rest coming from DEFAULT. A "Do you wish to" answered N, or a
// value question answered default (shell.Inherit), leaves a setting to
// DEFAULT.
func askDestEntry(c *shell.Ctx, cfg *store.Config, domain string, cur store.Params, isNew bool) (store.Params, error) {
	cur = cur.Clone()
	if v := cur["recipient_limit"]; v == "0" {
		delete(cur, "recipient_limit")
	}
	if !isNew {
		c.Printf("\nAnswer %q to a value question to use the value of %s.\n", shell.Inherit, store.DestDefaultSection)
	}
	eff := cfg.DestDefault.Overlay(cur)
	p := store.Params{}
	if v, ok := cur["source_ip"]; ok {
		// Not asked here: "destconfig edit DOMAIN --source_ip=..." sets it.
		p["source_ip"] = v
	}
	notes := store.InertNotes{}
	q := func(question, key string) string { return notes.Question(store.DestParams, question, key) }
	num := func(key, question string) error {
		check := shell.SpecCheck(store.DestParams, key)
		v, err := shell.Ask(c, question, eff[key], func(s string) (string, error) {
			if shell.Inherits(s) {
				return "", nil
			}
			return check(s)
		})
		if v != "" {
			p[key] = v
		}
		return err
	}
	// own sets key unless the answer was default.
	own := func(key, v string) {
		if v != "" {
			p[key] = v
		}
	}

	yes, err := gate(c, fmt.Sprintf("Do you wish to configure a concurrency limit for %s?", domain), cur, isNew, "max_host_concurrency")
	if err != nil {
		return nil, err
	}
	if yes {
		if err := num("max_host_concurrency", fmt.Sprintf("Enter the max concurrency limit for %q.", domain)); err != nil {
			return nil, err
		}
	}
	yes, err = gate(c, q("Do you wish to apply a recipient limit to this domain?", "recipient_limit"), cur, false, "recipient_limit")
	if err != nil {
		return nil, err
	}
	if yes {
		if err := askRecipientLimit(c, p, eff, fmt.Sprintf(" for %q", domain)); err != nil {
			return nil, err
		}
	}
	if p.Has("max_host_concurrency") || p.Has("recipient_limit") {
		v, err := chooseOwnValue(c, q(fmt.Sprintf("Select how you want to apply the limits for %s:", domain), "limit_type"), limitTypeChoices(domain), eff["limit_type"])
		if err != nil {
			return nil, err
		}
		own("limit_type", v)
		if v, err = chooseOwnValue(c, q("Select how the limits will be enforced:", "limit_apply"), limitApplyChoices, eff["limit_apply"]); err != nil {
			return nil, err
		}
		own("limit_apply", v)
	}
	yes, err = gate(c, "Do you wish to apply a messages-per-connection limit to this domain?", cur, false, "max_messages_per_connection")
	if err != nil {
		return nil, err
	}
	if yes {
		if err := num("max_messages_per_connection", fmt.Sprintf("Enter the max number of messages per connection for %q.", domain)); err != nil {
			return nil, err
		}
	}
	steps := []struct {
		key, gate, question string
		choices             []choice
	}{
		{"use_tls", "Do you wish to apply a specific TLS setting for this domain?", "Do you want to use TLS support?", tlsChoices},
		{"dane", "Do you wish to configure DANE Support for this domain?", "Choose a DANE option:", daneChoices},
		{"bounce_validation", "Do you wish to apply a specific bounce verification address tagging setting for this domain?", "", nil},
		{"bounce_profile", "Do you wish to apply a specific bounce profile to this domain?", "Please choose a bounce profile to apply:", profileChoices(cfg)},
		{"ip_sort_pref", "Do you wish to apply a specific IP sort preference for this domain?", "Select how IP addresses are sorted within an MX preference level:", sortChoices},
	}
	for _, s := range steps {
		yes, err := gate(c, q(s.gate, s.key), cur, false, s.key)
		if err != nil {
			return nil, err
		}
		if !yes {
			continue
		}
		var v string
		if s.choices == nil {
			var on bool
			on, err = shell.AskYN(c, "Perform bounce verification address tagging?", eff[s.key] == "on")
			v = shell.OnOff(on)
		} else {
			v, err = chooseOwnValue(c, s.question, s.choices, eff[s.key])
		}
		if err != nil {
			return nil, err
		}
		own(s.key, v)
	}
	return p, nil
}

// askRecipientLimit asks for the interval and the limit; what is the
// domain text in the question ("" for DEFAULT).
func askRecipientLimit(c *shell.Ctx, p, eff store.Params, what string) error {
	mins := eff["recipient_minutes"]
	if mins == "" {
		mins = "60"
	}
	mins, err := shell.Ask(c, "Enter the number of minutes used to measure the recipient limit.", mins, shell.SpecCheck(store.DestParams, "recipient_minutes"))
	if err != nil {
		return err
	}
	lim := eff["recipient_limit"]
	if lim == "0" {
		lim = ""
	}
	check := shell.SpecCheck(store.DestParams, "recipient_limit")
	lim, err = shell.AskRequired(c, fmt.Sprintf("Enter the max number of recipients per %s minutes%s.", mins, what), lim, func(s string) (string, error) {
		v, err := check(s)
		if err == nil && v == "0" {
			return "", shell.Errorf("Enter a number of at least 1 (answer N to the previous question for no limit).")
		}
		return v, err
	})
	if err != nil {
		return err
	}
	p["recipient_minutes"], p["recipient_limit"] = mins, lim
	return nil
}

// askDestDefault asks for every DEFAULT setting, without the "Do you
// wish to" gates.
func askDestDefault(c *shell.Ctx, cfg *store.Config) (store.Params, error) {
	cur := cfg.DestDefault
	p := cur.Clone()
	delete(p, "recipient_minutes")
	delete(p, "recipient_limit")
	notes := store.InertNotes{}
	q := func(question, key string) string { return notes.Question(store.DestParams, question, key) }
	v, err := shell.Ask(c, "Enter the default maximum concurrency limit.", cur["max_host_concurrency"], shell.SpecCheck(store.DestParams, "max_host_concurrency"))
	if err != nil {
		return nil, err
	}
	p["max_host_concurrency"] = v
	hasLimit := cur["recipient_limit"] != "" && cur["recipient_limit"] != "0"
	yes, err := shell.AskYN(c, q("Do you wish to specify a default recipient limit?", "recipient_limit"), hasLimit)
	if err != nil {
		return nil, err
	}
	if yes {
		if err := askRecipientLimit(c, p, cur, ""); err != nil {
			return nil, err
		}
	}
	if p["limit_type"], err = chooseValue(c, q("Select how you want to apply the default limits:", "limit_type"), limitTypeChoices(""), cur["limit_type"]); err != nil {
		return nil, err
	}
	if p["limit_apply"], err = chooseValue(c, q("Select how the default limits will be enforced:", "limit_apply"), limitApplyChoices, cur["limit_apply"]); err != nil {
		return nil, err
	}
	if p["max_messages_per_connection"], err = shell.Ask(c, "Enter the default maximum number of messages per connection.", cur["max_messages_per_connection"], shell.SpecCheck(store.DestParams, "max_messages_per_connection")); err != nil {
		return nil, err
	}
	if p["use_tls"], err = chooseValue(c, "Do you want to use TLS support by default?", tlsChoices, cur["use_tls"]); err != nil {
		return nil, err
	}
	if p["dane"], err = chooseValue(c, q("Do you want to use DANE support by default?", "dane"), daneChoices, cur["dane"]); err != nil {
		return nil, err
	}
	on, err := shell.AskYN(c, q("Perform bounce verification address tagging by default?", "bounce_validation"), cur["bounce_validation"] == "on")
	if err != nil {
		return nil, err
	}
	p["bounce_validation"] = shell.OnOff(on)
	if p["bounce_profile"], err = chooseValue(c, "Please choose the default bounce profile:", profileChoices(cfg), cur["bounce_profile"]); err != nil {
		return nil, err
	}
	if p["ip_sort_pref"], err = chooseValue(c, "Select how IP addresses are sorted within an MX preference level:", sortChoices, cur["ip_sort_pref"]); err != nil {
		return nil, err
	}
	return p, nil
}

// profileChoices lists the bounce profiles as answers.
func profileChoices(cfg *store.Config) []choice {
	cs := make([]choice, len(cfg.Bounce))
	for i, b := range cfg.Bounce {
		cs[i] = choice{b.Name, b.Name}
	}
	return cs
}
