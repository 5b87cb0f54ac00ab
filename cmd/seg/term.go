package main

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"seg/internal/ctl"
)

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// makeRaw puts the terminal f in raw mode (the shell's readline does its
// own echo and line editing, and Ctrl-C must reach it as a byte) and
// returns the func that restores it.
func makeRaw(f *os.File) (func(), error) {
	st, err := term.MakeRaw(int(f.Fd()))
	if err != nil {
		return nil, err
	}
	return func() { term.Restore(int(f.Fd()), st) }, nil
}

// termSize returns f's window size (80x24 when unknown).
func termSize(f *os.File) ctl.Size {
	w, h, err := term.GetSize(int(f.Fd()))
	if err != nil || w <= 0 || h <= 0 {
		return ctl.Size{Width: 80, Height: 24}
	}
	return ctl.Size{Width: w, Height: h}
}

// watchSize delivers f's window size after each SIGWINCH until stop.
func watchSize(f *os.File) (<-chan ctl.Size, func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	out := make(chan ctl.Size, 1)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for {
			select {
			case <-sig:
				select {
				case out <- termSize(f):
				case <-done:
					return
				}
			case <-done:
				return
			}
		}
	}()
	return out, func() {
		signal.Stop(sig)
		close(done)
	}
}
