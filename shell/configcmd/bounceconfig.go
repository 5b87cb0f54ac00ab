package configcmd

import (
	"fmt"
	"strings"

	"seg/shell"
	"seg/store"
)

// bounceconfig: bounce profiles (SPEC 5; reference/asyncos-cli.md 4).
// "Default" is complete and cannot be deleted; any other profile holds
// only what it overrides, and shell.Inherit ("default", "Default") as an
// answer or value means "inherit from the Default profile".

const defaultProfile = "Default"

func bounceconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "bounceconfig",
		Help:   "Configure bounce profiles: retries, time in queue, bounce and delay-warning messages.",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			c.Printf("\nCurrent bounce profiles:\n")
			for i, n := range profileNames(cfg) {
				c.Printf("%d. %s\n", i+1, n)
			}
		},
		Table: &shell.Table[*store.Config]{Prefix: "bounceconfig", Ops: bounceOps},
		Notes: shell.ParamUsage(store.BounceParams),
	}.Command()
}

// bounceOps are bounceconfig's operations (reference/asyncos-cli.md 4);
// print is batch only.
var bounceOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a new profile.",
		Usage:    []string{"NAME [--PARAM=VALUE ...]    (PARAM=VALUE without dashes too)"},
		Batch:    bounceNewBatch,
		Menu:     bounceNewMenu,
		Complete: bounceComplete(false, true)},
	{Name: "edit", Desc: "Modify a profile.",
		Usage:    []string{"NAME [--PARAM=VALUE ...]   " + shell.InheritNote("the Default profile")},
		Batch:    bounceEditBatch,
		Menu:     bounceEditMenu,
		Complete: bounceComplete(true, true)},
	{Name: "delete", Desc: "Remove a profile.",
		Usage: []string{"NAME"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := bounceArgs(args, 1)
			if err != nil {
				return err
			}
			if len(o.Order) > 0 {
				return shell.Errorf("bounceconfig delete takes no options.")
			}
			return deleteProfile(cfg, o.Pos[0])
		},
		Menu:     bounceDeleteMenu,
		Complete: bounceComplete(true, false)},
	{Name: "print", Desc: "Display a profile, or all of them.",
		Usage:    []string{"[NAME]"},
		Batch:    bouncePrintBatch,
		Complete: bounceComplete(true, false)},
}

// bounceComplete completes a profile name as the first word (names) and
// PARAM=VALUE options (params).
func bounceComplete(names, params bool) func(*shell.Ctx, *store.Config, []string) []string {
	return func(c *shell.Ctx, cfg *store.Config, args []string) []string {
		switch {
		case len(args) == 1 && names:
			return profileNames(cfg)
		case params:
			return shell.ParamOptions(store.BounceParams, args[len(args)-1])
		}
		return nil
	}
}

func profileNames(cfg *store.Config) []string {
	return names(cfg.Bounce, func(b *store.BounceProfile) string { return b.Name })
}

// bounceArgs parses the words after a bounceconfig operation: at least
// min and at most one profile name.
func bounceArgs(args []string, min int) (shell.Opts, error) {
	o, err := shell.UserOpts(args)
	if err == nil && (len(o.Pos) < min || len(o.Pos) > 1) {
		err = shell.ErrUsage
	}
	return o, err
}

func bounceNewBatch(c *shell.Ctx, cfg *store.Config, args []string) error {
	o, err := bounceArgs(args, 1)
	if err != nil {
		return err
	}
	if err := checkNewProfileName(cfg, o.Pos[0]); err != nil {
		return err
	}
	bp := store.BounceProfile{Name: o.Pos[0], Params: store.Params{}}
	if err := applyBounceOpts(&bp, o); err != nil {
		return err
	}
	if err := checkBounce(cfg, &bp); err != nil {
		return err
	}
	cfg.Bounce = append(cfg.Bounce, bp)
	return nil
}

