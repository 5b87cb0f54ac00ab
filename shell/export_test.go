package shell

import "io"

// NewPagerForTest is the pager RunTerminal puts on a terminal session's
// output, on w, with a fixed size and key reader.
func NewPagerForTest(w io.Writer, rows, cols int, key func() (rune, error)) io.Writer {
	return &pager{w: w, height: func() int { return rows }, width: func() int { return cols }, key: key}
}

// CompleteForTest is what Tab at the end of line offers at the
// top-level prompt: the suffixes readline would append.
func CompleteForTest(s *Session, line string) []string {
	defer s.offering(offer{commands: true})()
	cands, _ := (&completer{s: s}).Do([]rune(line), len([]rune(line)))
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = string(c)
	}
	return out
}
