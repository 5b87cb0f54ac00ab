package shell_test

import (
	"bytes"
	"errors"
	"testing"

	"seg/shell"
	"seg/shell/shelltest"
)

// The helper kit of the configuration commands: one copy, used by
// configcmd and listenercmd, which each had their own and had drifted.

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"value must be between 1 and 10":            "Value must be between 1 and 10.",
		"max_concurrency: value must be at least 1": "max_concurrency: value must be at least 1.",
		`Invalid IP or IP range "10.1.1.300"`:       `Invalid IP or IP range "10.1.1.300"`,
		"unknown option --x (accepted: --a)":        "Unknown option --x (accepted: --a)",
		"  done.  ":                                 "Done.",
		"really?":                                   "Really?",
		"bad value: expected a number (like 5)":     "Bad value: expected a number (like 5)",
		"":                                          "",
		"étrange":                                   "Étrange.",
		"DNS server \"x\": port out of range, is it": "DNS server \"x\": port out of range, is it.",
	} {
		if got := shell.Sentence(in); got != want {
			t.Errorf("Sentence(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAsUser(t *testing.T) {
	if shell.AsUser(nil) != nil {
		t.Error("AsUser(nil) != nil")
	}
	var ue *shell.UserError
	if err := shell.AsUser(errors.New("no such thing")); !errors.As(err, &ue) || ue.Msg != "No such thing." {
		t.Errorf("AsUser(plain) = %#v", err)
	}
	// A UserError keeps its words: it is already what the user sees.
	orig := shell.Errorf("already said %q", "x")
	if err := shell.AsUser(orig); err != orig {
		t.Errorf("AsUser(UserError) = %v, want the same error", err)
	}
}

// ask runs f in a context whose input is lines and returns the screen.
func ask(t *testing.T, lines []string, f func(c *shell.Ctx)) string {
	t.Helper()
	var screen bytes.Buffer
	s := &shell.Session{In: &shelltest.ScriptReader{Lines: lines, Out: &screen}, Out: &screen}
	f(&shell.Ctx{S: s, Out: &screen})
	return screen.String()
}

func TestPick(t *testing.T) {
	items := []string{"$ACCEPTED (ACCEPT)", "$THROTTLED (ACCEPT)", "Default"}
	for answer, want := range map[string]int{"2": 1, "$throttled": 1, "throttled": 1, "default": 2, "": -1, "$THROTTLED (accept)": 1} {
		var got int
		ask(t, []string{answer}, func(c *shell.Ctx) {
			var err error
			if got, err = shell.Pick(c, "Which?", items); err != nil {
				t.Fatal(err)
			}
		})
		if got != want {
			t.Errorf("Pick answer %q = %d, want %d", answer, got, want)
		}
	}
	screen := ask(t, []string{"4", "1"}, func(c *shell.Ctx) { _, _ = shell.Pick(c, "Which?", items) })
	want := "\nWhich?\n1. $ACCEPTED (ACCEPT)\n2. $THROTTLED (ACCEPT)\n3. Default\n[]> 4\n" +
		"That value is not valid: enter a number from 1 to 3, or a name.\n" +
		"\nWhich?\n1. $ACCEPTED (ACCEPT)\n2. $THROTTLED (ACCEPT)\n3. Default\n[]> 1\n"
	if screen != want {
		t.Errorf("screen:\n%s", shelltest.Diff(want, screen))
	}
}

func TestChooseNamed(t *testing.T) {
	labels := []string{"Accept", "TCP Refuse"}
	values := []string{"ACCEPT", "TCPREFUSE"}
	for answer, want := range map[string]int{"": 0, "2": 1, "tcp refuse": 1, "tcprefuse": 1} {
		var got int
		ask(t, []string{answer}, func(c *shell.Ctx) {
			var err error
			if got, err = shell.ChooseNamed(c, "Behavior?", labels, values, 1); err != nil {
				t.Fatal(err)
			}
		})
		if got != want {
			t.Errorf("ChooseNamed answer %q = %d, want %d", answer, got, want)
		}
	}
	// Choose (no names) takes numbers and labels only.
	screen := ask(t, []string{"tcprefuse", "Accept"}, func(c *shell.Ctx) {
		if i, err := shell.Choose(c, "Behavior?", labels, 0); err != nil || i != 0 {
			t.Errorf("Choose = %d, %v", i, err)
		}
	})
	if want := "\nBehavior?\n1. Accept\n2. TCP Refuse\n[]> tcprefuse\nThat value is not valid: enter a number from 1 to 2.\n"; len(screen) < len(want) || screen[:len(want)] != want {
		t.Errorf("screen:\n%s", screen)
	}
}

func TestMenuAliases(t *testing.T) {
	ops := []shell.Op{{Name: "CLEAR", Desc: "Remove all entries.", Aliases: []string{"RESET"}}, {Name: "PRINT", Desc: "Display."}}
	for answer, want := range map[string]string{"reset": "CLEAR", "cl": "CLEAR", "p": "PRINT", "": ""} {
		var got string
		ask(t, []string{answer}, func(c *shell.Ctx) {
			var err error
			if got, err = c.Menu(ops); err != nil {
				t.Fatal(err)
			}
		})
		if got != want {
			t.Errorf("Menu answer %q = %q, want %q", answer, got, want)
		}
	}
}

func TestInherits(t *testing.T) {
	for v, want := range map[string]bool{"default": true, "Default": true, " DEFAULT ": true, "": false, "defaults": false, "no": false} {
		if got := shell.Inherits(v); got != want {
			t.Errorf("Inherits(%q) = %v", v, got)
		}
	}
	// ChooseOrInherit: an item called Default is that item; otherwise
	// default is "no value of its own" (-1).
	for _, tc := range []struct {
		items  []string
		answer string
		want   int
	}{
		{[]string{"No", "Preferred"}, "default", -1},
		{[]string{"No", "Preferred"}, "2", 1},
		{[]string{"slow", "Default"}, "default", 1},
		{[]string{"No", "Preferred"}, "", 0},
	} {
		var got int
		ask(t, []string{tc.answer}, func(c *shell.Ctx) {
			var err error
			if got, err = shell.ChooseOrInherit(c, "Which?", tc.items, 1); err != nil {
				t.Fatal(err)
			}
		})
		if got != tc.want {
			t.Errorf("ChooseOrInherit(%q, %q) = %d, want %d", tc.items, tc.answer, got, tc.want)
		}
	}
}
