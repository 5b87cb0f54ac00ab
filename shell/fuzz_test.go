package shell_test

import (
	"strings"
	"testing"

	"seg/shell"
	"seg/store"
)

// quoteWord quotes a token so that Tokenize gives it back.
func quoteWord(w string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(w) + `"`
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		`listenerconfig edit IncomingMail hostaccess new sendergroup BLOCK 192.0.2.0/24 $BLOCKED --comment "bad hosts"`,
		`commit "it's done"`, `a 'b c' "d \" e" f\ g`, `unterminated "quote`, `trailing\`, "\t tab\t", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := shell.Tokenize(line)
		if err != nil {
			return
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = quoteWord(w)
		}
		again, err := shell.Tokenize(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("re-tokenizing %q: %v", quoted, err)
		}
		if strings.Join(again, "\x00") != strings.Join(words, "\x00") || len(again) != len(words) {
			t.Fatalf("round trip: %q -> %q", words, again)
		}
	})
}

func FuzzParseOpts(f *testing.F) {
	for _, s := range []string{
		`--max_retries=10 --all p1 max_retries=10`, `--domain example.com --all`, `--to`, `-- --x= =y a=b=c`,
		`--A=1 --a=2`, `name=`, `--all=off`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		o, err := shell.ParseOpts(args, "all")
		if err != nil {
			return
		}
		if len(o.Order) != len(o.Named) {
			t.Fatalf("Order %q but Named %v", o.Order, o.Named)
		}
		for _, n := range o.Order {
			if _, ok := o.Named[n]; !ok || n != strings.ToLower(n) {
				t.Fatalf("option %q missing or not lower case: %v", n, o.Named)
			}
		}
		if len(o.Pos)+len(o.Order) > len(args) {
			t.Fatalf("%d positionals and %d options from %d args", len(o.Pos), len(o.Order), len(args))
		}
	})
}

// FuzzBatch runs arbitrary batch files: nothing may panic, and a run
// never leaves a candidate behind.
func FuzzBatch(f *testing.F) {
	for _, s := range []string{
		"sethostname a.example.com\ncommit \"one\"\n",
		"# comment\n\nsethostname b.example.com\nsetssh x\ncommit\n",
		"tophosts\nhoststatus example.com\nfindevent --mid 7\nshowrecipients --all\n",
		"rollbackconfig 1\nrollbackconfig 0\nrollbackconfig -1\nloadconfig /dev/zero\nloadconfig\n",
		"help\nhelp commit\nshowchanges\nclear\nquit\ncommit\n",
		"breakconfig\ncommit\n",
		"\"unterminated\nsaveconfig\nshowconfig\n",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, file string) {
		st := store.NewMemory(store.Default("", ""))
		defer st.Close()
		s := &shell.Session{
			User: "admin", Role: store.RoleAdmin, Source: "fuzz", Store: st, Mail: &fakeMail{},
			Commands: testRegistry(), Out: discard{}, Err: discard{}, DataDir: dir,
		}
		s.RunBatch("fuzz.txt", strings.NewReader(file))
		if s.Dirty() {
			t.Fatal("batch run left a candidate")
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
