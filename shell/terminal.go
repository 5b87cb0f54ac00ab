package shell

import (
	"errors"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/chzyer/readline"
)

// defaultWidth is the terminal width until SetWidth says otherwise.
const defaultWidth = 80

// RunTerminal runs the interactive shell on a terminal stream: the
// console, an SSH channel with a pty, or the control socket. The remote
// side owns the terminal mode (the SSH client, or `seg cli`, puts its own
// tty in raw mode), so readline here neither probes nor changes it; a
// local console caller puts its tty in raw mode itself. Output newlines
// become CRLF, as a raw terminal needs. RunTerminal does not close in:
// the caller owns the stream.
func (s *Session) RunTerminal(in io.ReadCloser, out io.Writer) error {
	out = &crlfWriter{w: out}
	// readline's reader goroutine may sit in a Read when the session
	// ends (after Ctrl-D it reads ahead); a cancelable stdin lets Close
	// return without waiting for the peer to type or hang up.
	// Every byte read is input for the inactivity timeout (idle.go).
	// termInput hands the paging prompt its key (terminput.go).
	cin := newTermInput(readline.NewCancelableStdin(&activityReader{r: in, s: s}))
	mask := &maskPainter{}
	cp := &completer{s: s, mask: mask}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:            s.Prompt(),
		Stdin:             cin,
		Stdout:            out,
		Stderr:            out,
		AutoComplete:      cp,
		Listener:          cp,
		Painter:           mask,
		HistoryLimit:      200,
		HistorySearchFold: true,
		// readlineReader saves each command itself, so that a password
		// never enters the history.
		DisableAutoSaveHistory: true,
		FuncIsTerminal:         func() bool { return true },
		FuncMakeRaw:            func() error { return nil },
		FuncExitRaw:            func() error { return nil },
		FuncGetWidth:           s.width,
		FuncOnWidthChanged: func(f func()) {
			s.term.mu.Lock()
			s.term.changed = f
			s.term.mu.Unlock()
		},
	})
	if err != nil {
		cin.Close()
		return err
	}
	s.Touch()
	stopIdle := s.watchIdle(func() { cin.Close() })
	defer func() {
		stopIdle()
		cin.Close()
		rl.Close()
	}()
	prevIn, prevOut, prevErr, prevI := s.In, s.Out, s.Err, s.Interactive
	defer func() { s.In, s.Out, s.Err, s.Interactive, s.pager = prevIn, prevOut, prevErr, prevI, nil }()
	r := &readlineReader{rl: rl, mask: mask, s: s}
	r.pager = &pager{w: out, height: s.height, width: s.width, key: cin.ReadKey}
	s.In, s.pager = r, r.pager
	s.Out, s.Err = r.pager, r.pager
	s.Interactive = true
	return s.Interact()
}

// SetHeight records the terminal height (an SSH pty-req or
// window-change request): output longer than the screen is paged.
// Unknown (0) means no paging. Safe from any goroutine.
func (s *Session) SetHeight(rows int) {
	s.term.mu.Lock()
	s.term.height = rows
	s.term.mu.Unlock()
}

func (s *Session) height() int {
	s.term.mu.Lock()
	defer s.term.mu.Unlock()
	return s.term.height
}

// SetWidth records the terminal width (an SSH window-change request) and
// lets a running readline redraw. Safe from any goroutine.
func (s *Session) SetWidth(cols int) {
	s.term.mu.Lock()
	s.term.width = cols
	f := s.term.changed
	s.term.mu.Unlock()
	if f != nil {
		f()
	}
}

func (s *Session) width() int {
	s.term.mu.Lock()
	defer s.term.mu.Unlock()
	if s.term.width <= 0 {
		return defaultWidth
	}
	return s.term.width
}

// readlineReader adapts readline to LineReader.
type readlineReader struct {
	rl    *readline.Instance
	mask  *maskPainter
	s     *Session
	pager *pager // the session's output: a new screenful at each read
}

func (r *readlineReader) ReadLine(prompt string) (string, error) {
	r.pager.reset()
	r.rl.SetPrompt(prompt)
	line, err := r.rl.Readline()
	if err == nil {
		r.rl.SaveHistory(line) // readline's own rules: blank and repeated lines are not added
	}
	if err != nil && r.s.timedOut() {
		return "", ErrIdleTimeout
	}
	if errors.Is(err, readline.ErrInterrupt) {
		return "", ErrInterrupt
	}
	return line, err
}

// ReadPassword reads a line with each key shown as '*'; nothing typed
// reaches the screen or the history, and Tab completes nothing.
// readline's own password mode swaps the instance's Config while its
// reader goroutine reads it (a data race in readline 1.5.1), so the mask
// is a Painter installed once, switched by an atomic flag.
func (r *readlineReader) ReadPassword(prompt string) (string, error) {
	r.pager.reset()
	r.rl.SetPrompt(prompt)
	r.mask.on.Store(true)
	pw, err := r.rl.Readline()
	r.mask.on.Store(false)
	// The line being edited is kept in history's last entry; empty it so
	// that Up then Down cannot bring the password back on screen.
	r.rl.SaveHistory("")
	if err != nil && r.s.timedOut() {
		return "", ErrIdleTimeout
	}
	if errors.Is(err, readline.ErrInterrupt) {
		return "", ErrInterrupt
	}
	return pw, err
}

