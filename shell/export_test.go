package shell

import "io"

// NewPagerForTest is the pager RunTerminal puts on a terminal session's
// output, on w, with a fixed size and key reader.
func NewPagerForTest(w io.Writer, rows, cols int, key func(prompt string) (rune, error)) io.Writer {
	return &pager{w: w, height: func() int { return rows }, width: func() int { return cols }, key: key}
}
