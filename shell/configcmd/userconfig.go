package configcmd

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/ssh"

	"seg/shell"
	"seg/store"
)

// userconfig: appliance accounts (SPEC 7). Passwords are stored as bcrypt
// hashes (store.HashPassword) and never shown; SSH keys are
// authorized_keys lines.

var roleChoices = []choice{
	{store.RoleAdmin, "Administrators - Administrators have full access to all settings of the system."},
	{store.RoleOperator, "Operators - Operators are restricted from creating new user accounts."},
	{store.RoleReadOnly, "Read-Only Operators - Read-Only Operators may view settings and status but may not make changes."},
	{store.RoleGuest, "Guests - Guest users may only view system status."},
}

func userconfigCommand() *shell.Command {
	return shell.CommandSpec[*store.Config]{
		Name:   "userconfig",
		Help:   "Manage user accounts: roles, passwords and SSH keys.",
		Access: shell.AccessAdmin,
		Target: config,
		Show:   func(c *shell.Ctx, cfg *store.Config) { c.Printf("\n%s", usersText(cfg)) },
		Table:  &shell.Table[*store.Config]{Prefix: "userconfig", Ops: userOps},
		Notes: []string{
			"A password file holds the password on its first line (a file name in DATA/configuration).",
			"--smtp-auth yes gives the account, whatever its role, the right to authenticate with SMTP AUTH to the listeners (it needs a password).",
			"--sshkey takes an authorized_keys line (\"ssh-ed25519 AAAA... comment\") and adds it; --delsshkeys removes every key first.",
		},
	}.Command()
}

// userOps are userconfig's operations: PASSWORD is menu only (batch:
// edit --password-file), print batch only.
var userOps = []shell.Operation[*store.Config]{
	{Name: "new", Desc: "Create a new account.",
		Usage: []string{"NAME --role admin|operator|readonly|guest [--password-file F] [--sshkey \"KEY\"] [--fullname TEXT] [--smtp-auth yes|no]"},
		Batch: userNewBatch,
		Menu:  userNew,
		Complete: func(*shell.Ctx, *store.Config, []string) []string {
			return []string{"--role", "--password-file", "--sshkey", "--fullname", "--smtp-auth"}
		}},
	{Name: "edit", Desc: "Modify an account.",
		Usage: []string{"NAME [--role R] [--password-file F] [--sshkey \"KEY\"] [--delsshkeys] [--fullname TEXT] [--smtp-auth yes|no]"},
		Batch: userEditBatch,
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			i, err := shell.Pick(c, "Enter the user name or number to edit.", userNames(cfg))
			if err != nil || i < 0 {
				return err
			}
			return userEdit(c, cfg, i)
		},
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) == 1 {
				return userNames(cfg)
			}
			return []string{"--role", "--password-file", "--sshkey", "--delsshkeys", "--fullname", "--smtp-auth"}
		}},
	{Name: "delete", Desc: "Remove an account.",
		Usage: []string{"NAME"},
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			o, err := userArgs(args, 1)
			if err != nil {
				return err
			}
			return deleteUser(c, cfg, o.Pos[0])
		},
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			i, err := shell.Pick(c, "Enter the user name or number to delete.", userNames(cfg))
			if err != nil || i < 0 {
				return err
			}
			return deleteUser(c, cfg, cfg.Users[i].Name)
		},
		Complete: func(c *shell.Ctx, cfg *store.Config, args []string) []string {
			if len(args) == 1 {
				return userNames(cfg)
			}
			return nil
		}},
	{Name: "password", Desc: "Change the password for a user.",
		Menu: func(c *shell.Ctx, cfg *store.Config) error {
			i, err := shell.Pick(c, "Enter the user name or number to change the password for.", userNames(cfg))
			if err != nil || i < 0 {
				return err
			}
			h, err := askPassword(c, cfg.Users[i].Name)
			if err != nil {
				return err
			}
			cfg.Users[i].PasswordHash = h
			return nil
		}},
	{Name: "print", Desc: "List the accounts.",
		Batch: func(c *shell.Ctx, cfg *store.Config, args []string) error {
			if _, err := userArgs(args, 0); err != nil {
				return err
			}
			c.Printf("%s", usersText(cfg))
			return nil
		}},
}

func userNames(cfg *store.Config) []string {
	return names(cfg.Users, func(u *store.User) string { return u.Name })
}

// userArgs parses the words of delete and print: n names, no options.
func userArgs(args []string, n int) (shell.Opts, error) {
	o, err := shell.UserOpts(args, "delsshkeys")
	if err == nil && (len(o.Pos) != n || len(o.Order) > 0) {
		err = shell.ErrUsage
	}
	return o, err
}

