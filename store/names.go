package store

import (
	"errors"
	"fmt"
	"strings"
)

// MaxNameLength bounds the names of listeners, sender groups, mail flow
// policies (after the '$'), bounce profiles and mail policies. Names
// appear in prompts, menus, log lines and exported files; AsyncOS keeps
// its object names short, and so does seg.
const MaxNameLength = 64

// CheckListenerName validates a listener name: 1 to 64 letters,
// digits, '_' and '-'.
func CheckListenerName(name string) error {
	if name == "" {
		return errors.New("A listener needs a name.")
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("A listener name has at most %d characters (this one has %d).", MaxNameLength, len(name))
	}
	if !nameChars(name) {
		return fmt.Errorf("Invalid listener name %s: use letters, digits, _ and -.", shortName(name))
	}
	return nil
}

// CheckMailPolicyName validates an incoming or outgoing mail policy
// name: 1 to 64 letters, digits, '_', '-' and '.'.
func CheckMailPolicyName(name string) error {
	if name == "" || len(name) > MaxNameLength {
		return fmt.Errorf("A policy name has 1 to %d characters.", MaxNameLength)
	}
	for i := 0; i < len(name); i++ {
		if ch := name[i]; !isLetterDigit(ch) && ch != '_' && ch != '-' && ch != '.' {
			return fmt.Errorf("Policy names may contain only letters, digits, '_', '-' and '.' (not %q).", string(ch))
		}
	}
	return nil
}

// shortName quotes a name for a message, cut to a readable length: the
// names refused for their length would otherwise fill the screen.
func shortName(name string) string {
	const show = 40
	if len(name) <= show {
		return fmt.Sprintf("%q", name)
	}
	return fmt.Sprintf("%q... (%d characters)", strings.ToValidUTF8(name[:show], ""), len(name))
}

// checkWordName validates the name of a kind of thing (article "A" or
// "An"): 1 to 64 letters, digits, '_', '-' and '.', so that it is one
// word in batch commands.
func checkWordName(article, kind, name string) error {
	if name == "" {
		return fmt.Errorf("%s %s needs a name.", article, kind)
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("%s %s name has at most %d characters (this one has %d).", article, kind, MaxNameLength, len(name))
	}
	for i := 0; i < len(name); i++ {
		if ch := name[i]; !isLetterDigit(ch) && ch != '_' && ch != '-' && ch != '.' {
			return fmt.Errorf("Invalid %s name %s: use letters, digits, '_', '-' and '.'.", kind, shortName(name))
		}
	}
	return nil
}