// maskPainter shows the line as typed, or as '*' per key while on.
type maskPainter struct{ on atomic.Bool }

func (m *maskPainter) Paint(line []rune, _ int) []rune {
	if !m.on.Load() {
		return line
	}
	out := make([]rune, len(line))
	for i, r := range line {
		out[i] = '*'
		if r == '\n' {
			// readline paints the line with the Enter that ends it:
			// that newline must stay one, or what follows the
			// password continues on its line.
			out[i] = r
		}
	}
	return out
}

// completer completes what the line being read offers (offer.go): at
// the top-level prompt command names, then a command's Sub operations
// and its Complete candidates; at a question, the question's own words.
type completer struct {
	s    *Session
	mask *maskPainter // on: a secret is being typed, nothing completes
}

// candidates are the words that may complete partial, the word before
// the cursor.
func (cp *completer) candidates(line []rune, pos int) (partial string, cands []string) {
	if cp.mask != nil && cp.mask.on.Load() {
		return "", nil
	}
	before := string(line[:pos])
	words := strings.Fields(before)
	if len(words) > 0 && !strings.HasSuffix(before, " ") && !strings.HasSuffix(before, "\t") {
		partial = words[len(words)-1]
		words = words[:len(words)-1]
	}
	o := cp.s.offered()
	switch {
	case !o.commands:
		cands = o.words
	case len(words) == 0:
		cands = cp.s.commandNames()
	default:
		cands = cp.s.argCandidates(words[0], append(words[1:], partial))
	}
	return partial, cands
}

// Do implements readline.AutoCompleter: it returns the suffixes that
// complete the word before the cursor, and that word's length.
func (cp *completer) Do(line []rune, pos int) ([][]rune, int) {
	partial, cands := cp.candidates(line, pos)
	cands = slices.Clone(cands)
	sort.Strings(cands)
	var out [][]rune
	seen := map[string]bool{}
	for _, c := range cands {
		if seen[c] || len(c) < len(partial) || !strings.EqualFold(c[:len(partial)], partial) {
			continue
		}
		seen[c] = true
		// Case-insensitive matching, but readline only appends: keep the
		// user's prefix and add the rest (OnChange then writes the word
		// as the candidate spells it).
		out = append(out, []rune(c[len(partial):]+" "))
	}
	return out, len([]rune(partial))
}

// OnChange implements readline.Listener: after Tab has completed a word
// typed in another case ("ne" to "neW "), it is written as the candidate
// spells it ("NEW "), as the menu shows it.
func (cp *completer) OnChange(line []rune, pos int, key rune) ([]rune, int, bool) {
	if key != readline.CharTab || pos == 0 || pos > len(line) || line[pos-1] != ' ' {
		return nil, 0, false
	}
	start := pos - 1
	for start > 0 && line[start-1] != ' ' && line[start-1] != '\t' {
		start--
	}
	word := string(line[start : pos-1])
	_, cands := cp.candidates(line[:start], start)
	for _, c := range cands {
		if c != word && strings.EqualFold(c, word) && len([]rune(c)) == pos-1-start {
			out := append(append(slices.Clone(line[:start]), []rune(c)...), line[pos-1:]...)
			return out, pos, true
		}
	}
	return nil, 0, false
}

// argCandidates returns completions for the last of args (partial) of
// command name: its Sub operations at the first position, and whatever
// its Complete returns.
func (s *Session) argCandidates(name string, args []string) []string {
	cmd, ok := s.Commands.Lookup(name)
	if !ok || RoleAccess(s.Role) < cmd.Access {
		return nil
	}
	var cands []string
	if len(args) == 1 {
		cands = append(cands, cmd.Sub...)
	}
	if cmd.Complete != nil {
		// A completer must not write or change anything: it gets a
		// throw-away context.
		c := &Ctx{S: s, Out: io.Discard}
		cands = append(cands, cmd.Complete(c, args)...)
	}
	return cands
}

// crlfWriter turns "\n" into "\r\n" for a raw-mode terminal, leaving an
// existing "\r\n" alone.
type crlfWriter struct {
	mu     sync.Mutex // readline's goroutine and commands both write
	w      io.Writer
	lastCR bool
}

func (c *crlfWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	buf := make([]byte, 0, len(p)+8)
	for _, b := range p {
		if b == '\n' && !c.lastCR {
			buf = append(buf, '\r')
		}
		buf = append(buf, b)
		c.lastCR = b == '\r'
	}
	if _, err := c.w.Write(buf); err != nil {
		return 0, err
	}
	return len(p), nil
}
