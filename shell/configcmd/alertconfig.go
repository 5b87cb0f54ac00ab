package configcmd

import (
	"strconv"
	"strings"

	"seg/internal/address"
	"seg/shell"
	"seg/store"
)

// alertconfig: the addresses seg sends its alerts to (SPEC 11: the TLS
// failure alert of destconfig setup --alert-on-tls-failure).

func alertconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "alertconfig",
		Help:   "Configure the addresses alerts are sent to (TLS failures on delivery).",
		Access: shell.AccessReadOnly,
		Target: config,
		Show: func(c *shell.Ctx, cfg *store.Config) {
			c.Printf("\n%s", alertText(cfg))
		},
		Table: &shell.Table[*store.Config]{Prefix: "alertconfig", Ops: alertOps},
	}.Command()
}

var alertOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Add an alert recipient.",
		Usage: []string{"ADDRESS"},
		Batch: shell.OneName(func(c *shell.Ctx, cfg *store.Config, a string) error { return addAlert(cfg, a) }),
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			a, err := shell.AskRequired(c, "Please enter the email address to send alerts to.", "", func(s string) (string, error) {
				_, err := canonAlert(cfg, s)
				return s, err
			})
			if err != nil {
				return err
			}
			return addAlert(cfg, a)
		}},
	{Name: "delete", Desc: "Remove an alert recipient.",
		Usage: []string{"ADDRESS"},
		Batch: shell.OneName(func(c *shell.Ctx, cfg *store.Config, a string) error { return deleteAlert(cfg, a) }),
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			if len(cfg.System.AlertRecipients) == 0 {
				return shell.Errorf("There are no alert recipients.")
			}
			i, err := shell.Choose(c, "Choose the address to remove.", cfg.System.AlertRecipients, 1)
			if err != nil {
				return err
			}
			return deleteAlert(cfg, cfg.System.AlertRecipients[i])
		},
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) == 1 {
				return cfg.System.AlertRecipients
			}
			return nil
		}},
	shell.PrintOp("Display the alert recipients.", func(c *shell.Ctx, cfg *store.Config) string { return alertText(cfg) }),
}

// canonAlert checks a new recipient: a valid address not listed yet.
func canonAlert(cfg *store.Config, a string) (string, error) {
	ca, err := address.Canonical(strings.TrimSpace(a))
	if err != nil || ca == "" || !strings.Contains(ca, "@") {
		return "", shell.Errorf("%q is not a valid email address.", a)
	}
	for _, have := range cfg.System.AlertRecipients {
		if strings.EqualFold(have, ca) {
			return "", shell.Errorf("%s already receives alerts.", ca)
		}
	}
	return ca, nil
}

func addAlert(cfg *store.Config, a string) error {
	ca, err := canonAlert(cfg, a)
	if err != nil {
		return err
	}
	cfg.System.AlertRecipients = append(cfg.System.AlertRecipients, ca)
	return nil
}

func deleteAlert(cfg *store.Config, a string) error {
	for i, have := range cfg.System.AlertRecipients {
		if strings.EqualFold(have, strings.TrimSpace(a)) {
			cfg.System.AlertRecipients = without(cfg.System.AlertRecipients, i)
			return nil
		}
	}
	return shell.Errorf("%s is not an alert recipient (alertconfig print lists them).", a)
}

func alertText(cfg *store.Config) string {
	r := cfg.System.AlertRecipients
	if len(r) == 0 {
		return "There are no alert recipients: alerts are not sent.\n"
	}
	var b strings.Builder
	b.WriteString("Alerts are sent to:\n")
	for i, a := range r {
		b.WriteString(strconv.Itoa(i+1) + ". " + a + "\n")
	}
	return b.String()
}