func bounceEditBatch(c *shell.Ctx, cfg *store.Config, args []string) error {
	o, err := bounceArgs(args, 1)
	if err != nil {
		return err
	}
	bp := cfg.BounceProfile(o.Pos[0])
	if bp == nil {
		return profileNotFound(cfg, o.Pos[0])
	}
	if len(o.Order) == 0 {
		return shell.Errorf("Nothing to change: give PARAM=VALUE options (see 'help bounceconfig').")
	}
	n := store.BounceProfile{Name: bp.Name, Params: bp.Params.Clone()}
	if err := applyBounceOpts(&n, o); err != nil {
		return err
	}
	if err := checkBounce(cfg, &n); err != nil {
		return err
	}
	*bp = n
	return nil
}

func bouncePrintBatch(c *shell.Ctx, cfg *store.Config, args []string) error {
	o, err := bounceArgs(args, 0)
	if err != nil {
		return err
	}
	if len(o.Order) > 0 {
		return shell.Errorf("bounceconfig print takes no options.")
	}
	if len(o.Pos) == 1 {
		bp := cfg.BounceProfile(o.Pos[0])
		if bp == nil {
			return profileNotFound(cfg, o.Pos[0])
		}
		c.Printf("%s", profileText(cfg, bp))
		return nil
	}
	for i := range cfg.Bounce {
		if i > 0 {
			c.Printf("\n")
		}
		c.Printf("%s", profileText(cfg, &cfg.Bounce[i]))
	}
	return nil
}

func profileNotFound(cfg *store.Config, name string) error {
	return shell.Errorf("There is no bounce profile named %q (defined: %s).", name, strings.Join(profileNames(cfg), ", "))
}

func checkNewProfileName(cfg *store.Config, name string) error {
	if err := store.CheckBounceProfileName(name); err != nil {
		return shell.AsUser(err)
	}
	if cfg.BounceProfile(name) != nil {
		return shell.Errorf("Profile name already in use.")
	}
	return nil
}

func isDefaultProfile(bp *store.BounceProfile) bool {
	return strings.EqualFold(bp.Name, defaultProfile)
}

// applyBounceOpts sets PARAM=VALUE options in canonical form; in a
// profile other than Default the value "Default" removes the override.
func applyBounceOpts(bp *store.BounceProfile, o shell.Opts) error {
	for _, n := range o.Order {
		v := o.Named[n]
		spec, ok := store.BounceParams.Lookup(n)
		if !ok {
			return shell.Errorf("Unknown bounceconfig parameter %s (accepted: %s).", n, strings.Join(store.BounceParams.Names(), ", "))
		}
		if !isDefaultProfile(bp) && shell.Inherits(v) {
			delete(bp.Params, spec.Name)
			continue
		}
		k, cv, err := store.BounceParams.Canon(n, v)
		if err != nil {
			return shell.AsUser(err)
		}
		bp.Params[k] = cv
	}
	return nil
}

// checkBounce checks what spans parameters, on the profile's effective
// values: retry times in order, a valid alternate address.
func checkBounce(cfg *store.Config, bp *store.BounceProfile) error {
	base := store.Params{}
	if def := cfg.BounceProfile(defaultProfile); def != nil && !isDefaultProfile(bp) {
		base = def.Params
	}
	eff := base.Overlay(bp.Params)
	if err := store.CheckRetryOrder(eff); err != nil {
		return shell.Errorf("%s: %v.", bp.Name, err)
	}
	if a := eff["bounce_address"]; a != "" && !store.ValidAddress(a) {
		return shell.Errorf("%s: bounce_address %q is not a valid email address.", bp.Name, a)
	}
	if isDefaultProfile(bp) {
		// Default must stay complete, and other profiles inherit from
		// it: check them against the new values too.
		for _, k := range store.BounceParams.Names() {
			if !bp.Params.Has(k) {
				return shell.Errorf("The Default profile needs a value for %s.", k)
			}
		}
		for i := range cfg.Bounce {
			o := &cfg.Bounce[i]
			if isDefaultProfile(o) {
				continue
			}
			if err := store.CheckRetryOrder(bp.Params.Overlay(o.Params)); err != nil {
				return shell.Errorf("%s: %v.", o.Name, err)
			}
		}
	}
	return nil
}

