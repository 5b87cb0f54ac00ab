package shell

import (
	"errors"
	"fmt"
	"io"

	"seg/store"
)

// passwd changes the session user's own password. As on AsyncOS it asks
// for the old password first, and the change takes effect at once,
// without commit: seg keeps accounts in the configuration, so passwd
// commits a revision holding that one change (and nothing of the
// session's candidate, which stays staged).

func passwdCommand() *Command {
	return &Command{
		Name: "passwd",
		Help: "Change your password (takes effect at once, no commit needed).",
		Usage: []string{
			"passwd",
			"passwd --old-password-file F --password-file F",
		},
		Access: AccessGuest,
		Complete: func(c *Ctx, args []string) []string {
			return []string{"--old-password-file", "--password-file"}
		},
		Run: runPasswd,
	}
}

// passwdNotChanged ends every failure: nothing was changed.
const passwdNotChanged = "Your password was not changed."

func runPasswd(c *Ctx, args []string) error {
	var old, pw string
	switch {
	case len(args) == 0 && c.S.Interactive:
		var err error
		if old, pw, err = askPasswd(c); err != nil {
			return err
		}
	case len(args) == 0:
		return errors.New("passwd needs the old and the new password: in a script use passwd --old-password-file F --password-file F (files in DATA/configuration, the password on the first line).")
	default:
		o, err := UserOpts(args)
		if err != nil {
			return err
		}
		if err := o.Allow("old-password-file", "password-file"); err != nil {
			return err
		}
		oldFile, ok1 := o.Named["old-password-file"]
		newFile, ok2 := o.Named["password-file"]
		if len(o.Pos) > 0 || !ok1 || !ok2 {
			return errors.New("Usage: passwd --old-password-file F --password-file F")
		}
		if old, err = c.ReadPasswordFile(oldFile); err != nil {
			return err
		}
		if pw, err = c.ReadPasswordFile(newFile); err != nil {
			return err
		}
	}
	return changeOwnPassword(c, old, pw)
}

// askPasswd asks AsyncOS's three questions, every answer hidden. A new
// password that the rules refuse, or typed differently twice, is asked
// again; the old one is checked once the new one is known, so that a
// wrong guess costs one try only.
func askPasswd(c *Ctx) (old, pw string, err error) {
	if old, err = readHidden(c, "Old password: "); err != nil {
		return "", "", err
	}
	for {
		if pw, err = readHidden(c, "New password: "); err != nil {
			return "", "", err
		}
		if _, herr := store.HashPassword(pw); herr != nil {
			c.Printf("%s\n", herr)
			continue
		}
		again, err := readHidden(c, "Retype new password: ")
		if err != nil {
			return "", "", err
		}
		if again != pw {
			c.Println("Passwords do not match.")
			continue
		}
		return old, pw, nil
	}
}

// readHidden reads one answer after prompt, hidden on a terminal;
// end of input there has no default.
func readHidden(c *Ctx, prompt string) (string, error) {
	var (
		s   string
		err error
	)
	if pr, ok := c.S.In.(PasswordReader); ok {
		s, err = pr.ReadPassword(prompt)
	} else {
		s, err = c.S.In.ReadLine(prompt)
	}
	if errors.Is(err, io.EOF) {
		return "", ErrNeedInput
	}
	return s, err
}

// changeOwnPassword checks old as a login would and commits pw's hash
// for the session's user.
func changeOwnPassword(c *Ctx, old, pw string) error {
	s := c.S
	if err := s.checkOwnPassword(old); err != nil {
		return err
	}
	hash, err := store.HashPassword(pw)
	if err != nil {
		return fmt.Errorf("%v %s", err, passwdNotChanged)
	}
	// The running configuration, not the candidate: the candidate is
	// the session's own business and stays staged.
	snap := s.running()
	cfg := snap.Config.Clone()
	u := cfg.User(s.User)
	if u == nil {
		return fmt.Errorf("Your account no longer exists. %s", passwdNotChanged)
	}
	u.PasswordHash = hash
	_, err = s.Store.Commit(store.CommitRequest{
		Base:    snap.Revision.Number,
		Config:  cfg,
		User:    s.User,
		Role:    s.Role,
		Comment: "passwd: " + s.User + " changed their password",
		Level:   s.Level,
	})
	var cerr *store.ConflictError
	switch {
	case errors.As(err, &cerr):
		return fmt.Errorf("Your account was changed meanwhile by another session (revision %d): try again. %s", cerr.Current, passwdNotChanged)
	case err != nil:
		return fmt.Errorf("%v. %s", err, passwdNotChanged)
	}
	c.Println("Password changed.")
	return nil
}

// checkOwnPassword checks the session user's current password: through
// CheckPassword when the appliance runs (a wrong one counts toward the
// login lockout, and a locked account cannot change it), else against
// the running configuration.
func (s *Session) checkOwnPassword(pw string) error {
	var err error
	if s.CheckPassword != nil {
		err = s.CheckPassword(s.User, pw)
	} else if u := s.running().Config.User(s.User); u == nil || u.PasswordHash == "" || !store.CheckPassword(u.PasswordHash, pw) {
		err = errors.New("wrong password")
	}
	if err != nil {
		return fmt.Errorf("Incorrect old password (or the account is locked after too many failures). %s", passwdNotChanged)
	}
	return nil
}