func userNewBatch(c *shell.Ctx, cfg *store.Config, args []string) error {
	o, err := shell.UserOpts(args, "delsshkeys")
	if err != nil {
		return err
	}
	if len(o.Pos) != 1 {
		return shell.ErrUsage
	}
	if err := o.Allow("role", "password-file", "sshkey", "fullname", "smtp-auth"); err != nil {
		return err
	}
	if err := checkUserName(cfg, o.Pos[0]); err != nil {
		return err
	}
	if _, ok := o.Named["role"]; !ok {
		return shell.Errorf("A new user needs --role (admin, operator, readonly or guest).")
	}
	_, pw := o.Named["password-file"]
	_, key := o.Named["sshkey"]
	if !pw && !key {
		return shell.Errorf("A new user needs --password-file or --sshkey: without either the account could not log in.")
	}
	u := store.User{Name: o.Pos[0]}
	if err := applyUserOpts(c, &u, o); err != nil {
		return err
	}
	cfg.Users = append(cfg.Users, u)
	return nil
}

func userEditBatch(c *shell.Ctx, cfg *store.Config, args []string) error {
	o, err := shell.UserOpts(args, "delsshkeys")
	if err != nil {
		return err
	}
	if len(o.Pos) != 1 {
		return shell.ErrUsage
	}
	if err := o.Allow("role", "password-file", "sshkey", "delsshkeys", "fullname", "smtp-auth"); err != nil {
		return err
	}
	u := cfg.User(o.Pos[0])
	if u == nil {
		return userNotFound(o.Pos[0])
	}
	if len(o.Order) == 0 {
		return shell.Errorf("Nothing to change: give --role, --password-file, --sshkey, --delsshkeys, --fullname or --smtp-auth.")
	}
	n := *u
	n.SSHKeys = append([]string(nil), u.SSHKeys...)
	if err := applyUserOpts(c, &n, o); err != nil {
		return err
	}
	if err := checkLastAdmin(cfg, u, n.Role); err != nil {
		return err
	}
	*u = n
	return nil
}

func userNotFound(name string) error { return shell.Errorf("There is no user named %q.", name) }

// checkUserName: AsyncOS user names are lower-case letters, digits, '_',
// '-' and '.', starting with a letter, at most 32 characters.
func checkUserName(cfg *store.Config, name string) error {
	if name == "" || len(name) > 32 || name[0] < 'a' || name[0] > 'z' {
		return shell.Errorf("A user name starts with a lower-case letter and has at most 32 characters (%q).", name)
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-' || ch == '.') {
			return shell.Errorf("User names may contain only lower-case letters, digits, '_', '-' and '.' (not %q).", string(ch))
		}
	}
	if cfg.User(name) != nil {
		return shell.Errorf("The user %q already exists.", name)
	}
	return nil
}

func canonRole(r string) (string, error) {
	for _, role := range store.Roles {
		if strings.EqualFold(role, r) {
			return role, nil
		}
	}
	return "", shell.Errorf("Unknown role %q (accepted: %s).", r, strings.Join(store.Roles, ", "))
}

func checkFullName(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n\t") || len(s) > 128 {
		return "", shell.Errorf("The full name must be one line of at most 128 characters.")
	}
	return strings.TrimSpace(s), nil
}

// canonSSHKey checks an authorized_keys line and returns it normalised
// (type, key, comment).
func canonSSHKey(line string) (string, error) {
	pub, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return "", shell.Errorf("Not a valid SSH public key (expected an authorized_keys line such as \"ssh-ed25519 AAAA... user@host\").")
	}
	k := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if comment != "" {
		k += " " + comment
	}
	return k, nil
}

func applyUserOpts(c *shell.Ctx, u *store.User, o shell.Opts) error {
	for _, n := range o.Order {
		v := o.Named[n]
		switch n {
		case "role":
			r, err := canonRole(v)
			if err != nil {
				return err
			}
			u.Role = r
		case "fullname":
			f, err := checkFullName(v)
			if err != nil {
				return err
			}
			u.FullName = f
		case "smtp-auth":
			b, err := yesNo(n, v)
			if err != nil {
				return err
			}
			u.SMTPAuth = b
		case "password-file":
			pw, err := c.ReadPasswordFile(v)
			if err != nil {
				return err
			}
			h, err := store.HashPassword(pw)
			if err != nil {
				return shell.AsUser(err)
			}
			u.PasswordHash = h
		}
	}
	// Key removal before addition, whatever the order given.
	if _, ok := o.Named["delsshkeys"]; ok {
		u.SSHKeys = nil
	}
	if v, ok := o.Named["sshkey"]; ok {
		k, err := canonSSHKey(v)
		if err != nil {
			return err
		}
		u.SSHKeys = appendNew(u.SSHKeys, []string{k})
	}
	if u.SMTPAuth && u.PasswordHash == "" {
		return shell.Errorf("%s has no password: SMTP AUTH checks one (give --password-file too).", u.Name)
	}
	return nil
}

// admins counts the admin accounts.
func admins(cfg *store.Config) int {
	n := 0
	for _, u := range cfg.Users {
		if u.Role == store.RoleAdmin {
			n++
		}
	}
	return n
}

// checkLastAdmin refuses to take the admin role from the last admin.
func checkLastAdmin(cfg *store.Config, u *store.User, newRole string) error {
	if u.Role == store.RoleAdmin && newRole != store.RoleAdmin && admins(cfg) == 1 {
		return shell.Errorf("%s is the last administrator: the role cannot change until another user is an admin.", u.Name)
	}
	return nil
}

