// Package shelltest runs seg shell sessions from scripted input and
// compares the resulting screen with golden files.
//
// A Harness is a shell.Session whose reader plays back input lines and
// echoes each prompt with the typed answer, so the output reads like the
// terminal would show it:
//
//	seg.localdomain> commit
//	Please enter some comments describing your changes:
//	[]> raise limit
//	Changes committed: Mon Nov 23 22:22:23 2026
//
// Special input lines: "^C" makes the reader return shell.ErrInterrupt
// (Ctrl-C) and "^D" returns io.EOF (Ctrl-D); both are echoed as typed.
// When the inputs run out, Run returns without echoing another prompt
// (the session is not ended: the next Run continues it).
//
// Stable output: the session clock is fixed at FixedTime (UTC), and the
// store is seen through a view that shows revision n as committed at
// FixedTime + (n-1) minutes, so "Changes committed:" lines and revision
// tables do not depend on when the test runs.
//
// Transcript files (RunFile) hold the inputs and the expected screen in
// one file, split by two marker lines; text before "-- input --" is a
// comment:
//
//	Committing with nothing staged says so.
//	-- input --
//	commit
//	-- screen --
//	seg.localdomain> commit
//	There are no changes to commit.
//
// Every line of the input section is typed as is (an empty line is
// Enter). A new transcript may stop after its input section: -update
// adds the screen. Run the tests with -update to rewrite the screen sections (and
// the files Golden compares) from what the shell printed; review the diff.
// A test binary that imports shelltest must not define its own -update
// flag.
package shelltest

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"seg/shell"
	"seg/store"
)

// update is the -update flag: golden files are rewritten, not compared.
// A flag is package state by nature; it is only read in tests.
var update = flag.Bool("update", false, "rewrite shell golden files and transcripts")

// FixedTime is the harness clock: Mon Nov 23 22:22:23 2026 UTC.
func FixedTime() time.Time { return time.Date(2026, time.November, 23, 22, 22, 23, 0, time.UTC) }

// ErrInputExhausted is what the scripted reader returns when it has no
// more lines; Harness.Run treats it as the end of that run.
var ErrInputExhausted = errors.New("shelltest: no more input lines")

// Harness is a scripted interactive session.
type Harness struct {
	T      testing.TB
	S      *shell.Session
	screen *bytes.Buffer
	in     *ScriptReader
}

// NewSession returns an interactive session as user "admin" (role
// admin, source "test") on st with the commands of reg, a temporary
// DataDir, and the fixed clock. Change h.S before Run for other roles, a
// MailSystem, an AuditLog...
func NewSession(t testing.TB, reg *shell.Registry, st store.Store) *Harness {
	t.Helper()
	screen := &bytes.Buffer{}
	in := &ScriptReader{Out: screen}
	s := &shell.Session{
		User:        "admin",
		Role:        store.RoleAdmin,
		Source:      "test",
		Store:       FixedClock(st),
		Commands:    reg,
		In:          in,
		Out:         screen,
		Err:         screen,
		DataDir:     t.TempDir(),
		Interactive: true,
		Now:         FixedTime,
		Loc:         time.UTC,
	}
	return &Harness{T: t, S: s, screen: screen, in: in}
}

// Run types inputs into the session's top-level loop and runs it until
// the inputs are used up or the session ends (quit, exit, ^D).
func (h *Harness) Run(inputs ...string) {
	h.T.Helper()
	h.in.Lines = append(h.in.Lines, inputs...)
	err := h.S.Interact()
	if err != nil && !errors.Is(err, ErrInputExhausted) {
		h.T.Fatalf("shell loop: %v", err)
	}
	if n := len(h.in.Lines); n > 0 {
		h.T.Fatalf("session ended with %d input line(s) unread: %q", n, h.in.Lines)
	}
}

// Output returns the screen so far.
func (h *Harness) Output() string { return h.screen.String() }

// Reset clears the screen.
func (h *Harness) Reset() { h.screen.Reset() }

// ScriptReader is a shell.LineReader that plays back Lines, echoing each
// prompt and answer to Out.
type ScriptReader struct {
	Lines []string
	Out   io.Writer
}

// ReadLine implements shell.LineReader.
func (r *ScriptReader) ReadLine(prompt string) (string, error) {
	if len(r.Lines) == 0 {
		return "", ErrInputExhausted
	}
	line := r.Lines[0]
	r.Lines = r.Lines[1:]
	fmt.Fprintf(r.Out, "%s%s\n", prompt, line)
	switch line {
	case "^C":
		return "", shell.ErrInterrupt
	case "^D":
		return "", io.EOF
	}
	return line, nil
}

// Golden compares got with the file at path; with -update it writes got
// there instead.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if d := Diff(string(want), got); d != "" {
		t.Errorf("%s: output differs from the golden file (-want +got; -update rewrites it):\n%s", path, d)
	}
}

const (
	inputMarker  = "-- input --"
	screenMarker = "-- screen --"
)

// RunFile plays the input section of a transcript file in a new session
// and compares the screen with the file's screen section (see the package
// comment). setup, if given, adjusts the harness before the run.
func RunFile(t *testing.T, reg *shell.Registry, st store.Store, path string, setup ...func(*Harness)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, inputs, want, err := ParseTranscript(string(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	h := NewSession(t, reg, st)
	for _, f := range setup {
		f(h)
	}
	h.Run(inputs...)
	got := h.Output()
	if *update {
		out := head + inputMarker + "\n" + strings.Join(inputs, "\n") + "\n" + screenMarker + "\n" + got
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if d := Diff(want, got); d != "" {
		t.Errorf("%s: screen differs (-want +got; -update rewrites it):\n%s", path, d)
	}
}

// ParseTranscript splits a transcript file into its comment head, its
// input lines and its expected screen.
func ParseTranscript(text string) (head string, inputs []string, screen string, err error) {
	i := strings.Index(text, inputMarker+"\n")
	if i < 0 || (i > 0 && text[i-1] != '\n') {
		return "", nil, "", fmt.Errorf("no %q line", inputMarker)
	}
	head, rest := text[:i], text[i+len(inputMarker)+1:]
	j := strings.Index(rest, screenMarker+"\n")
	if j < 0 || (j > 0 && rest[j-1] != '\n') {
		// A new transcript: inputs only, the screen comes from -update.
		j, screen = len(rest), ""
	} else {
		screen = rest[j+len(screenMarker)+1:]
	}
	if in := strings.TrimSuffix(rest[:j], "\n"); j > 0 {
		inputs = strings.Split(in, "\n")
	}
	return head, inputs, screen, nil
}

// Diff returns "" when want == got, else the lines that differ, marked
// "-" (want) and "+" (got), with a line of context around each change.
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	// Longest common subsequence; transcripts are small.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		mark byte
		text string
	}
	var ops []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, line{' ', a[i]})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, line{'-', a[i]})
			i++
		default:
			ops = append(ops, line{'+', b[j]})
			j++
		}
	}
	var sb strings.Builder
	for k, o := range ops {
		near := o.mark != ' ' ||
			(k > 0 && ops[k-1].mark != ' ') || (k+1 < len(ops) && ops[k+1].mark != ' ')
		if near {
			fmt.Fprintf(&sb, "%c %s\n", o.mark, o.text)
		}
	}
	return sb.String()
}
