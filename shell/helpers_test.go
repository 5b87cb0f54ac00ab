package shell_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"seg/shell"
	"seg/store"
)

// Test fixtures: the session commands plus small fake config commands, so
// these tests do not depend on listenerconfig and friends.

// sethostname NAME sets the hostname; interactive, it asks.
func sethostnameCommand() *shell.Command {
	return &shell.Command{
		Name:   "sethostname",
		Help:   "Set the hostname (test command).",
		Usage:  []string{"sethostname NAME"},
		Access: shell.AccessReadOnly, // lets readonly try; Execute must stop the edit
		Run: func(c *shell.Ctx, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			} else {
				var err error
				name, err = c.AskRequired("Enter the new hostname:", c.Config().System.Hostname, nil)
				if err != nil {
					return err
				}
			}
			if strings.Contains(name, "!") {
				return fmt.Errorf("Invalid hostname format %q.", name)
			}
			c.Config().System.Hostname = name
			return nil
		},
	}
}

// setssh PORT edits another object (ssh) than sethostname (hostname).
func setsshCommand() *shell.Command {
	return &shell.Command{
		Name:   "setssh",
		Help:   "Set the SSH port (test command).",
		Access: shell.AccessOperator,
		Run: func(c *shell.Ctx, args []string) error {
			var port int
			if len(args) != 1 {
				return errors.New("Usage: setssh PORT")
			}
			if _, err := fmt.Sscan(args[0], &port); err != nil {
				return errors.New("You must enter a number.")
			}
			c.Config().SSH.Port = port
			return nil
		},
	}
}

// twostep sets the hostname, then asks a question: Ctrl-C at the question
// must leave the candidate unchanged.
func twostepCommand() *shell.Command {
	return &shell.Command{
		Name:   "twostep",
		Help:   "Edit, then ask (test command).",
		Access: shell.AccessOperator,
		Run: func(c *shell.Ctx, args []string) error {
			c.Config().System.Hostname = "half.example.com"
			_, err := c.AskYN("Really?", true)
			return err
		},
	}
}

// breakconfig makes the tree invalid (a listener on port 0).
func breakconfigCommand() *shell.Command {
	return &shell.Command{
		Name:   "breakconfig",
		Help:   "Make the configuration invalid (test command).",
		Access: shell.AccessOperator,
		Run: func(c *shell.Ctx, args []string) error {
			c.Config().Listeners[0].Port = 0
			c.Config().System.Hostname = "bad host"
			return nil
		},
	}
}

func testRegistry() *shell.Registry {
	cmds := append(shell.SessionCommands(), shell.MailCommands()...)
	cmds = append(cmds, shell.LogCommands()...)
	cmds = append(cmds, shell.ClusterCommands()...)
	cmds = append(cmds, sethostnameCommand(), setsshCommand(), twostepCommand(), breakconfigCommand())
	return shell.NewRegistry(cmds...)
}

func newStore(t *testing.T) store.Store {
	t.Helper()
	st := store.NewMemory(store.Default("", "$2a$10$abcdefghijklmnopqrstuu5Rk0qXGZyWn3XxvT8y1u0bYwzZ6m0yu"))
	t.Cleanup(func() { st.Close() })
	return st
}

func running(t *testing.T, st store.Store) *store.Snapshot {
	t.Helper()
	s, err := st.Current()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
