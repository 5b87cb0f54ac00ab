package configcmd

import (
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// dmarcconfig (SPEC 12): the DMARC verification profiles a HAT policy
// names in dmarc_profile (what seg does with mail that fails the
// domain's p=reject or p=quarantine), and the aggregate reports' settings.
// DEFAULT is built in: it may be edited, never deleted; a profile a
// policy names cannot be deleted. report sends the reports of the
// records collected so far, now, through the running MTA.

func dmarcconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "dmarcconfig",
		Help:   "Configure DMARC verification profiles and aggregate reports.",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			c.Printf("\nNumber of DMARC Verification Profiles: %d\n%s", len(dmarcProfiles(cfg)), dmarcSetupText(cfg))
		},
		Table: &shell.Table[*store.Config]{Prefix: "dmarcconfig", Ops: dmarcOps},
	}.Command()
}

var dmarcOps = []shell.Operation[*store.Config]{
	{Name: "profile", Desc: "Manage DMARC verification profiles.", Aliases: []string{"profiles"},
		Usage: dmarcProfileOps.Forms(),
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			return dmarcProfileOps.Batch(c, cfg, args)
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			return dmarcProfileOps.Menu(c, cfg, func() { c.Printf("\n%s", dmarcProfilesText(cfg)) })
		},
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			return dmarcProfileOps.Complete(c, cfg, args)
		},
		Sub: dmarcProfileOps},
	{Name: "setup", Desc: "Change the aggregate report settings.", Access: shell.AccessOperator,
		Usage: []string{"--report-from ADDR --org-name NAME [--report-time HH:MM]   (UTC; when left out, unchanged; at first " + store.DefaultDMARCReportTime + ")"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("report-from", "org-name", "report-time"); err != nil {
				return err
			}
			from, fok := o.Named["report-from"]
			org, ook := o.Named["org-name"]
			if len(o.Pos) != 0 || !fok || !ook {
				return shell.ErrUsage
			}
			at, tok := o.Named["report-time"]
			if !tok {
				at = cfg.DMARC.ReportTime
			}
			return setDMARCReports(cfg, from, org, at)
		},
		Menu: dmarcSetupMenu},
	shell.PrintOp("Display the profiles and the aggregate report settings.", func(c *shell.Ctx, cfg *store.Config) string {
		return dmarcProfilesText(cfg) + dmarcSetupText(cfg)
	}),
	{Name: "report", Desc: "Send the aggregate reports of the records collected so far, now.", Access: shell.AccessOperator,
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if len(args) != 0 {
				return shell.ErrUsage
			}
			return dmarcReport(c)
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error { return dmarcReport(c) }},
}

var dmarcProfileOps = &shell.Table[*store.Config]{Prefix: "dmarcconfig profile", What: "dmarcconfig profile operation", Ops: []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a new profile.", Access: shell.AccessOperator,
		Usage: []string{"NAME --reject-action reject|quarantine|none --quarantine-action quarantine|none [--code 550 --text T]"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("reject-action", "quarantine-action", "code", "text"); err != nil {
				return err
			}
			_, rok := o.Named["reject-action"]
			_, qok := o.Named["quarantine-action"]
			if len(o.Pos) != 1 || !rok || !qok {
				return shell.ErrUsage
			}
			if err := checkNewDMARCName(cfg, o.Pos[0]); err != nil {
				return err
			}
			p := store.DefaultDMARCProfile
			p.Name = o.Pos[0]
			if err := applyDMARCOpts(&p, o.Named); err != nil {
				return err
			}
			cfg.DMARC.Profiles = append(cfg.DMARC.Profiles, p)
			return nil
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := shell.AskRequired(c, "Enter the name of the new DMARC verification profile.", "", func(s string) (string, error) {
				return s, checkNewDMARCName(cfg, s)
			})
			if err != nil {
				return err
			}
			p := store.DefaultDMARCProfile
			p.Name = name
			if err := askDMARCProfile(c, &p); err != nil {
				return err
			}
			cfg.DMARC.Profiles = append(cfg.DMARC.Profiles, p)
			return nil
		}},
	{Name: "edit", Desc: "Modify a profile.", Access: shell.AccessOperator,
		Usage: []string{"NAME [--reject-action A] [--quarantine-action A] [--code N] [--text T]"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := shell.UserOpts(args)
			if err != nil {
				return err
			}
			if err := o.Allow("reject-action", "quarantine-action", "code", "text"); err != nil {
				return err
			}
			if len(o.Pos) != 1 || len(o.Named) == 0 {
				return shell.ErrUsage
			}
			p, err := lookupDMARCProfile(cfg, o.Pos[0])
			if err != nil {
				return err
			}
			if err := applyDMARCOpts(&p, o.Named); err != nil {
				return err
			}
			putDMARCProfile(cfg, p)
			return nil
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := shell.AskOf(c, "Enter the name of the profile to edit.", "", dmarcProfileArg(c, cfg, []string{""}), func(s string) (string, error) {
				if s != "" {
					if _, err := lookupDMARCProfile(cfg, s); err != nil {
						return "", err
					}
				}
				return s, nil
			})
			if err != nil || name == "" {
				return err
			}
			p, _ := lookupDMARCProfile(cfg, name)
			if err := askDMARCProfile(c, &p); err != nil {
				return err
			}
			putDMARCProfile(cfg, p)
			return nil
		},
		Complete: dmarcProfileArg},
	{Name: "delete", Desc: "Delete a profile.", Access: shell.AccessOperator,
		Usage: []string{"NAME   (not DEFAULT, nor a profile a mail flow policy's dmarc_profile names)"},
		Batch: shell.OneName(func(c *shell.Ctx, cfg *store.Config, name string) error { return deleteDMARCProfile(cfg, name) }),
		Shown: func(c *shell.Ctx, cfg *store.Config) bool { return len(cfg.DMARC.Profiles) > 0 },
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			name, err := shell.AskOf(c, "Enter the name of the profile to delete.", "", dmarcProfileArg(c, cfg, []string{""}), nil)
			if err != nil || name == "" {
				return err
			}
			return deleteDMARCProfile(cfg, name)
		},
		Complete: dmarcProfileArg},
	{Name: "print", Desc: "Display the profiles.",
		Usage: []string{"[NAME]"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			words, err := shell.UserWords(args)
			if err != nil {
				return err
			}
			switch len(words) {
			case 0:
				c.Printf("%s", dmarcProfilesText(cfg))
			case 1:
				p, err := lookupDMARCProfile(cfg, words[0])
				if err != nil {
					return err
				}
				c.Printf("%s", dmarcTable([]store.DMARCProfile{p}))
			default:
				return shell.ErrUsage
			}
			return nil
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			c.Printf("\n%s", dmarcProfilesText(cfg))
			return nil
		},
		Complete: dmarcProfileArg},
}}

