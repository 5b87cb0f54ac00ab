package main

import (
	"errors"
	"io"
	"os"
	"time"

	"seg/store"
)

// consoleSession is `seg run --console`: the interactive shell on the
// process's own terminal, as the operator who started the appliance
// (user admin, or the first user with the admin role).
type consoleSession struct {
	done    chan struct{}
	pw      *io.PipeWriter
	restore func()
}

func startConsole(a *admin, tty *os.File, out io.Writer) (*consoleSession, error) {
	snap, err := a.store.Current()
	if err != nil {
		return nil, err
	}
	user := consoleUser(snap.Config)
	if user == "" {
		return nil, errors.New("no user with the admin role to run the console as")
	}
	s, err := a.newSession(user, "console", out, out)
	if err != nil {
		return nil, err
	}
	restore, err := makeRaw(tty)
	if err != nil {
		return nil, err
	}
	// The shell reads a pipe fed from the terminal, so that shutdown can
	// end the session by closing the pipe while a read of the terminal
	// is still pending.
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, tty)
		pw.CloseWithError(err)
	}()
	sz := termSize(tty)
	s.Resize(sz.Width, sz.Height)
	sizes, stopSizes := watchSize(tty)
	go func() {
		for sz := range sizes {
			s.Resize(sz.Width, sz.Height)
		}
	}()
	c := &consoleSession{done: make(chan struct{}), pw: pw, restore: restore}
	go func() {
		defer close(c.done)
		s.RunTerminal(pr, out)
		stopSizes()
		restore()
	}()
	return c, nil
}

// stop ends the console session (as end of input would) and gives the
// terminal back even if the session does not finish promptly.
func (c *consoleSession) stop() {
	c.pw.CloseWithError(io.EOF)
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
		c.restore()
	}
}

func consoleUser(cfg *store.Config) string {
	if u := cfg.User("admin"); u != nil && u.Role == store.RoleAdmin {
		return u.Name
	}
	for _, u := range cfg.Users {
		if u.Role == store.RoleAdmin {
			return u.Name
		}
	}
	return ""
}
