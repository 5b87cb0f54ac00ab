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
	Objects    []string // the refused objects, as Changes names them
}

func (e *AccessError) Error() string {
	if len(e.Objects) == 0 {
		return fmt.Sprintf("user %s (role %s) may not commit configuration changes", e.User, e.Role)
	}
	return fmt.Sprintf("user %s (role %s) may not change %s: only the admin role may change users, roles, SSH keys and the SSH server",
		e.User, e.Role, strings.Join(e.Objects, ", "))
}

// adminOnly reports whether a change to the named object needs the admin
// role: accounts (and so roles, passwords and SSH keys) and the SSH
// server through which accounts log in.
func adminOnly(object string) bool {
	return object == "ssh" || strings.HasPrefix(object, "user ")
}

// CheckAccess reports an *AccessError when role may not turn from into
// to. user is the committing account: anyone who may commit may change
// their own password (and nothing else of their own account).
func CheckAccess(user, role string, from, to *Config) error {
	switch role {
	case RoleAdmin:
		return nil
	case RoleOperator:
	default:
		return &AccessError{User: user, Role: role}
	}
	var refused []string
	for _, ch := range Changes(from, to) {
		if !adminOnly(ch.Object) {
			continue
		}
		if ch.Object == "user "+user && ch.Kind == ChangeModified && onlyPasswordChanged(from.User(user), to.User(user)) {
			continue
		}
		refused = append(refused, ch.Object)
	}
	if len(refused) > 0 {
		return &AccessError{User: user, Role: role, Objects: refused}
	}
	return nil
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