// profileUsers lists the destconfig entries that name a profile.
func profileUsers(cfg *store.Config, name string) []string {
	var users []string
	if strings.EqualFold(cfg.DestDefault["bounce_profile"], name) {
		users = append(users, store.DestDefaultSection)
	}
	for _, d := range cfg.Destinations {
		if strings.EqualFold(d.Params["bounce_profile"], name) {
			users = append(users, d.Domain)
		}
	}
	return users
}

func deleteProfile(cfg *store.Config, name string) error {
	bp := cfg.BounceProfile(name)
	if bp == nil {
		return profileNotFound(cfg, name)
	}
	if isDefaultProfile(bp) {
		return shell.Errorf("The default profile may not be deleted.")
	}
	if users := profileUsers(cfg, bp.Name); len(users) > 0 {
		return shell.Errorf("The bounce profile %q is used by destconfig (%s); change those entries first.", bp.Name, strings.Join(users, ", "))
	}
	for i := range cfg.Bounce {
		if &cfg.Bounce[i] == bp {
			cfg.Bounce = append(cfg.Bounce[:i], cfg.Bounce[i+1:]...)
			break
		}
	}
	return nil
}

// profileText is print's block: every parameter, inherited ones marked.
func profileText(cfg *store.Config, bp *store.BounceProfile) string {
	var b strings.Builder
	b.WriteString(bp.Name + "\n")
	eff := cfg.BounceParams(bp.Name)
	for _, k := range store.BounceParams.Names() {
		v := eff[k]
		if v == "" {
			v = `""`
		}
		if !isDefaultProfile(bp) && !bp.Params.Has(k) {
			v += " (Default)"
		}
		fmt.Fprintf(&b, "    %s = %s\n", k, v)
	}
	return b.String()
}

func bounceNewMenu(c *shell.Ctx, cfg *store.Config) error {
	name, err := shell.AskRequired(c, "Please create a name for the profile:", "", func(s string) (string, error) {
		return s, checkNewProfileName(cfg, s)
	})
	if err != nil {
		return err
	}
	bp := store.BounceProfile{Name: name, Params: store.Params{}}
	if err := askBounce(c, cfg, &bp); err != nil {
		return err
	}
	cfg.Bounce = append(cfg.Bounce, bp)
	return nil
}

func bounceEditMenu(c *shell.Ctx, cfg *store.Config) error {
	i, err := shell.Pick(c, "Please choose the profile to edit:", profileNames(cfg))
	if err != nil || i < 0 {
		return err
	}
	bp := store.BounceProfile{Name: cfg.Bounce[i].Name, Params: cfg.Bounce[i].Params.Clone()}
	if err := askBounce(c, cfg, &bp); err != nil {
		return err
	}
	cfg.Bounce[i] = bp
	return nil
}

func bounceDeleteMenu(c *shell.Ctx, cfg *store.Config) error {
	i, err := shell.Pick(c, "Please choose the profile to delete:", profileNames(cfg))
	if err != nil || i < 0 {
		return err
	}
	return deleteProfile(cfg, cfg.Bounce[i].Name)
}

