package shell

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"seg/store"
)

// AuditLog records every command run (logs/cli_logs).
type AuditLog interface {
	Command(user, source, line, result string)
}

// Session is one admin session: a user, where it came from, its input and
// output, and its candidate configuration.
type Session struct {
	User string
	// Role is the role the session was opened with. Execute lowers it
	// to the account's role in the running configuration when that is
	// lower (the account was demoted or deleted while the session was
	// open: "" then, which may only run guest commands and commit
	// nothing).
	Role   string
	Source string // "console", "ssh 127.0.0.1:50312", "socket", "offline"
	Store  store.Store
	Mail   MailSystem // nil when the MTA is not running
	// System is the appliance process (version, shutdown, reboot); nil
	// offline.
	System System
	// Endpoints tells where the listeners and SSH really listen (nil
	// offline).
	Endpoints Endpoints
	Commands  *Registry
	In        LineReader
	Out       io.Writer
	Err       io.Writer
	Audit     AuditLog // may be nil
	DataDir   string   // saveconfig writes DataDir/configuration/
	// Logs are the running log subscriptions (rollovernow; tail and
	// grep flush before reading); nil: none, files read as they are.
	Logs LogControl
	// Interactive is true on a terminal; batch and one-shot runs are not.
	Interactive bool
	// Now is the clock (nil: time.Now); Loc the zone dates are shown in
	// (nil: time.Local). Tests set both for stable transcripts.
	Now func() time.Time
	Loc *time.Location
	// Sessions is the appliance's table of open admin sessions (who,
	// last); nil offline.
	Sessions SessionTable
	// CheckPassword checks a password of an account as a login does,
	// so that failures count toward the login lockout (passwd); nil:
	// checked against the running configuration alone.
	CheckPassword func(user, password string) error
	// Cluster is the appliance's cluster membership (clusterconfig);
	// nil offline. Level is the level this session edits (clustermode):
	// its running configuration is the Store's View at that level.
	Cluster Cluster
	Level   store.Level
	// TimeoutMinute is how long one minute of the CLI inactivity
	// timeout (adminaccessconfig) lasts: 0 is a minute. Only the
	// end-to-end tests shorten it.
	TimeoutMinute time.Duration

	idle idleState // last input, and whether the inactivity timeout fired

	term  terminalState // RunTerminal's width, settable from another goroutine
	pager *pager        // RunTerminal's output pager; nil elsewhere

	base *store.Snapshot // revision the candidate was derived from
	cand *store.Config   // nil when nothing is staged
	// pinned is the revision the running command's working copy derives
	// from: the running snapshot a clean session's command started from,
	// or the candidate's base (set during execute only).
	pinned *store.Snapshot
}

// running returns the committed snapshot.
func (s *Session) running() *store.Snapshot {
	snap, err := store.ViewOf(s.Store, s.Level, 0)
	if err != nil {
		// The store is local and Current is served from memory; failing
		// here means the data dir is broken, which no command can fix.
		panic(fmt.Sprintf("shell: reading the running configuration: %v", err))
	}
	return snap
}

// candidateOrRunning is what commands edit and print: the staged
// candidate, or the running config when nothing is staged.
func (s *Session) candidateOrRunning() *store.Config {
	if s.cand != nil {
		return s.cand
	}
	if s.pinned != nil {
		return s.pinned.Config
	}
	return s.running().Config
}

// Dirty reports whether the session has staged changes.
func (s *Session) Dirty() bool { return s.cand != nil }

// Candidate returns the staged candidate (nil when nothing is staged).
func (s *Session) Candidate() *store.Config { return s.cand }

// Base returns the revision the candidate derives from (nil when clean).
func (s *Session) Base() *store.Snapshot { return s.base }

// Stage replaces the candidate (used by rollbackconfig and loadconfig).
// Staging the running config itself clears the candidate.
func (s *Session) Stage(cfg *store.Config) {
	run := s.running()
	if s.cand == nil {
		s.base = run
	}
	if cfg.Equal(s.base.Config) {
		s.cand, s.base = nil, nil
		return
	}
	s.cand = cfg
}