// dmarcProfiles are DEFAULT (built in, or its stored override) and the
// others, in order.
func dmarcProfiles(cfg *store.Config) []store.DMARCProfile {
	def, _ := cfg.DMARC.Profile(store.DefaultDMARCProfile.Name)
	out := []store.DMARCProfile{def}
	for _, p := range cfg.DMARC.Profiles {
		if !strings.EqualFold(p.Name, store.DefaultDMARCProfile.Name) {
			out = append(out, p)
		}
	}
	return out
}

func dmarcProfileArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) != 1 {
		return nil
	}
	return names(dmarcProfiles(cfg), func(p *store.DMARCProfile) string { return p.Name })
}

func checkNewDMARCName(cfg *store.Config, name string) error {
	if !store.ValidAddressListName(name) {
		return shell.Errorf("%q is not a valid profile name (a letter, then letters, digits, '_' or '-').", name)
	}
	if _, ok := cfg.DMARC.Profile(name); ok {
		return shell.Errorf("A DMARC verification profile named %s already exists.", name)
	}
	return nil
}

func lookupDMARCProfile(cfg *store.Config, name string) (store.DMARCProfile, error) {
	p, ok := cfg.DMARC.Profile(name)
	if !ok {
		return p, shell.Errorf("No DMARC verification profile named %s.", name)
	}
	return p, nil
}

// putDMARCProfile stores p in place of the profile of its name; the
// first edit of DEFAULT stores it.
func putDMARCProfile(cfg *store.Config, p store.DMARCProfile) {
	for i := range cfg.DMARC.Profiles {
		if strings.EqualFold(cfg.DMARC.Profiles[i].Name, p.Name) {
			cfg.DMARC.Profiles[i] = p
			return
		}
	}
	cfg.DMARC.Profiles = append(cfg.DMARC.Profiles, p)
}

func deleteDMARCProfile(cfg *store.Config, name string) error {
	if strings.EqualFold(name, store.DefaultDMARCProfile.Name) {
		return shell.Errorf("The DEFAULT profile cannot be deleted (it may be edited).")
	}
	if _, err := lookupDMARCProfile(cfg, name); err != nil {
		return err
	}
	if users := cfg.DMARCProfileUsers(name); len(users) > 0 {
		return shell.Errorf("The profile %s is in use (dmarc_profile of %s); change those first.", name, strings.Join(users, ", "))
	}
	for i, p := range cfg.DMARC.Profiles {
		if strings.EqualFold(p.Name, name) {
			cfg.DMARC.Profiles = without(cfg.DMARC.Profiles, i)
			break
		}
	}
	return nil
}