func deleteUser(c *shell.Ctx, cfg *store.Config, name string) error {
	u := cfg.User(name)
	if u == nil {
		return userNotFound(name)
	}
	if u.Role == store.RoleAdmin && admins(cfg) == 1 {
		return shell.Errorf("The last administrator account may not be deleted.")
	}
	if u.Name == c.S.User {
		return shell.Errorf("You may not delete your own account.")
	}
	for i := range cfg.Users {
		if &cfg.Users[i] == u {
			cfg.Users = append(cfg.Users[:i], cfg.Users[i+1:]...)
			break
		}
	}
	return nil
}

func usersText(cfg *store.Config) string {
	var b strings.Builder
	b.WriteString("Users:\n")
	for i, u := range cfg.Users {
		full := u.FullName
		if full == "" {
			full = "(no full name)"
		}
		role := u.Role
		if u.SMTPAuth {
			role += ", SMTP AUTH"
		}
		fmt.Fprintf(&b, "%d. %s - %s (%s)\n", i+1, u.Name, full, role)
	}
	return b.String()
}

func userNew(c *shell.Ctx, cfg *store.Config) error {
	name, err := shell.AskRequired(c, "Enter the new username.", "", func(s string) (string, error) {
		return s, checkUserName(cfg, s)
	})
	if err != nil {
		return err
	}
	full, err := shell.Ask(c, fmt.Sprintf("Enter the full name for %s.", name), "", checkFullName)
	if err != nil {
		return err
	}
	role, err := chooseValue(c, fmt.Sprintf("Assign a role to %q:", name), roleChoices, store.RoleOperator)
	if err != nil {
		return err
	}
	h, err := askPassword(c, name)
	if err != nil {
		return err
	}
	u := store.User{Name: name, FullName: full, Role: role, PasswordHash: h}
	if err := askAddKey(c, &u); err != nil {
		return err
	}
	cfg.Users = append(cfg.Users, u)
	return nil
}

func userEdit(c *shell.Ctx, cfg *store.Config, i int) error {
	u := cfg.Users[i]
	u.SSHKeys = append([]string(nil), u.SSHKeys...)
	full, err := shell.Ask(c, fmt.Sprintf("Enter the full name for %s.", u.Name), u.FullName, checkFullName)
	if err != nil {
		return err
	}
	u.FullName = full
	role, err := chooseValue(c, fmt.Sprintf("Assign a role to %q:", u.Name), roleChoices, u.Role)
	if err != nil {
		return err
	}
	if err := checkLastAdmin(cfg, &cfg.Users[i], role); err != nil {
		return err
	}
	u.Role = role
	change, err := shell.AskYN(c, "Do you want to change the password?", false)
	if err != nil {
		return err
	}
	if change {
		if u.PasswordHash, err = askPassword(c, u.Name); err != nil {
			return err
		}
	}
	if n := len(u.SSHKeys); n > 0 {
		del, err := shell.AskYN(c, fmt.Sprintf("%s has %d SSH public key(s). Do you want to remove them?", u.Name, n), false)
		if err != nil {
			return err
		}
		if del {
			u.SSHKeys = nil
		}
	}
	if err := askAddKey(c, &u); err != nil {
		return err
	}
	if u.PasswordHash != "" {
		// SMTP AUTH checks the password (SPEC 10): no password, no question.
		if u.SMTPAuth, err = shell.AskYN(c, fmt.Sprintf("Do you want %s to be allowed to authenticate with SMTP AUTH?", u.Name), u.SMTPAuth); err != nil {
			return err
		}
	}
	cfg.Users[i] = u
	return nil
}

func askAddKey(c *shell.Ctx, u *store.User) error {
	add, err := shell.AskYN(c, fmt.Sprintf("Do you want to add an SSH public key for %s?", u.Name), false)
	if err != nil || !add {
		return err
	}
	k, err := shell.AskRequired(c, "Paste the public key (one authorized_keys line).", "", canonSSHKey)
	if err != nil {
		return err
	}
	u.SSHKeys = appendNew(u.SSHKeys, []string{k})
	return nil
}

// askPassword asks for a new password twice and returns its hash.
// On a terminal the password is not echoed (shell.ReadSecret).
func askPassword(c *shell.Ctx, name string) (string, error) {
	read := func(question string) (string, error) { return shell.ReadSecret(c, question) }
	for {
		pw, err := read(fmt.Sprintf("Enter the password for %s.", name))
		if err != nil {
			return "", inputErr(err)
		}
		h, err := store.HashPassword(pw)
		if err != nil {
			c.Printf("%s\n", err)
			continue
		}
		again, err := read("Please enter the new password again.")
		if err != nil {
			return "", inputErr(err)
		}
		if again != pw {
			c.Printf("Passwords do not match.\n")
			continue
		}
		return h, nil
	}
}

// inputErr maps end of input at a password question, which has no
// default, to ErrNeedInput.
func inputErr(err error) error {
	if errors.Is(err, shell.ErrInterrupt) {
		return err
	}
	if errors.Is(err, io.EOF) {
		return shell.ErrNeedInput
	}
	return err
}
