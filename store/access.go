package store

import (
	"fmt"
	"strings"
)

// Who may change what. A commit is checked against what it changes in
// the running configuration, not against the command that staged it:
// rollbackconfig, loadconfig, an import or a direct edit all end in the
// same Commit, so a role that may not change users cannot get a user
// list in through any of them.

// AccessError is returned by Commit when the committing role may not
// make some of the changes. Nothing is written.
type AccessError struct {
	User, Role string
	// Objects are the refused objects, as Changes names them; empty
	// when the role may commit nothing at all.
	Objects []string
	// Gone is set when the committing account no longer exists.
	Gone bool
}

func (e *AccessError) Error() string {
	switch {
	case e.Gone:
		return fmt.Sprintf("the account %s no longer exists, so it may not commit configuration changes", e.User)
	case len(e.Objects) == 0:
		return fmt.Sprintf("user %s (role %s) may not commit configuration changes", e.User, roleName(e.Role))
	}
	return fmt.Sprintf("user %s (role %s) may not change %s: only the admin role may change users, roles, passwords, SSH keys, sshconfig and adminaccessconfig",
		e.User, roleName(e.Role), ObjectList(e.Objects))
}

func roleName(r string) string {
	if r == "" {
		return "none"
	}
	return r
}

// ObjectList names objects as Changes names them, for messages; "ssh"
// reads as the command that changes it.
func ObjectList(objects []string) string {
	out := make([]string, len(objects))
	for i, o := range objects {
		switch o {
		case "ssh":
			o = "sshconfig"
		case "adminaccess":
			o = "adminaccessconfig"
		}
		out[i] = o
	}
	return strings.Join(out, ", ")
}

// AdminOnly reports whether a change to the named object (as Changes
// names it) needs the admin role: accounts (and so roles, passwords and
// SSH keys), the SSH server through which accounts log in, and how
// long their sessions may stay idle.
func AdminOnly(object string) bool {
	return object == "ssh" || object == "adminaccess" || strings.HasPrefix(object, "user ")
}

// RoleSystem is the role of commits the appliance makes itself (a
// migration at start-up), never an account's.
const RoleSystem = "system"

// roleRank orders the roles; an unknown role (or none) ranks below
// every role and may commit nothing.
func roleRank(role string) int {
	for i, r := range Roles {
		if r == role {
			return len(Roles) - i
		}
	}
	return 0
}

// EffectiveRole is the role user may act with in cfg: the lesser of
// role (what the session was opened with) and the account's role in
// cfg, so that an account demoted or deleted while its session is open
// loses the rights at once. "" when the account is gone or a role is
// not known.
func EffectiveRole(cfg *Config, user, role string) string {
	u := cfg.User(user)
	if u == nil || roleRank(u.Role) == 0 || roleRank(role) == 0 {
		return ""
	}
	if roleRank(u.Role) < roleRank(role) {
		return u.Role
	}
	return role
}

// CheckAccess reports an *AccessError when user, with role, may not turn
// from into to. from is the running configuration: the role is capped
// by the account's role there (EffectiveRole), and an account that is
// not there may commit nothing. Anyone who may commit may change their
// own password (and nothing else of their own account).
func CheckAccess(user, role string, from, to *Config) error {
	if role == RoleSystem {
		// The appliance's own commit (a start-up migration): no account
		// can hold this role, since validation allows only Roles, and
		// sessions take their role from an account.
		return nil
	}
	if from.User(user) == nil {
		return &AccessError{User: user, Role: role, Gone: true}
	}
	role = EffectiveRole(from, user, role)
	switch role {
	case RoleAdmin:
		return nil
	case RoleOperator:
	default:
		// passwd: every role may change its own password, and
		// nothing else.
		if role != "" && ownPasswordOnly(user, from, to) {
			return nil
		}
		return &AccessError{User: user, Role: role}
	}
	if refused := RefusedChanges(user, role, from, to); len(refused) > 0 {
		return &AccessError{User: user, Role: role, Objects: refused}
	}
	return nil
}

// RefusedChanges lists the objects changed from from to to that role
// may not change (nil for admin). The shell warns with it when such a
// change is staged, before commit refuses it.
func RefusedChanges(user, role string, from, to *Config) []string {
	if role == RoleAdmin {
		return nil
	}
	var refused []string
	// Only accounts and the SSH server need the admin role: compare just
	// those, not the whole tree (the shell asks after every command).
	for _, ch := range Changes(adminObjects(from), adminObjects(to)) {
		if !AdminOnly(ch.Object) {
			continue
		}
		if ch.Object == "user "+user && ch.Kind == ChangeModified && onlyPasswordChanged(from.User(user), to.User(user)) {
			continue
		}
		refused = append(refused, ch.Object)
	}
	return refused
}

// adminObjects is the part of c that only an admin may change (AdminOnly).
func adminObjects(c *Config) *Config {
	return &Config{Users: c.Users, SSH: c.SSH, AdminAccess: c.AdminAccess}
}

// ownPasswordOnly reports whether the only change from from to to is
// user's password.
func ownPasswordOnly(user string, from, to *Config) bool {
	ch := Changes(from, to)
	return len(ch) == 1 && ch[0].Object == "user "+user && ch[0].Kind == ChangeModified &&
		onlyPasswordChanged(from.User(user), to.User(user))
}

// onlyPasswordChanged reports whether a and b differ in the password
// hash alone.
func onlyPasswordChanged(a, b *User) bool {
	if a == nil || b == nil {
		return false
	}
	x, y := *a, *b
	x.PasswordHash, y.PasswordHash = "", ""
	return sameValue(x, y)
}
