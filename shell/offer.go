package shell

import "strings"

// What Tab completes depends on the line being read: at the top-level
// prompt, commands and their words; at a menu, that menu's operations;
// at a question that asks for an object, the names it accepts; at any
// other question, nothing (a menu never offers top-level commands). The
// code that reads the line declares it (Interact, readAnswer); the
// terminal's completer, on readline's goroutine, asks the session.

// offer is what the line being read completes.
type offer struct {
	commands bool     // the top-level prompt: command lines
	words    []string // a question's candidates, in the case shown
}

// offering makes o what Tab completes until the returned function puts
// the previous offer back.
func (s *Session) offering(o offer) func() {
	s.term.mu.Lock()
	prev := s.term.offer
	s.term.offer = o
	s.term.mu.Unlock()
	return func() {
		s.term.mu.Lock()
		s.term.offer = prev
		s.term.mu.Unlock()
	}
}

// offered is what Tab completes now.
func (s *Session) offered() offer {
	s.term.mu.Lock()
	defer s.term.mu.Unlock()
	return s.term.offer
}

// opNames are the names a menu offers: its operations, as shown.
func opNames(ops []Op) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.Name
	}
	return out
}

// pickNames are what Pick offers: each item's first word, which it
// accepts ("$THROTTLED" of "$THROTTLED (ACCEPT)", a listener's name).
func pickNames(items []string) []string {
	var out []string
	for _, it := range items {
		if w, _, _ := strings.Cut(it, " "); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// chooseNames are what Choose offers: the items that are one word, and
// the names the items stand for ("Accept", "ACCEPT").
func chooseNames(items, names []string) []string {
	var out []string
	for _, it := range items {
		if it != "" && !strings.Contains(it, " ") {
			out = append(out, it)
		}
	}
	return append(out, names...)
}
