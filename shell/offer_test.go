package shell

import (
	"reflect"
	"sort"
	"testing"

	"github.com/chzyer/readline"
)

// completions runs the completer on line (cursor at the end) and returns
// the completed words.
func completions(cp *completer, line string) []string {
	rs := []rune(line)
	sufs, n := cp.Do(rs, len(rs))
	var out []string
	for _, s := range sufs {
		out = append(out, string(rs[len(rs)-n:])+string(s))
	}
	sort.Strings(out)
	return out
}

// TestCompleterOffers: Tab completes what the line being read offers:
// commands at the top-level prompt, a menu's operations (any case typed,
// never a command), a question's names, nothing at other questions or
// while a secret is typed.
func TestCompleterOffers(t *testing.T) {
	s := &Session{Commands: NewRegistry(
		&Command{Name: "exit"}, &Command{Name: "export"}, &Command{Name: "status", Sub: []string{"detail"}})}
	mask := &maskPainter{}
	cp := &completer{s: s, mask: mask}
	menu := offer{words: []string{"NEW", "EDIT", "DELETE", "EXPORT", "PRINT"}}

	cases := []struct {
		name string
		o    offer
		line string
		want []string
	}{
		{"command", offer{commands: true}, "ex", []string{"exit ", "export "}},
		{"command operation", offer{commands: true}, "status d", []string{"detail "}},
		{"menu", menu, "ex", []string{"exPORT "}},
		{"menu upper", menu, "E", []string{"EDIT ", "EXPORT "}},
		{"menu, not commands", menu, "exi", nil},
		{"menu, all", menu, "", []string{"DELETE ", "EDIT ", "EXPORT ", "NEW ", "PRINT "}},
		{"names", offer{words: []string{"IncomingMail", "OutgoingMail"}}, "inc", []string{"incomingMail "}},
		{"plain question", offer{}, "ex", nil},
	}
	for _, tc := range cases {
		done := s.offering(tc.o)
		if got := completions(cp, tc.line); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q<Tab> offers %q, want %q", tc.name, tc.line, got, tc.want)
		}
		done()
	}
	if o := s.offered(); o.commands || o.words != nil {
		t.Errorf("offers not put back: %+v", o)
	}

	done := s.offering(menu)
	defer done()
	mask.on.Store(true)
	if got := completions(cp, "ex"); got != nil {
		t.Errorf("while a secret is typed Tab offers %q", got)
	}
	mask.on.Store(false)
}

// TestCompleterCase: once Tab has completed a word typed in another case,
// it is written as the menu shows it; other keys and other words are
// left alone.
func TestCompleterCase(t *testing.T) {
	s := &Session{}
	cp := &completer{s: s}
	done := s.offering(offer{words: []string{"NEW", "EXPORT", "IncomingMail"}})
	defer done()
	cases := []struct {
		line string
		key  rune
		want string // "": unchanged
	}{
		{"exPORT ", readline.CharTab, "EXPORT "},
		{"incomingMail ", readline.CharTab, "IncomingMail "},
		{"EXPORT ", readline.CharTab, ""},
		{"exPORT ", 'x', ""},
		{"exPO", readline.CharTab, ""},
		{"other ", readline.CharTab, ""},
	}
	for _, tc := range cases {
		rs := []rune(tc.line)
		got, pos, ok := cp.OnChange(rs, len(rs), tc.key)
		switch {
		case tc.want == "" && ok:
			t.Errorf("%q key %q: changed to %q", tc.line, tc.key, string(got))
		case tc.want != "" && (!ok || string(got) != tc.want || pos != len([]rune(tc.want))):
			t.Errorf("%q key %q: got %q (%v, pos %d), want %q", tc.line, tc.key, string(got), ok, pos, tc.want)
		}
	}
}
