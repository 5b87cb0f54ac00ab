package configcmd

import (
	"strings"

	"seg/shell"
	"seg/store"
)

// sbrsconfig: the DNS lists seg derives its SenderBase Reputation Score
// from (SPEC 10). seg has no SenderBase: the score of a client is the sum
// of the weights of the zones that list its address (RFC 5782), clamped
// to -10.0..10.0, and None when no zone is configured.

func sbrsconfigCommand() *shell.Command {
	return setupCommand{
		name: "sbrsconfig",
		help: "Configure the DNS lists that make up the SenderBase Reputation Score (SBRS).",
		setup: []string{
			"--zones ZONE:WEIGHT[,ZONE:WEIGHT...]   (WEIGHT from -10.0 to 10.0, added when ZONE lists the client)",
			"--clear                                (no zones: every host scores None)",
		},
		notes: []string{
			"The score is the sum of the weights of the zones listing the client's address, from -10.0 to 10.0;",
			"sender groups match it with sbrs[MIN:MAX], and sbrs[none] when there is no score.",
		},
		opts:  []string{"zones", "clear"},
		flags: []string{"clear"},
		menu:  "Configure the SBRS zones.",
		text:  sbrsText,
		ask:   sbrsSetup,
		set: func(cfg *store.Config, o shell.Opts) error {
			zones, hasZones := o.Named["zones"]
			_, clear := o.Named["clear"]
			if len(o.Pos) > 0 || hasZones == clear {
				return shell.ErrUsage
			}
			if clear {
				cfg.System.SBRS = store.SBRSConfig{}
				return nil
			}
			z, err := store.ParseSBRSZones(zones)
			if err != nil {
				return shell.AsUser(err)
			}
			cfg.System.SBRS = store.SBRSConfig{Zones: z}
			return nil
		},
	}.command()
}

func sbrsText(cfg *store.Config) string {
	zs := cfg.System.SBRS.Zones
	if len(zs) == 0 {
		return "SBRS: no zones configured (every host scores None).\n"
	}
	var b strings.Builder
	b.WriteString("SBRS is computed from the following zones:\n")
	for _, z := range zs {
		b.WriteString(z.String() + "\n")
	}
	return b.String()
}

func sbrsSetup(c *shell.Ctx, cfg *store.Config) error {
	cur := cfg.System.SBRS.Zones
	use, err := shell.AskYN(c, "Do you want to compute SBRS scores from DNS lists?", len(cur) > 0)
	if err != nil {
		return err
	}
	if !use {
		cfg.System.SBRS = store.SBRSConfig{}
		return nil
	}
	var def []string
	for _, z := range cur {
		def = append(def, z.String())
	}
	var zones []store.SBRSZone
	_, err = shell.AskRequired(c, "Please enter the zones and their weights (ZONE:WEIGHT), separated by commas.", strings.Join(def, ", "), func(s string) (string, error) {
		z, err := store.ParseSBRSZones(s)
		if err != nil {
			return s, shell.AsUser(err)
		}
		zones = z
		return s, nil
	})
	if err != nil {
		return err
	}
	cfg.System.SBRS = store.SBRSConfig{Zones: zones}
	return nil
}
