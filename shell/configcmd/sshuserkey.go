package configcmd

import (
	"fmt"
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// sshconfig USERKEY: AsyncOS manages each account's SSH public keys
// there; seg keeps them with the account (userconfig --sshkey), and this
// menu edits the same list, so an AsyncOS administrator finds them where
// they look.

func userKeyOp() shell.Operation[*store.Config] {
	return shell.Operation[*store.Config]{Name: "userkey", Desc: "Edit SSH User Key settings.",
		Access: shell.AccessAdmin,
		Usage:  userKeyOps.Forms(),
		Batch:  userKeyOps.Batch,
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			return userKeyOps.Menu(c, cfg, func() { c.Printf("\n%s", userKeysText(cfg, "")) })
		},
		Complete: userKeyOps.Complete,
		Sub:      userKeyOps}
}

var userKeyOps = &shell.Table[*store.Config]{Prefix: "sshconfig userkey", Ops: []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Add a new key.",
		Usage: []string{`USER "KEY"`},
		Batch: twoWords(addUserKey),
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			i, err := shell.Pick(c, "Enter the user name or number to add the key for.", userNames(cfg))
			if err != nil || i < 0 {
				return err
			}
			k, err := shell.AskRequired(c, "Please enter the public SSH key for authorization.", "", canonSSHKey)
			if err != nil {
				return err
			}
			return addUserKey(cfg, cfg.Users[i].Name, k)
		},
		Complete: keyUserArg},
	{Name: "delete", Desc: "Remove a key.",
		Usage: []string{"USER NUMBER"},
		Batch: twoWords(deleteUserKey),
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			var owners []string
			for _, u := range cfg.Users {
				if len(u.SSHKeys) > 0 {
					owners = append(owners, u.Name)
				}
			}
			if len(owners) == 0 {
				c.Printf("\nNo user has an SSH key.\n")
				return nil
			}
			i, err := shell.Pick(c, "Enter the user name or number whose key to remove.", owners)
			if err != nil || i < 0 {
				return err
			}
			u := cfg.User(owners[i])
			n, err := shell.Pick(c, "Enter the number of the key you wish to delete.", keyLabels(u.SSHKeys))
			if err != nil || n < 0 {
				return err
			}
			return deleteUserKey(cfg, u.Name, strconv.Itoa(n+1))
		},
		Shown:    func(_ *shell.Ctx, cfg *store.Config) bool { return anyKeys(cfg) },
		Complete: keyUserArg},
	{Name: "print", Desc: "Display the keys.",
		Usage: []string{"[USER]"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			w, err := shell.UserWords(args)
			if err != nil {
				return err
			}
			if len(w) > 1 {
				return shell.ErrUsage
			}
			user := ""
			if len(w) == 1 {
				if cfg.User(w[0]) == nil {
					return userNotFound(w[0])
				}
				user = w[0]
			}
			c.Printf("%s", userKeysText(cfg, user))
			return nil
		},
		Complete: keyUserArg},
}}

// twoWords is a batch handler taking exactly two words (USER and a key
// or a key number).
func twoWords(f func(cfg *store.Config, user, arg string) error) func(*shell.Ctx, *store.Config, []string) error {
	return func(_ *shell.Ctx, cfg *store.Config, args []string) error {
		w, err := shell.UserWords(args)
		if err != nil {
			return err
		}
		if len(w) != 2 {
			return shell.ErrUsage
		}
		return f(cfg, w[0], w[1])
	}
}

func keyUserArg(c *shell.Ctx, cfg *store.Config, args []string) []string {
	if len(args) == 1 {
		return userNames(cfg)
	}
	return nil
}

func anyKeys(cfg *store.Config) bool {
	for _, u := range cfg.Users {
		if len(u.SSHKeys) > 0 {
			return true
		}
	}
	return false
}

func addUserKey(cfg *store.Config, user, key string) error {
	u := cfg.User(user)
	if u == nil {
		return userNotFound(user)
	}
	k, err := canonSSHKey(key)
	if err != nil {
		return err
	}
	before := len(u.SSHKeys)
	u.SSHKeys = appendNew(u.SSHKeys, []string{k})
	if len(u.SSHKeys) == before {
		return shell.Errorf("%s already has this key.", u.Name)
	}
	return nil
}

func deleteUserKey(cfg *store.Config, user, num string) error {
	u := cfg.User(user)
	if u == nil {
		return userNotFound(user)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > len(u.SSHKeys) {
		return shell.Errorf("%s has no key number %s (keys: %d; see 'sshconfig userkey print %s').", u.Name, num, len(u.SSHKeys), u.Name)
	}
	u.SSHKeys = append(u.SSHKeys[:n-1:n-1], u.SSHKeys[n:]...)
	return nil
}

// keyLabels shortens keys for a list: type, the start of the key, comment.
func keyLabels(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		f := strings.Fields(k)
		switch {
		case len(f) >= 2 && len(f[1]) > 24:
			f[1] = f[1][:12] + "..." + f[1][len(f[1])-8:]
		}
		out[i] = strings.Join(f, " ")
	}
	return out
}

// userKeysText lists the keys of user, or of every user with keys ("").
func userKeysText(cfg *store.Config, user string) string {
	var b strings.Builder
	found := false
	for _, u := range cfg.Users {
		if user != "" && u.Name != user || len(u.SSHKeys) == 0 {
			continue
		}
		found = true
		fmt.Fprintf(&b, "Currently installed keys for %s:\n", u.Name)
		for i, l := range keyLabels(u.SSHKeys) {
			fmt.Fprintf(&b, "%d. %s\n", i+1, l)
		}
	}
	if !found {
		if user != "" {
			return fmt.Sprintf("There are no keys installed for %s.\n", user)
		}
		return "There are no user keys installed.\n"
	}
	return b.String()
}
