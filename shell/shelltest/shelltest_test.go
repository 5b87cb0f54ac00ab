package shelltest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"seg/shell"
	"seg/store"
)

func TestParseTranscript(t *testing.T) {
	head, in, screen, err := ParseTranscript("note\n-- input --\na\n\n^C\n-- screen --\nx> a\n")
	if err != nil {
		t.Fatal(err)
	}
	if head != "note\n" || strings.Join(in, "|") != "a||^C" || screen != "x> a\n" {
		t.Errorf("head %q inputs %q screen %q", head, in, screen)
	}
	// Inputs only: a new transcript.
	_, in, screen, err = ParseTranscript("-- input --\nhelp\n")
	if err != nil || strings.Join(in, "|") != "help" || screen != "" {
		t.Errorf("inputs %q screen %q err %v", in, screen, err)
	}
	// Markers must be whole lines.
	if _, _, _, err := ParseTranscript("x -- input --\nhelp\n"); err == nil {
		t.Error("marker inside a line accepted")
	}
}

func TestDiff(t *testing.T) {
	if d := Diff("a\nb\n", "a\nb\n"); d != "" {
		t.Errorf("equal texts: %q", d)
	}
	d := Diff("1\n2\n3\n4\n5\n", "1\n2\nX\n4\n5\n")
	if want := "  2\n- 3\n+ X\n  4\n"; d != want {
		t.Errorf("Diff = %q, want %q", d, want)
	}
}

func TestScriptReader(t *testing.T) {
	var out strings.Builder
	r := &ScriptReader{Lines: []string{"yes", "^C", "^D"}, Out: &out}
	if l, err := r.ReadLine("[N]> "); l != "yes" || err != nil {
		t.Errorf("line %q err %v", l, err)
	}
	if _, err := r.ReadLine("> "); !errors.Is(err, shell.ErrInterrupt) {
		t.Errorf("^C gave %v", err)
	}
	if _, err := r.ReadLine("> "); !errors.Is(err, io.EOF) {
		t.Errorf("^D gave %v", err)
	}
	if _, err := r.ReadLine("> "); !errors.Is(err, ErrInputExhausted) {
		t.Errorf("no input gave %v", err)
	}
	if want := "[N]> yes\n> ^C\n> ^D\n"; out.String() != want {
		t.Errorf("echo %q, want %q", out.String(), want)
	}
}

func TestHarnessAndGolden(t *testing.T) {
	st := store.NewMemory(store.Default("h.example.com", ""))
	defer st.Close()
	reg := shell.NewRegistry(shell.SessionCommands()...)
	h := NewSession(t, reg, st)
	h.Run("showchanges")
	h.Run("commit")
	want := "h.example.com> showchanges\nNo changes have been made.\nh.example.com> commit\nThere are no changes to commit.\n"
	if h.Output() != want {
		t.Errorf("screen %q, want %q", h.Output(), want)
	}
	path := filepath.Join(t.TempDir(), "x.golden")
	os.WriteFile(path, []byte(want), 0o644)
	Golden(t, path, h.Output())

	revs, err := h.S.Store.Revisions(1)
	if err != nil || len(revs) != 1 || !revs[0].Time.Equal(FixedTime()) {
		t.Errorf("revision 1 time through the harness store: %v %v", revs, err)
	}
}
