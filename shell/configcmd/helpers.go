package configcmd

import (
	"strings"

	"seg/shell"
)

// yesNo parses a yes/no option value.
func yesNo(opt, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "y", "yes", "on", "true", "1", "enable", "enabled":
		return true, nil
	case "n", "no", "off", "false", "0", "disable", "disabled":
		return false, nil
	}
	return false, shell.Errorf("--%s must be yes or no, not %q.", opt, v)
}

// names returns the strings f picks from each element of s.
func names[T any](s []T, f func(*T) string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = f(&s[i])
	}
	return out
}

// without returns s minus its element i (none when i < 0), and nil rather
// than an empty slice: the configuration compares as JSON, where [] and
// null differ, and an emptied list must equal one never filled.
func without[T any](s []T, i int) []T {
	if i >= 0 {
		s = append(s[:i], s[i+1:]...)
	}
	if len(s) == 0 {
		return nil
	}
	return s
}
