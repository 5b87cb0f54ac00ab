package shell_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

// pagedTerminal runs s on a terminal of rows x 80 (rows 0: the height
// unknown).
func pagedTerminal(t *testing.T, s *shell.Session, rows int) (func(string), *screen) {
	t.Helper()
	s.SetWidth(80)
	s.SetHeight(rows)
	scr, typ, _ := startTerminal(t, s)
	return typ, scr
}

// visible shows a terminal stream's controls as text, one line per
// line, for a golden file.
func visible(s string) string {
	return strings.NewReplacer("\x1b", "<ESC>", "\r\n", "\n", "\r", "<CR>").Replace(s)
}

// linesCommand prints "line 1" to "line N", line 5 wider than 80
// columns.
func linesCommand() *shell.Command {
	return &shell.Command{
		Name: "lines", Help: "Print N lines.", Usage: []string{"lines N"},
		Run: func(c *shell.Ctx, args []string) error {
			n, err := strconv.Atoi(args[0])
			if err != nil {
				return err
			}
			for i := 1; i <= n; i++ {
				if i == 5 {
					c.Printf("line %d %s\n", i, strings.Repeat("w", 90))
					continue
				}
				c.Printf("line %d\n", i)
			}
			return nil
		},
	}
}

// pagerSession is an admin session whose only commands print lines.
func pagerSession(t *testing.T) *shell.Session {
	return &shell.Session{
		User: "admin", Role: store.RoleAdmin, Source: "test", Store: newStore(t),
		Commands: shell.NewRegistry(linesCommand()),
	}
}

// TestPagingTranscript: output longer than a 12-row terminal stops
// after 11 rows at "-Press Any Key For More-"; a space shows the next 11
// rows, the prompt line erased; q ends the output and gives the prompt
// back.
func TestPagingTranscript(t *testing.T) {
	s := pagerSession(t)
	typ, scr := pagedTerminal(t, s, 12)
	pos := scr.waitFor(t, 0, "seg.localdomain> ")
	start := pos
	typ("lines 40\r")
	pos = scr.waitFor(t, pos, "-Press Any Key For More-")
	first := scr.String()[start:pos]
	// The command line's end, then 11 rows of output (12 - 1 for the
	// prompt): line 5 takes two.
	if !strings.HasSuffix(first, "\r\nline 10\r\n-Press Any Key For More-") || strings.Contains(first, "line 11") {
		t.Errorf("the first page is not lines 1 to 10:\n%q", first)
	}
	typ(" ")
	end := pos
	pos = scr.waitFor(t, pos, "line 11")
	pos = scr.waitFor(t, pos, "-Press Any Key For More-")
	second := scr.String()[end:pos]
	if second != "\r\x1b[Kline 11\r\nline 12\r\nline 13\r\nline 14\r\nline 15\r\nline 16\r\nline 17\r\nline 18\r\nline 19\r\nline 20\r\nline 21\r\n-Press Any Key For More-" {
		t.Errorf("the key did not erase the prompt line and show 11 more rows: %q", second)
	}
	typ("q")
	pos = scr.waitFor(t, pos, "seg.localdomain> ")
	all := scr.String()
	if strings.Contains(all[start:], "line 22") {
		t.Error("output after q reached the screen")
	}
	shelltest.Golden(t, "testdata/paging.screen", visible(all[start:pos]))

	// The next command pages afresh, and Ctrl-C stops it as q does;
	// nothing typed at the paging prompt reaches the history or a
	// command line.
	typ("lines 30\r")
	pos = scr.waitFor(t, pos, "-Press Any Key For More-")
	typ("\x03")
	pos = scr.waitFor(t, pos, "seg.localdomain> ")
	typ("\x1b[A\r") // Up, Enter: the last command again
	pos = scr.waitFor(t, pos, "line 1\r\n")
	pos = scr.waitFor(t, pos, "-Press Any Key For More-")
	typ("x")
	pos = scr.waitFor(t, pos, "line 21\r\n")
	pos = scr.waitFor(t, pos, "-Press Any Key For More-")
	typ("\t")
	pos = scr.waitFor(t, pos, "line 30\r\n")
	scr.waitFor(t, pos, "seg.localdomain> ")
	if n := strings.Count(scr.String(), "line 30"); n != 1 {
		t.Errorf("line 30 shown %d times", n)
	}
}

