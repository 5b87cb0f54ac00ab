package shell

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UserError is a problem with what the user asked for. A command's menu
// prints it and shows the menu again; a batch form returns it. Any other
// error (Ctrl-C, end of input, a broken reader) ends the command.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

// Errorf makes a UserError.
func Errorf(format string, a ...any) error {
	return &UserError{Msg: fmt.Sprintf(format, a...)}
}

// AsUser turns an error from a checker (store's parsers, Canon,
// validators) into a UserError written as a sentence. A UserError is
// returned as it is, nil as nil.
func AsUser(err error) error {
	if err == nil {
		return nil
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return err
	}
	return &UserError{Msg: Sentence(err.Error())}
}

// Sentence capitalises the first letter and ends the text with a period.
// A leading "name:" (a parameter name, "max_concurrency: value must be
// ...") keeps its case, and text that already ends with a period, a
// question mark, a closing parenthesis or a quoted value
// (`Invalid IP or IP range "10.1.1.300"`) gets no period.
func Sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	if i := strings.IndexAny(s, ": "); i < 0 || s[i] != ':' {
		r, n := utf8.DecodeRuneInString(s)
		s = string(unicode.ToUpper(r)) + s[n:]
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, ")") && !strings.HasSuffix(s, "\"") {
		s += "."
	}
	return s
}
