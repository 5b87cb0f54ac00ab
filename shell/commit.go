package shell

import (
	"errors"
	"fmt"
	"strings"

	"seg/store"
)

// The candidate lifecycle commands: commit, clear, showchanges (SPEC 3).

func commitCommand() *Command {
	return &Command{
		Name:   "commit",
		Help:   "Commit the changes made in this session.",
		Usage:  []string{"commit [COMMENT]"},
		Access: AccessOperator,
		Run: func(c *Ctx, args []string) error {
			if !c.S.Dirty() {
				c.Println("There are no changes to commit.")
				return nil
			}
			comment := strings.Join(args, " ")
			if len(args) == 0 && c.S.Interactive {
				var err error
				comment, err = c.Ask("Please enter some comments describing your changes:", "", nil)
				if err != nil {
					return err
				}
			}
			return c.S.commit(c, comment)
		},
	}
}

// commit commits the candidate with comment. On success the candidate
// is gone; on a validation error or a conflict it stays, so the user can
// fix it or clear it.
func (s *Session) commit(c *Ctx, comment string) error {
	// Parameters seg stores but does not enforce, which this session
	// set away from their defaults: said once the commit is made.
	inert := store.InertChanges(s.base.Config, s.cand)
	if err := s.baseStillHolds(); err != nil {
		return err
	}
	rev, err := s.Store.Commit(store.CommitRequest{
		Base:    s.base.Revision.Number,
		Config:  s.cand,
		User:    s.User,
		Role:    s.Role,
		Comment: comment,
		Level:   s.Level,
	})
	var verr *store.ValidationError
	var cerr *store.ConflictError
	var aerr *store.AccessError
	switch {
	case err == nil:
		s.Discard()
		s.waitApplied(c, rev.Number)
		c.Printf("Changes committed: %s\n", s.ctime(rev.Time))
		if p, ok := s.Store.(store.Placer); ok {
			for _, m := range p.Placed(rev.Number) {
				c.Printf("Stored at its own level: %s\n", m)
			}
		}
		for _, w := range inert {
			c.Println(w)
		}
		return nil
	case errors.Is(err, store.ErrNoChanges):
		// The candidate differs from its base, but merged with what
		// others committed meanwhile it equals the running config.
		s.Discard()
		c.Println("There are no changes to commit.")
		return nil
	case errors.As(err, &verr):
		return fmt.Errorf("The changes were not committed: the configuration is not valid:\n  %s\nFix these problems (or use 'clear') and commit again.",
			strings.Join(verr.Problems, "\n  "))
	case errors.As(err, &cerr):
		return fmt.Errorf("The changes were not committed: %s", cerr.Error())
	case errors.As(err, &aerr):
		msg := fmt.Sprintf("The changes were not committed: %s. Nothing was changed.", aerr.Error())
		if s.Interactive {
			msg += " Use 'clear' to discard your changes."
		}
		return errors.New(msg)
	}
	return fmt.Errorf("The changes were not committed: %v", err)
}

// clearCommand is clear, or clearchanges (AsyncOS's name; clear is
// kept for the scripts that use it).
func clearCommand(name string) *Command {
	return &Command{
		Name:   name,
		Help:   "Discard the changes made in this session.",
		Usage:  []string{name},
		Access: AccessOperator,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%s takes no arguments.", name)
			}
			if !c.S.Dirty() {
				c.Println("No changes have been made.")
				return nil
			}
			if c.S.Interactive {
				yes, err := c.AskYN("Are you sure you want to discard all of your changes?", false)
				if err != nil || !yes {
					return err
				}
			}
			c.S.Discard()
			c.Println("All changes have been discarded.")
			return nil
		},
	}
}

func showchangesCommand() *Command {
	return &Command{
		Name:   "showchanges",
		Help:   "List the uncommitted changes of this session.",
		Usage:  []string{"showchanges"},
		Access: AccessReadOnly,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return errors.New("showchanges takes no arguments.")
			}
			changes := c.S.Changes()
			if len(changes) == 0 {
				c.Println("No changes have been made.")
				return nil
			}
			refused := map[string]bool{}
			for _, o := range c.S.refusedChanges() {
				refused[o] = true
			}
			c.Printf("Uncommitted changes (made on revision %d):\n", c.S.base.Revision.Number)
			for _, ch := range changes {
				if refused[ch.Object] {
					c.Printf("  %-9s %s   (needs the admin role)\n", ch.Kind, ch.Object)
				} else {
					c.Printf("  %-9s %s\n", ch.Kind, ch.Object)
				}
			}
			if len(refused) > 0 {
				c.Println("Your role may not commit these changes: 'commit' will refuse them. Use 'clear' to discard them.")
				return nil
			}
			c.Println("Use 'commit' to apply them or 'clear' to discard them.")
			return nil
		},
	}
}

// Changes lists the candidate's changes against its base revision (none
// when nothing is staged).
func (s *Session) Changes() []store.Change {
	if s.cand == nil {
		return nil
	}
	return store.Changes(s.base.Config, s.cand)
}

// refusedChanges lists the staged objects the session's role may not
// commit (store.RefusedChanges): commit would refuse the candidate.
func (s *Session) refusedChanges() []string {
	if s.cand == nil || RoleAccess(s.Role) < AccessOperator {
		return nil
	}
	return store.RefusedChanges(s.User, s.Role, s.base.Config, s.cand)
}

// warnRefused says, once a command has staged them, which changes the
// role may not commit; before are the ones already staged (and
// warned about) before the command.
func (s *Session) warnRefused(before []string) {
	now := s.refusedChanges()
	if len(now) == 0 {
		return
	}
	old := map[string]bool{}
	for _, o := range before {
		old[o] = true
	}
	var added []string
	for _, o := range now {
		if !old[o] {
			added = append(added, o)
		}
	}
	if len(added) == 0 {
		return
	}
	w := s.Out
	if !s.Interactive && s.Err != nil {
		w = s.Err
	}
	fmt.Fprintf(w, "Warning: You are not in the correct access group to commit changes to %s (the admin role is needed). 'commit' will refuse these changes; use 'clear' to discard them.\n",
		store.ObjectList(added))
}

// baseStillHolds checks that the candidate's base revision number
// still names the revision the session started from (who made it, when,
// why). Revision numbers name other revisions once the machine joined
// or left a cluster (a cluster and a standalone machine number their
// histories apart), and merging on a wrong base could silently undo
// others' changes. The trees are not compared: a password change
// rightly rewrites older revisions (store/scrub.go).
func (s *Session) baseStillHolds() error {
	snap, err := store.ViewOf(s.Store, s.Level, s.base.Revision.Number)
	if err == nil && sameRevision(snap.Revision, s.base.Revision) {
		return nil
	}
	return errors.New("The changes were not committed: the configuration history changed since your changes began (this machine joined or left a cluster). Use 'clear' and make your changes again.")
}

func sameRevision(a, b store.Revision) bool {
	return a.Number == b.Number && a.Time.Equal(b.Time) && a.User == b.User && a.Comment == b.Comment
}
