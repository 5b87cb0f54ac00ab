package shell

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// showconfig, saveconfig and loadconfig: the whole tree as JSON.

// maskedHash replaces each secret in masked output.
const maskedHash = "*****"

func showconfigCommand() *Command {
	return &Command{
		Name:   "showconfig",
		Help:   "Print the configuration (with this session's changes) as JSON, passwords masked by default.",
		Usage:  []string{"showconfig [mask|nomask]   (nomask: admin only; without it, a terminal asks and a batch masks)"},
		Access: AccessReadOnly,
		Complete: func(c *Ctx, args []string) []string {
			if len(args) == 1 {
				return maskArgs
			}
			return nil
		},
		Run: func(c *Ctx, args []string) error {
			mask, err := chooseMask(c, "showconfig", args)
			if err != nil {
				return err
			}
			cfg := c.S.candidateOrRunning()
			if mask {
				cfg = maskSecrets(cfg)
			}
			b, err := json.MarshalIndent(cfg, "", "  ")
			if err != nil {
				return err
			}
			c.Printf("%s\n", b)
			return nil
		},
	}
}

func saveconfigCommand() *Command {
	return &Command{
		Name:   "saveconfig",
		Help:   "Save the running configuration to a file in the configuration directory.",
		Usage:  []string{"saveconfig [mask|nomask]   (nomask: admin only; without it, a terminal asks and a batch masks; a masked file cannot be loaded)"},
		Access: AccessOperator,
		Complete: func(c *Ctx, args []string) []string {
			if len(args) == 1 {
				return maskArgs
			}
			return nil
		},
		Run: func(c *Ctx, args []string) error {
			if c.S.DataDir == "" {
				return errors.New("saveconfig needs the appliance's data directory, and this session has none.")
			}
			mask, err := chooseMask(c, "saveconfig", args)
			if err != nil {
				return err
			}
			cfg := c.S.running().Config
			if mask {
				cfg = maskSecrets(cfg)
			}
			b, err := json.MarshalIndent(cfg, "", "  ")
			if err != nil {
				return err
			}
			name := fmt.Sprintf("seg-config-%s-%s.json", fileSafe(cfg.System.Hostname),
				c.S.now().In(c.S.loc()).Format("20060102T150405"))
			// An unmasked file holds password hashes: owner only
			// (confdir writes 0600), and never replace a file someone
			// may have placed there.
			if err := c.S.configDir().CreateFile(name, append(b, '\n')); err != nil {
				return fmt.Errorf("Cannot save the configuration: %v", err)
			}
			c.Printf("The file %s has been saved in the configuration directory.\n", name)
			if mask {
				c.Println("Passwords are masked: loadconfig cannot load this file.")
			}
			return nil
		},
	}
}

// fileSafe keeps a hostname usable in a file name.
func fileSafe(s string) string {
	if s == "" {
		return "seg"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func loadconfigCommand() *Command {
	return &Command{
		Name:   "loadconfig",
		Help:   "Stage a configuration saved by saveconfig (commit applies it).",
		Usage:  []string{"loadconfig FILE   (a file name in the configuration directory)"},
		Access: AccessOperator,
		Complete: func(c *Ctx, args []string) []string {
			if len(args) != 1 {
				return nil
			}
			var names []string
			for _, n := range c.ConfigFiles() {
				if strings.HasSuffix(n, ".json") {
					names = append(names, n)
				}
			}
			return names
		},
		Run: func(c *Ctx, args []string) error {
			var file string
			switch len(args) {
			case 0:
				if !c.S.Interactive {
					return errors.New("Usage: loadconfig FILE")
				}
				var err error
				file, err = c.AskRequired("Enter the name of the file to load from the configuration directory:", "", nil)
				if err != nil {
					return err
				}
			case 1:
				file = args[0]
			default:
				return errors.New("Usage: loadconfig FILE")
			}
			cfg, err := readSavedConfig(c, file)
			if err != nil {
				return err
			}
			if cfg.Equal(c.S.candidateOrRunning()) {
				c.Println("No changes detected.")
				return nil
			}
			if c.S.Dirty() && c.S.Interactive {
				yes, err := c.AskYN("Loading the file replaces your uncommitted changes. Continue?", false)
				if err != nil || !yes {
					return err
				}
			}
			c.S.Stage(cfg)
			c.Println("Values have been loaded. Use 'commit' to apply them.")
			return nil
		},
	}
}

// loc is the zone dates are shown in.
func (s *Session) loc() *time.Location {
	if s.Loc != nil {
		return s.Loc
	}
	return time.Local
}
