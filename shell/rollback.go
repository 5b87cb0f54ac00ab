package shell

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"seg/store"
)

// rollbackList is how many revisions rollbackconfig offers.
const rollbackList = 10

func rollbackCommand() *Command {
	return &Command{
		Name:   "rollbackconfig",
		Help:   "Stage an earlier committed configuration (commit applies it).",
		Usage:  []string{"rollbackconfig [REVISION]"},
		Access: AccessOperator,
		Run: func(c *Ctx, args []string) error {
			switch len(args) {
			case 0:
				if c.S.Interactive {
					return rollbackInteractive(c)
				}
				// A script or one-shot `seg cli rollbackconfig` gets
				// the list the menu shows, to pick N for the batch form.
				_, err := listRevisions(c)
				return err
			case 1:
				n, err := strconv.Atoi(args[0])
				if err != nil || n < 1 {
					return fmt.Errorf("Not a valid revision number: %q (a number shown by 'rollbackconfig').", args[0])
				}
				if err := c.S.stageRevision(n); err != nil {
					return err
				}
				if c.S.Dirty() {
					c.Printf("Revision %d has been staged. Use 'commit' to apply it.\n", n)
					noPasswordNote(c)
				} else {
					c.Printf("Revision %d is the running configuration: there is nothing to roll back.\n", n)
				}
				return nil
			}
			return errors.New("Usage: rollbackconfig [REVISION]")
		},
	}
}

// listRevisions prints the latest commits, newest first, and returns
// them; fewer than two: there is nothing to roll back to, it says so and
// returns none.
func listRevisions(c *Ctx) ([]store.Revision, error) {
	s := c.S
	revs, err := s.Store.Revisions(rollbackList)
	if err != nil {
		return nil, err
	}
	if len(revs) < 2 {
		c.Println("There is no earlier configuration to roll back to.")
		return nil, nil
	}
	userW := len("User")
	for _, r := range revs {
		userW = max(userW, len(r.User))
	}
	c.Printf("Previous commits:\n")
	c.Printf("%5s  %-24s  %-*s  %s\n", "#", "Committed On", userW, "User", "Description")
	for _, r := range revs {
		c.Printf("%5d  %-24s  %-*s  %s\n", r.Number, s.ctime(r.Time), userW, r.User, r.Comment)
	}
	return revs, nil
}

func rollbackInteractive(c *Ctx) error {
	s := c.S
	revs, err := listRevisions(c)
	if err != nil || revs == nil {
		return err
	}
	ans, err := c.Ask("Enter the number of the configuration to roll back to.", "", func(a string) (string, error) {
		if a == "" {
			return a, nil
		}
		n, err := strconv.Atoi(a)
		if err == nil {
			for _, r := range revs {
				if r.Number == n {
					return a, nil
				}
			}
		}
		return "", fmt.Errorf("That value is not valid: enter one of the numbers in the # column.")
	})
	if err != nil || ans == "" {
		return err
	}
	n, _ := strconv.Atoi(ans)
	// AsyncOS confirms the rollback, then offers to commit it.
	yes, err := c.AskYN(fmt.Sprintf("Do you want to roll back the configuration to revision %d?", n), false)
	if err != nil {
		return err
	}
	if !yes {
		c.Println("The configuration was not rolled back.")
		return nil
	}
	now, err := c.AskYN("Do you want to commit this configuration now?", false)
	if err != nil {
		return err
	}
	// Staged only now, so Ctrl-C at either question changes nothing.
	if err := s.stageRevision(n); err != nil {
		return err
	}
	if !s.Dirty() {
		c.Printf("Revision %d is the running configuration: there is nothing to roll back.\n", n)
		return nil
	}
	noPasswordNote(c)
	if !now {
		c.Printf("Revision %d has been staged. Use 'commit' to apply it.\n", n)
		return nil
	}
	return s.commit(c, fmt.Sprintf("rollback to revision %d", n))
}

// stageRevision stages a copy of revision n as the candidate.
func (s *Session) stageRevision(n int) error {
	snap, err := store.ViewOf(s.Store, s.Level, n)
	if err != nil {
		cur := s.running().Revision.Number
		if n > cur {
			return fmt.Errorf("Revision %d does not exist: the newest is %d.", n, cur)
		}
		return fmt.Errorf("Revision %d cannot be read: %s", n, strings.TrimSpace(err.Error()))
	}
	s.Stage(snap.Config.Clone())
	return nil
}

// noPasswordNote names the users a staged revision brings back without
// a password: old revisions do not keep the passwords of deleted users
// or old passwords (store/scrub.go), so such a user cannot log in with a
// password until one is set.
func noPasswordNote(c *Ctx) {
	run := c.S.running().Config
	for _, u := range c.S.cand.Users {
		if u.PasswordHash != "" {
			continue
		}
		if r := run.User(u.Name); r != nil && r.PasswordHash == "" {
			continue
		}
		c.Printf("Note: user %s has no password in this revision (old passwords are not kept); set one with 'userconfig edit %s --password-file FILE'.\n", u.Name, u.Name)
	}
}
