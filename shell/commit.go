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
	rev, err := s.Store.Commit(store.CommitRequest{
		Base:    s.base.Revision.Number,
		Config:  s.cand,
		User:    s.User,
		Role:    s.Role,
		Comment: comment,
	})
	var verr *store.ValidationError
	var cerr *store.ConflictError
	var aerr *store.AccessError
	switch {
	case err == nil:
		s.Discard()
		c.Printf("Changes committed: %s\n", s.ctime(rev.Time))
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
		return fmt.Errorf("The changes were not committed: %s.", aerr.Error())
	}
	return fmt.Errorf("The changes were not committed: %v", err)
}

func clearCommand() *Command {
	return &Command{
		Name:   "clear",
		Help:   "Discard the changes made in this session.",
		Usage:  []string{"clear"},
		Access: AccessOperator,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return errors.New("clear takes no arguments.")
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
			c.Printf("Uncommitted changes (made on revision %d):\n", c.S.base.Revision.Number)
			for _, ch := range changes {
				c.Printf("  %-9s %s\n", ch.Kind, ch.Object)
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