// applyDMARCOpts sets the batch options given on p and checks the result.
func applyDMARCOpts(p *store.DMARCProfile, named map[string]string) error {
	if v, ok := named["reject-action"]; ok {
		p.RejectAction = strings.ToLower(v)
	}
	if v, ok := named["quarantine-action"]; ok {
		p.QuarantineAction = strings.ToLower(v)
	}
	if v, ok := named["code"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return shell.Errorf("--code must be an SMTP code from 400 to 599, not %q.", v)
		}
		p.Code = n
	}
	if v, ok := named["text"]; ok {
		p.Text = v
	}
	if err := store.CheckDMARCProfile(*p); err != nil {
		return shell.Errorf("Profile %s: %v.", p.Name, err)
	}
	return nil
}

var (
	rejectActions     = []string{store.DMARCActionReject, store.DMARCActionQuarantine, store.DMARCActionNone}
	quarantineActions = []string{store.DMARCActionQuarantine, store.DMARCActionNone}
)

func indexOf(items []string, s string) int {
	for i, v := range items {
		if v == s {
			return i
		}
	}
	return 0
}

// askDMARCProfile asks for each field of p, its value the default.
func askDMARCProfile(c *shell.Ctx, p *store.DMARCProfile) error {
	i, err := shell.Choose(c, "What should seg do with mail that fails DMARC when the domain publishes p=reject?", rejectActions, indexOf(rejectActions, p.RejectAction)+1)
	if err != nil {
		return err
	}
	p.RejectAction = rejectActions[i]
	i, err = shell.Choose(c, "What should seg do with mail that fails DMARC when the domain publishes p=quarantine?", quarantineActions, indexOf(quarantineActions, p.QuarantineAction)+1)
	if err != nil {
		return err
	}
	p.QuarantineAction = quarantineActions[i]
	code, err := shell.AskInt(c, "Enter the SMTP code of the rejection.", p.Code, 400, 599)
	if err != nil {
		return err
	}
	p.Code = code
	text, err := shell.AskRequired(c, "Enter the text of the rejection.", p.Text, func(s string) (string, error) {
		q := *p
		q.Text = s
		if err := store.CheckDMARCProfile(q); err != nil {
			return "", shell.Errorf("%v.", err)
		}
		return s, nil
	})
	if err != nil {
		return err
	}
	p.Text = text
	return nil
}

func setDMARCReports(cfg *store.Config, from, org, at string) error {
	if err := store.CheckReportFrom(from); err != nil {
		return shell.Errorf("--report-from: %v.", err)
	}
	if err := store.CheckOrgName(org); err != nil {
		return shell.Errorf("--org-name: %v.", err)
	}
	if at != "" {
		if _, _, err := store.ParseReportTime(at); err != nil {
			return shell.Errorf("--report-time: %v.", err)
		}
	}
	cfg.DMARC.ReportFrom, cfg.DMARC.OrgName, cfg.DMARC.ReportTime = from, org, at
	return nil
}

func dmarcSetupMenu(c *shell.Ctx, cfg *store.Config) error {
	from, err := shell.AskRequired(c, "Enter the From: address of the aggregate reports.", cfg.DMARC.ReportFrom, func(s string) (string, error) {
		if err := store.CheckReportFrom(s); err != nil {
			return "", shell.Errorf("%v.", err)
		}
		return s, nil
	})
	if err != nil {
		return err
	}
	org, err := shell.AskRequired(c, "Enter the organization name the reports carry.", cfg.DMARC.OrgName, func(s string) (string, error) {
		if err := store.CheckOrgName(s); err != nil {
			return "", shell.Errorf("%v.", err)
		}
		return s, nil
	})
	if err != nil {
		return err
	}
	at, err := shell.AskRequired(c, "Enter the time of day (UTC, HH:MM) the daily reports are sent.", cfg.DMARC.ReportTimeOrDefault(), func(s string) (string, error) {
		if _, _, err := store.ParseReportTime(s); err != nil {
			return "", shell.Errorf("%v.", err)
		}
		return s, nil
	})
	if err != nil {
		return err
	}
	return setDMARCReports(cfg, from, org, at)
}

// dmarcReport asks the running MTA to send the reports now.
func dmarcReport(c *shell.Ctx) error {
	ms, err := c.Mail()
	if err != nil {
		return err
	}
	return ms.DMARCReport(c.Out)
}

func dmarcTable(ps []store.DMARCProfile) string {
	rows := make([][]string, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, []string{p.Name, p.RejectAction, p.QuarantineAction, strconv.Itoa(p.Code), p.Text})
	}
	return shell.FormatTable([]string{"Profile", "p=reject", "p=quarantine", "Code", "Text"}, rows)
}

func dmarcProfilesText(cfg *store.Config) string { return dmarcTable(dmarcProfiles(cfg)) }

func dmarcSetupText(cfg *store.Config) string {
	d := &cfg.DMARC
	from, org := d.ReportFrom, d.OrgName
	if from == "" {
		from = "(not set: no aggregate reports are sent)"
	}
	if org == "" {
		org = "(not set)"
	}
	return "Aggregate reports: sent daily at " + d.ReportTimeOrDefault() + " UTC from " + from + ", organization " + org + ".\n"
}