// TestPagingOnlyOnTerminal: without a known height (a terminal whose
// size nobody sent) and in batch runs, long output is never paged.
func TestPagingOnlyOnTerminal(t *testing.T) {
	s, out, _ := batchSession(t, newStore(t))
	if err := s.RunBatch("b", strings.NewReader("help\n")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "More-") || !strings.Contains(out.String(), "tophosts") {
		t.Errorf("batch output paged or cut:\n%s", out)
	}
	typ, scr := pagedTerminal(t, pagerSession(t), 0)
	pos := scr.waitFor(t, 0, "seg.localdomain> ")
	typ("lines 100\r")
	pos = scr.waitFor(t, pos, "line 100\r\n")
	scr.waitFor(t, pos, "seg.localdomain> ")
	if strings.Contains(scr.String(), "More-") {
		t.Error("paged without a height")
	}
}

// TestPagingWrappedLines: a line wider than the terminal takes several
// rows, and the page is counted in rows.
func TestPagingWrappedLines(t *testing.T) {
	var got strings.Builder
	keys := 0
	w := shell.NewPagerForTest(&got, 4, 10, func() (rune, error) {
		keys++
		return ' ', nil
	})
	// 25 characters take rows of 10, 10 and 5: a page of 3 rows.
	io.WriteString(w, strings.Repeat("x", 25)+"\na\nb\nc\nd\n")
	const more = "-Press Any Key For More-\r\x1b[K"
	want := strings.Repeat("x", 25) + "\n" + more + "a\nb\nc\n" + more + "d\n"
	if got.String() != want {
		t.Errorf("paged as\n%q\nwant\n%q", got.String(), want)
	}
	// A page that ends inside a line: the prompt gets a row of its own,
	// where the terminal would have wrapped.
	got.Reset()
	w = shell.NewPagerForTest(&got, 4, 10, func() (rune, error) { return ' ', nil })
	io.WriteString(w, "ab\ncd\n"+strings.Repeat("y", 15)+"\n")
	want = "ab\ncd\n" + strings.Repeat("y", 10) + "\r\n" + more + strings.Repeat("y", 5) + "\n"
	if keys != 2 {
		t.Errorf("%d keys asked for, want 2", keys)
	}
	if got.String() != want {
		t.Errorf("paged as\n%q\nwant\n%q", got.String(), want)
	}
}

// TestPagingTailFollows: tail's last lines are paged, but the lines it
// follows while it waits for Ctrl-C are not (the pager would have to
// read a key while tail itself reads the terminal).
func TestPagingTailFollows(t *testing.T) {
	s := pagerSession(t)
	s.Commands = shell.NewRegistry(shell.LogCommands()...)
	s.DataDir = t.TempDir()
	logs := filepath.Join(s.DataDir, "logs")
	os.MkdirAll(logs, 0o700)
	var old strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&old, "Mon Nov 23 22:22:23 2026 Info: old %d\n", i)
	}
	if err := os.WriteFile(filepath.Join(logs, "mail_logs"), []byte(old.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	typ, scr := pagedTerminal(t, s, 8)
	pos := scr.waitFor(t, 0, "seg.localdomain> ")
	typ("tail mail_logs\r")
	pos = scr.waitFor(t, pos, "old 17\r\n")
	pos = scr.waitFor(t, pos, "-Press Any Key For More-")
	typ(" ")
	pos = scr.waitFor(t, pos, "old 24\r\n")
	pos = scr.waitFor(t, pos, "-Press Any Key For More-")
	typ(" ")
	pos = scr.waitFor(t, pos, "Press Ctrl-C to stop.\r\n")
	f, err := os.OpenFile(filepath.Join(logs, "mail_logs"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(f, "Mon Nov 23 22:22:24 2026 Info: new %d\n", i)
	}
	f.Close()
	end := scr.waitFor(t, pos, "new 20\r\n")
	if strings.Contains(scr.String()[pos:end], "More-") {
		t.Errorf("followed lines were paged:\n%q", scr.String()[pos:end])
	}
	typ("\x03")
	pos = scr.waitFor(t, end, "seg.localdomain> ")
	// The next command is paged again.
	typ("tail mail_logs\r")
	pos = scr.waitFor(t, pos, "-Press Any Key For More-")
	typ("q")
	typ("\x03")
	scr.waitFor(t, pos, "seg.localdomain> ")
}
