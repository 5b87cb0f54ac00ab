package shell

import "fmt"

// UserError is a problem with what the user asked for. A command's menu
// prints it and shows the menu again; a batch form returns it. Any other
// error (Ctrl-C, end of input, a broken reader) ends the command.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

// Errorf makes a UserError.
func Errorf(format string, a ...any) error {
	return &UserError{Msg: fmt.Sprintf(format, a...)}
}
