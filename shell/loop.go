package shell

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrQuit is returned by quit/exit: the session ends. Loops treat it as
// a normal end, not a failure.
var ErrQuit = errors.New("quit")

// Prompt is the top-level prompt: the running hostname, then "> ";
// on a clustered machine the level the session edits instead
// ("(Cluster NAME)> ", "(Group G)> ", "(Machine M)> "), as AsyncOS
// shows its cluster modes.
func (s *Session) Prompt() string {
	if p := s.clusterPrompt(); p != "" {
		return p
	}
	return s.running().Config.System.Hostname + "> "
}

// Interact runs the top-level loop on s.In until quit, exit or end of
// input (Ctrl-D). Command errors are printed and the loop goes on; Ctrl-C
// at the top-level prompt just gives a new prompt. A reader error other
// than io.EOF and ErrInterrupt ends the loop and is returned.
func (s *Session) Interact() error {
	for {
		done := s.offering(offer{commands: true})
		line, err := s.In.ReadLine(s.Prompt())
		done()
		if s.timedOut() {
			s.closeIdle()
			return nil
		}
		switch {
		case errors.Is(err, ErrInterrupt):
			continue
		case errors.Is(err, io.EOF):
			if s.leave() {
				return nil
			}
			continue
		case err != nil:
			return err
		}
		err = s.Execute(line)
		if errors.Is(err, ErrQuit) {
			return nil
		}
		if s.timedOut() {
			// The timeout fired while a command waited for an answer.
			s.closeIdle()
			return nil
		}
		if err != nil {
			fmt.Fprintln(s.Out, err)
		}
	}
}

// leave decides whether an interactive session may end: with uncommitted
// changes it asks first. It reports true when the session ends (the
// changes, if any, discarded).
func (s *Session) leave() bool {
	if !s.Dirty() {
		return true
	}
	if !s.Interactive {
		// Batch and one-shot runners discard with a warning themselves.
		return true
	}
	// Not AskYN: end of input there means the default (stay), and a
	// closed stream would then loop forever.
	for {
		fmt.Fprintln(s.Out, "You have uncommitted changes. Do you want to discard them and exit?")
		ans, err := s.In.ReadLine("[N]> ")
		if errors.Is(err, ErrInterrupt) {
			return false
		}
		if err != nil {
			s.Discard()
			return true
		}
		switch strings.ToLower(strings.TrimSpace(ans)) {
		case "y", "yes":
			s.Discard()
			return true
		case "", "n", "no":
			return false
		}
		fmt.Fprintln(s.Out, "Please answer Y or N.")
	}
}
