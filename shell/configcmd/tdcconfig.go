package configcmd

import (
	"strings"

	"seg/shell"
	"seg/store"
)

// tdcconfig: the Threat Defense Connector (SPEC 6). The real AsyncOS CLI
// name of this setting is not known (reference/asyncos-cli.md 5: only the
// GUI page "Security Services > Threat Defense Connector" is documented);
// tdcconfig is seg's name, with AsyncOS's SETUP menu style.

func tdcconfigCommand() *shell.Command {
	return setupCommand{
		name: "tdcconfig",
		help: "Configure the Threat Defense Connector (journaling incoming mail to Secure Email Threat Defense).",
		setup: []string{
			"--enable yes|no [--intake ADDRESS]",
			"--intake ADDRESS",
		},
		notes: []string{
			"Incoming mail policies choose whether to use it: policyconfig incoming edit NAME --tdc off|default|custom:ADDRESS.",
			"Note: tdcconfig is seg's name for this command; the real AsyncOS CLI command is not documented (only the GUI page Security Services > Threat Defense Connector).",
		},
		opts: []string{"enable", "intake"},
		menu: "Configure the Threat Defense Connector.",
		text: tdcText,
		ask:  tdcSetup,
		set: func(cfg *store.Config, o shell.Opts) error {
			if len(o.Pos) > 0 || len(o.Order) == 0 {
				return shell.ErrUsage
			}
			t := cfg.TDC
			if a, ok := o.Named["intake"]; ok {
				if _, err := checkAddress(a); err != nil {
					return err
				}
				t.IntakeAddress = a
			}
			if v, ok := o.Named["enable"]; ok {
				on, err := yesNo("enable", v)
				if err != nil {
					return err
				}
				t.Enabled = on
			}
			if t.Enabled && t.IntakeAddress == "" {
				return shell.Errorf("Enabling the Threat Defense Connector needs the message intake address: --intake ADDRESS.")
			}
			cfg.TDC = t
			return nil
		},
	}.command()
}

func tdcText(cfg *store.Config) string {
	var b strings.Builder
	if cfg.TDC.Enabled {
		b.WriteString("Threat Defense Connector: Enabled\n")
	} else {
		b.WriteString("Threat Defense Connector: Disabled\n")
	}
	if a := cfg.TDC.IntakeAddress; a != "" {
		b.WriteString("Message intake address: " + a + "\n")
	}
	var using []string
	for i := range cfg.Incoming {
		if tdcOn(cfg, &cfg.Incoming[i]) {
			using = append(using, cfg.Incoming[i].Name)
		}
	}
	if len(using) == 0 {
		using = []string{"None"}
	}
	b.WriteString("Incoming mail policies using it: " + strings.Join(using, ", ") + "\n")
	return b.String()
}

func tdcSetup(c *shell.Ctx, cfg *store.Config) error {
	on, err := c.AskYN("\nWould you like to enable the Threat Defense Connector?", cfg.TDC.Enabled)
	if err != nil {
		return err
	}
	t := cfg.TDC
	t.Enabled = on
	if on {
		a, err := shell.AskRequired(c, "Enter the message intake address.", t.IntakeAddress, checkAddress)
		if err != nil {
			return err
		}
		t.IntakeAddress = a
	}
	cfg.TDC = t
	return nil
}
