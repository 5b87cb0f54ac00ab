// Package shell is seg's AsyncOS-style admin shell: a command table, the
// interactive menus, the batch forms, and per-session candidate configs.
// It never imports mta/: the mail system reaches it through MailSystem.
package shell

import (
	"errors"
	"io"
	"sort"
	"strings"

	"seg/store"
)

// Access is the least privileged role allowed to run a command.
type Access int

// Access levels, least privileged first.
const (
	AccessGuest    Access = iota // status commands
	AccessReadOnly               // reads: print, showconfig, tophosts...
	AccessOperator               // everything but users
	AccessAdmin                  // everything
)

// RoleAccess maps a user role to its access level.
func RoleAccess(role string) Access {
	switch role {
	case store.RoleAdmin:
		return AccessAdmin
	case store.RoleOperator:
		return AccessOperator
	case store.RoleReadOnly:
		return AccessReadOnly
	}
	return AccessGuest
}

// Command is one shell command: name, help, completion and run. A command
// run without arguments is interactive (menus, prompts); with arguments it
// is the batch form (SPEC 3.1).
type Command struct {
	Name   string
	Help   string   // one line, for `help`
	Usage  []string // batch forms, for `help NAME` and docs/commands.md
	Access Access
	// Sub lists the first-level sub-operations, for tab completion.
	Sub []string
	// Ops, for a command built from a table of operations
	// (CommandSpec), lists them with their menu names and roles, for
	// docs/commands.md.
	Ops []OpDoc
	// Complete, if set, returns candidates for the last (partial) arg
	// given the ones before it; it may read c.Config().
	Complete func(c *Ctx, args []string) []string
	// Run executes the command. Config edits go to c.Config(); they reach
	// the session's candidate only if Run returns nil.
	Run func(c *Ctx, args []string) error
	// SecretOpts name options whose values cli_logs masks (auditmask.go).
	SecretOpts []string
}

// Registry is the command table.
type Registry struct {
	cmds map[string]*Command
}

// NewRegistry builds a registry from commands.
func NewRegistry(cmds ...*Command) *Registry {
	r := &Registry{cmds: map[string]*Command{}}
	for _, c := range cmds {
		r.cmds[c.Name] = c
	}
	return r
}

// Lookup finds a command, case-insensitively.
func (r *Registry) Lookup(name string) (*Command, bool) {
	c, ok := r.cmds[strings.ToLower(name)]
	return c, ok
}

// Add registers a command (replacing one of the same name).
func (r *Registry) Add(c *Command) { r.cmds[c.Name] = c }

// All returns the commands sorted by name.
func (r *Registry) All() []*Command {
	out := make([]*Command, 0, len(r.cmds))
	for _, c := range r.cmds {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LineReader reads one line of input after printing prompt. It returns
// io.EOF at end of input and ErrInterrupt on Ctrl-C.
type LineReader interface {
	ReadLine(prompt string) (string, error)
}

// ErrInterrupt is returned by readers on Ctrl-C: the question in
// progress is abandoned. A menu goes back to its own prompt with the
// interrupted operation undone (checkpoint.go); elsewhere the command
// ends, keeping only the menu operations it finished.
var ErrInterrupt = errors.New("interrupted")

// ErrNeedInput is returned when a non-interactive session reaches a
// question that has no usable default.
var ErrNeedInput = errors.New("this question needs an answer: use the command's batch form (see 'help')")

// Ctx is what a running command sees: its session, its output, and a
// working copy of the candidate config.
type Ctx struct {
	S   *Session
	Out io.Writer
	cfg *store.Config
	// kept is the working copy as the last finished menu operation left
	// it (checkpoint.go), or the candidate it was cloned from; never
	// changed, an interrupted operation's edits are undone back to it.
	kept *store.Config
}

// Config returns the command's working copy of the session's candidate
// (cloned on first use). Edits become the candidate when Run returns nil,
// and, on a terminal, as each menu operation finishes (checkpoint.go).
func (c *Ctx) Config() *store.Config {
	if c.cfg == nil {
		c.kept = c.S.candidateOrRunning()
		c.cfg = c.kept.Clone()
	}
	return c.cfg
}

// Running returns the committed configuration (read-only).
func (c *Ctx) Running() *store.Config { return c.S.running().Config }

// Mail returns the mail system, or an error saying it is not running.
func (c *Ctx) Mail() (MailSystem, error) {
	if c.S.Mail == nil {
		return nil, ErrMailNotRunning
	}
	return c.S.Mail, nil
}

// ErrMailNotRunning is what commands that need the MTA say offline.
var ErrMailNotRunning = errors.New("The mail system is not running.")