// askBounce asks for a profile's parameters in AsyncOS's order. For a
// profile other than Default every question also takes "Default".
func askBounce(c *shell.Ctx, cfg *store.Config, bp *store.BounceProfile) error {
	inherit := !isDefaultProfile(bp)
	base := cfg.BounceParams(defaultProfile)
	if inherit {
		c.Printf("\nAnswer Default to any question to use the value of the Default profile.\n")
	} else {
		base = store.Params{}
	}
	// cur is the bracketed default: the profile's own value, else
	// "Default".
	cur := func(k string) string {
		if v, ok := bp.Params[k]; ok {
			return v
		}
		if inherit {
			return defaultProfile
		}
		return ""
	}
	eff := func(k string) string { return base.Overlay(bp.Params)[k] }
	isDef := func(s string) bool { return inherit && shell.Inherits(s) }
	value := func(key, question string) error {
		check := shell.SpecCheck(store.BounceParams, key)
		v, err := shell.Ask(c, question, cur(key), func(s string) (string, error) {
			if isDef(s) {
				return defaultProfile, nil
			}
			return check(s)
		})
		if err != nil {
			return err
		}
		if isDef(v) {
			delete(bp.Params, key)
		} else {
			bp.Params[key] = v
		}
		return nil
	}
	yesNo := func(key, question string) error {
		def := cur(key)
		switch def {
		case "on":
			def = "Y"
		case "off":
			def = "N"
		}
		v, err := shell.Ask(c, question, def, func(s string) (string, error) {
			switch strings.ToLower(s) {
			case "y", "yes":
				return "on", nil
			case "n", "no":
				return "off", nil
			}
			if isDef(s) {
				return defaultProfile, nil
			}
			if inherit {
				return "", shell.Errorf("Please answer Y, N or Default.")
			}
			return "", shell.Errorf("Please answer Y or N.")
		})
		if err != nil {
			return err
		}
		if isDef(v) {
			delete(bp.Params, key)
		} else {
			bp.Params[key] = v
		}
		return nil
	}
	steps := []struct {
		key, question string
		yn            bool
		when          func() bool
	}{
		{"max_retries", "Please enter the maximum number of retries.", false, nil},
		{"max_queue_lifetime", "Please enter the maximum number of seconds a message may stay in the queue before being hard bounced.", false, nil},
		{"initial_retry", "Please enter the initial number of seconds to wait before retrying a message.", false, nil},
		{"max_retry_timeout", "Please enter the maximum number of seconds to wait before retrying a message.", false, nil},
		{"send_bounces", "Do you want a message sent for each hard bounce?", true, nil},
		{"use_dsn_bounce_format", "Do you want bounce messages to use the DSN message format?", true, func() bool { return eff("send_bounces") == "on" }},
		{"bounce_subject", "Please enter the subject to use.", false, func() bool { return eff("send_bounces") == "on" }},
		{"send_warnings", "Do you want to send a delay warning message?", true, nil},
		{"send_warnings_interval", "Please enter the minimum number of seconds between delay warning messages.", false, func() bool { return eff("send_warnings") == "on" }},
		{"send_warnings_count", "Please enter the maximum number of warnings to send per recipient.", false, func() bool { return eff("send_warnings") == "on" }},
	}
	notes := store.InertNotes{}
	for _, s := range steps {
		if s.when != nil && !s.when() {
			continue
		}
		q := notes.Question(store.BounceParams, s.question, s.key)
		var err error
		if s.yn {
			err = yesNo(s.key, q)
		} else {
			err = value(s.key, q)
		}
		if err != nil {
			return err
		}
	}
	if err := askBounceAddress(c, bp, inherit); err != nil {
		return err
	}
	return checkBounce(cfg, bp)
}

// askBounceAddress asks whether bounces go to an alternate address.
func askBounceAddress(c *shell.Ctx, bp *store.BounceProfile, inherit bool) error {
	def := "N"
	switch v, ok := bp.Params["bounce_address"]; {
	case !ok && inherit:
		def = defaultProfile
	case v != "":
		def = "Y"
	}
	ans, err := shell.Ask(c, "Do you want hard bounce and delay warning messages sent to an alternate address, instead of the sender?", def, func(s string) (string, error) {
		switch strings.ToLower(s) {
		case "y", "yes":
			return "Y", nil
		case "n", "no":
			return "N", nil
		}
		if inherit && shell.Inherits(s) {
			return defaultProfile, nil
		}
		if inherit {
			return "", shell.Errorf("Please answer Y, N or Default.")
		}
		return "", shell.Errorf("Please answer Y or N.")
	})
	if err != nil {
		return err
	}
	switch ans {
	case defaultProfile:
		delete(bp.Params, "bounce_address")
	case "N":
		bp.Params["bounce_address"] = ""
	case "Y":
		a, err := shell.AskRequired(c, "Please enter the email address to send hard bounce and delay warning messages to.", bp.Params["bounce_address"], func(s string) (string, error) {
			if !store.ValidAddress(s) {
				return "", shell.Errorf("%q is not a valid email address.", s)
			}
			return s, nil
		})
		if err != nil {
			return err
		}
		bp.Params["bounce_address"] = a
	}
	return nil
}