// Discard drops the candidate.
func (s *Session) Discard() { s.cand, s.base = nil, nil }

// ErrAccess is returned when the user's role does not allow a command.
var ErrAccess = errors.New("You are not in the correct access group to use this command.")

// Execute runs one command line (batch form, or interactive when the
// command is given without arguments). The command's config changes reach
// the candidate only if it succeeds, or, on a terminal, as each of its
// menu operations ends (checkpoint.go). Every non-empty line is audited.
func (s *Session) Execute(line string) error {
	// Changes staged by this command that the role may not commit are
	// pointed out now, not only when commit refuses them.
	refused := s.refusedChanges()
	err := s.execute(line)
	// Also after a failure: the operations a menu command finished are
	// staged even when it is then interrupted (checkpoint.go).
	s.warnRefused(refused)
	if s.Audit != nil && strings.TrimSpace(line) != "" {
		result := "ok"
		if err != nil && !errors.Is(err, ErrQuit) {
			result = err.Error()
		}
		s.Audit.Command(s.User, s.Source, s.auditLine(line), result)
	}
	return err
}

func (s *Session) execute(line string) error {
	words, err := Tokenize(line)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		return nil
	}
	cmd, ok := s.Commands.Lookup(words[0])
	if !ok {
		return fmt.Errorf("Unknown command: %s. Type 'help' for a list of commands.", words[0])
	}
	s.Role = store.EffectiveRole(s.running().Config, s.User, s.Role)
	if RoleAccess(s.Role) < cmd.Access {
		return ErrAccess
	}
	// The command's working copy derives from this snapshot: the running
	// one when nothing is staged (cloned from this same snapshot, a commit
	// by another session meanwhile cannot slip into the candidate
	// unnoticed by the merge), else the candidate's base, which it stays
	// derived from when a finished operation stages it back to nothing.
	s.pinned = s.base
	if s.cand == nil {
		s.pinned = s.running()
	}
	defer func() { s.pinned = nil }()
	before := s.cand
	s.pageAfresh()
	c := &Ctx{S: s, Out: s.Out}
	if err := cmd.Run(c, words[1:]); err != nil {
		if errors.Is(err, ErrInterrupt) {
			// What the command's finished menu operations staged stays
			// (checkpoint.go); the operation interrupted left nothing.
			if s.cand != before {
				return errors.New("Command aborted; the operations it completed are kept (see 'showchanges').")
			}
			return errors.New("Command aborted; no changes were made.")
		}
		return err
	}
	if c.cfg == nil {
		return nil
	}
	return s.stageWork(c.cfg)
}

// stageWork makes cfg, a command's working copy, the candidate: nothing
// when it is what is staged already, nothing staged when it is the
// revision the candidate derives from. The session's role must allow
// configuration changes.
func (s *Session) stageWork(cfg *store.Config) error {
	if cfg.Equal(s.candidateOrRunning()) {
		return nil
	}
	if RoleAccess(s.Role) < AccessOperator {
		return errors.New("You are not in the correct access group to make configuration changes.")
	}
	if s.cand == nil {
		s.base = s.pinned
	}
	if cfg.Equal(s.base.Config) {
		s.cand, s.base = nil, nil
		return nil
	}
	s.cand = cfg
	return nil
}

// now returns the session clock's time.
func (s *Session) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ctime formats t as AsyncOS does ("Mon Nov 23 22:22:23 2026").
func (s *Session) ctime(t time.Time) string {
	return t.In(s.loc()).Format(time.ANSIC)
}

// terminalState is the terminal width and the readline hook to call
// when it changes, and what the line being read completes; SetWidth and
// the completer run on other goroutines (SSH window-change requests,
// readline's reader).
type terminalState struct {
	mu      sync.Mutex
	width   int
	height  int // 0: unknown, no paging
	changed func()
	offer   offer // what Tab completes at the line being read (offer.go)
}
