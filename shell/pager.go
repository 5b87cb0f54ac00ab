package shell

import (
	"errors"
	"io"
	"sync"
)

// Paging: on a terminal, output longer than the screen stops after a
// screenful (the height minus the line the prompt takes) at AsyncOS's
// "-Press Any Key For More-"; any key shows the next screenful, q (or
// Ctrl-C, or the end of input) cuts the rest of the command's output.
// Only the output is cut: commands print after they have done their
// work, so the work is not half done. The count starts again at each
// line the session reads, since the admin has seen the screen by then.
// Batch, one-shot and piped sessions never page: the pager exists only
// in RunTerminal.

// morePrompt is AsyncOS's paging prompt.
const morePrompt = "-Press Any Key For More-"

// eraseLine clears the paging prompt's line once a key came: the next
// page starts where the prompt was.
const eraseLine = "\r\x1b[K"

// pager is the writer every command of a terminal session writes to.
type pager struct {
	w      io.Writer
	height func() int           // rows; below 2: no paging
	width  func() int           // columns, for wrapped lines
	key    func() (rune, error) // reads one key (termInput.ReadKey)

	mu   sync.Mutex
	rows int  // rows written since the last input
	col  int  // column of the cursor on the current row
	cut  bool // the admin stopped this output: drop the rest
	off  bool // the command asked not to be paged (NoPaging)
}

// reset is called when the session reads input: a new screenful starts,
// and output cut at the paging prompt shows again.
func (p *pager) reset() {
	p.mu.Lock()
	p.rows, p.col, p.cut = 0, 0, false
	p.mu.Unlock()
}

// command is called as each command starts: paging is on again.
func (p *pager) command() {
	p.mu.Lock()
	p.off = false
	p.mu.Unlock()
}

// stop turns paging off until the command ends (tail following a log
// while it waits for Ctrl-C: the pager must not read a key then).
func (p *pager) stop() {
	p.mu.Lock()
	p.off = true
	p.mu.Unlock()
}

// Write passes b on, pausing after each screenful. Cut output is
// reported written: the command goes on to its end unaware.
func (p *pager) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return len(b), nil
	}
	h := p.height()
	if p.off || h < 2 {
		return p.w.Write(b)
	}
	width := p.width()
	start := 0
	for i, c := range b {
		// A character past the last column wraps to a new row
		// (UTF-8 continuation bytes and controls take no column).
		printable := c >= 0x20 && c != 0x7f && c&0xc0 != 0x80
		wrap := printable && width > 0 && p.col >= width
		if wrap {
			p.rows, p.col = p.rows+1, 0
		}
		if p.rows >= h-1 && c != '\r' {
			if _, err := p.w.Write(b[start:i]); err != nil {
				return start, err
			}
			start = i
			if wrap {
				// The page ends inside a long line, the cursor past the
				// last column: start the row the terminal would wrap to,
				// so that the prompt has a row of its own, and clearing
				// it clears nothing of the line.
				if _, err := io.WriteString(p.w, "\r\n"); err != nil {
					return i, err
				}
			}
			if _, err := io.WriteString(p.w, morePrompt); err != nil {
				return i, err
			}
			k, err := p.key()
			if err != nil {
				// The end of input: nobody is left to read the rest.
				p.cut = true
				if errors.Is(err, io.EOF) {
					return len(b), nil
				}
				return i, err
			}
			if _, err := io.WriteString(p.w, eraseLine); err != nil {
				return i, err
			}
			if k == 'q' || k == 'Q' || k == 3 { // 3: Ctrl-C
				p.cut = true
				return len(b), nil
			}
			p.rows = 0
		}
		switch {
		case c == '\n':
			p.rows, p.col = p.rows+1, 0
		case c == '\r':
			p.col = 0
		case c == '\t':
			p.col = (p.col/8 + 1) * 8
		case printable:
			p.col++
		}
	}
	if _, err := p.w.Write(b[start:]); err != nil {
		return start, err
	}
	return len(b), nil
}

// NoPaging turns paging off for the rest of the command: output that
// goes on while the command reads input (tail following a log until
// Ctrl-C), or that the admin asked not to have paginated (grep).
func (c *Ctx) NoPaging() {
	if c.S.pager != nil {
		c.S.pager.stop()
	}
}

// pageAfresh turns paging back on as a command starts.
func (s *Session) pageAfresh() {
	if s.pager != nil {
		s.pager.command()
	}
}
