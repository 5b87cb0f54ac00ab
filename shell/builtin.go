package shell

import (
	"fmt"
	"strings"
)

// SessionCommands returns help, commit, clear (and clearchanges),
// rollbackconfig, showchanges, showconfig, saveconfig, loadconfig, quit,
// exit and q.
func SessionCommands() []*Command {
	return []*Command{
		helpCommand(),
		commitCommand(),
		clearCommand("clear"),
		clearCommand("clearchanges"),
		showchangesCommand(),
		rollbackCommand(),
		showconfigCommand(),
		saveconfigCommand(),
		loadconfigCommand(),
		quitCommand("quit"),
		quitCommand("exit"),
		quitCommand("q"),
	}
}

func quitCommand(name string) *Command {
	return &Command{
		Name:   name,
		Help:   "Leave the shell.",
		Usage:  []string{name},
		Access: AccessGuest,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%s takes no arguments.", name)
			}
			if c.S.leave() {
				return ErrQuit
			}
			return nil
		},
	}
}

func helpCommand() *Command {
	return &Command{
		Name:   "help",
		Help:   "List the commands, or show how to use one: help COMMAND.",
		Usage:  []string{"help", "help COMMAND"},
		Access: AccessGuest,
		Complete: func(c *Ctx, args []string) []string {
			if len(args) != 1 {
				return nil
			}
			return c.S.commandNames()
		},
		Run: func(c *Ctx, args []string) error {
			switch len(args) {
			case 0:
				c.S.printCommandList(c)
				return nil
			case 1:
				cmd, ok := c.S.Commands.Lookup(args[0])
				if !ok {
					return fmt.Errorf("Unknown command: %s. Type 'help' for a list of commands.", args[0])
				}
				printUsage(c, cmd)
				return nil
			}
			return fmt.Errorf("Usage: help [COMMAND]")
		},
	}
}

// commandNames lists the commands the session's role may run.
func (s *Session) commandNames() []string {
	access := RoleAccess(s.Role)
	var names []string
	for _, cmd := range s.Commands.All() {
		if cmd.Access <= access {
			names = append(names, cmd.Name)
		}
	}
	return names
}

func (s *Session) printCommandList(c *Ctx) {
	access := RoleAccess(s.Role)
	width := 0
	for _, cmd := range s.Commands.All() {
		width = max(width, len(cmd.Name))
	}
	c.Printf("Available commands:\n")
	for _, cmd := range s.Commands.All() {
		if cmd.Access <= access {
			c.Printf("  %-*s  %s\n", width, cmd.Name, cmd.Help)
		}
	}
	c.Printf("Type 'help COMMAND' for its batch forms. A command given without arguments asks for what it needs.\n")
}

func printUsage(c *Ctx, cmd *Command) {
	c.Printf("%s - %s\n", cmd.Name, cmd.Help)
	if len(cmd.Usage) > 0 {
		c.Printf("Usage:\n")
		for _, u := range cmd.Usage {
			c.Printf("  %s\n", u)
		}
	}
	if len(cmd.Sub) > 0 {
		c.Printf("Operations: %s\n", strings.Join(cmd.Sub, ", "))
	}
}
