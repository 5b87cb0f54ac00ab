package shell_test

import (
	"reflect"
	"strings"
	"testing"

	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

// A table of operations on a list of names: what the configuration
// commands derive from their tables, tested on a small one.

type nameList struct{ list []string }

func namesTable() *shell.Table[*nameList] {
	return &shell.Table[*nameList]{Prefix: "names", Denied: "change names", Ops: []shell.Operation[*nameList]{
		{Name: "new", Desc: "Add a name.", Usage: []string{"NAME", "NAME --twice"}, Access: shell.AccessOperator,
			Batch: func(c *shell.Ctx, n *nameList, args []string) error {
				switch {
				case len(args) == 2 && args[1] == "--twice":
					n.list = append(n.list, args[0], args[0])
				case len(args) == 2:
					return shell.UsageOf("NAME --twice")
				case len(args) != 1:
					return shell.ErrUsage
				default:
					n.list = append(n.list, args[0])
				}
				return nil
			},
			Menu: func(c *shell.Ctx, n *nameList) error {
				v, err := shell.AskRequired(c, "Name?", "", nil)
				n.list = append(n.list, v)
				return err
			}},
		{Name: "delete", Desc: "Remove the last name.",
			Batch: func(c *shell.Ctx, n *nameList, args []string) error { n.list = n.list[:len(n.list)-1]; return nil },
			Menu: func(c *shell.Ctx, n *nameList) error {
				if len(n.list) == 1 {
					return shell.Errorf("Keep one name.")
				}
				n.list = n.list[:len(n.list)-1]
				return nil
			},
			Shown:    func(c *shell.Ctx, n *nameList) bool { return len(n.list) > 0 },
			Complete: func(c *shell.Ctx, n *nameList, args []string) []string { return n.list }},
		{Name: "clear", Desc: "Remove all names.", Aliases: []string{"reset"},
			Batch: func(c *shell.Ctx, n *nameList, args []string) error { n.list = nil; return nil },
			Menu:  func(c *shell.Ctx, n *nameList) error { n.list = nil; return nil }},
		{Name: "print", Desc: "Print the names.",
			Batch: func(c *shell.Ctx, n *nameList, args []string) error { c.Printf("%v\n", n.list); return nil }},
		{Name: "shout", Desc: "Print the names loudly.",
			Menu: func(c *shell.Ctx, n *nameList) error {
				c.Printf("%s\n", strings.ToUpper(strings.Join(n.list, " ")))
				return nil
			}},
	}}
}

// tableCtx is a context of role whose input is lines.
func tableCtx(role string, lines ...string) (*shell.Ctx, *strings.Builder) {
	screen := &strings.Builder{}
	s := &shell.Session{Role: role, In: &shelltest.ScriptReader{Lines: lines, Out: screen}, Out: screen}
	return &shell.Ctx{S: s, Out: screen}, screen
}

func TestTableDerived(t *testing.T) {
	tb := namesTable()
	if got, want := tb.Names(), []string{"new", "delete", "clear", "print"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
	if got, want := tb.Usage(), []string{"names new NAME", "names new NAME --twice", "names delete", "names clear", "names print"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Usage = %q, want %q", got, want)
	}
	want := []shell.OpDoc{
		{Batch: "new", Menu: "EDIT > NEW", Desc: "Add a name.", Access: shell.AccessOperator},
		{Batch: "delete", Menu: "EDIT > DELETE", Desc: "Remove the last name.", Access: shell.AccessReadOnly},
		{Batch: "clear", Menu: "EDIT > CLEAR", Desc: "Remove all names.", Access: shell.AccessReadOnly},
		{Batch: "print", Desc: "Print the names.", Access: shell.AccessReadOnly},
		{Menu: "EDIT > SHOUT", Desc: "Print the names loudly.", Access: shell.AccessReadOnly},
	}
	if got := tb.Docs("names", "EDIT", shell.AccessReadOnly); !reflect.DeepEqual(got, want) {
		t.Errorf("Docs =\n%+v\nwant\n%+v", got, want)
	}
	c, _ := tableCtx(store.RoleAdmin)
	n := &nameList{}
	if got := tb.Complete(c, n, []string{""}); !reflect.DeepEqual(got, []string{"new", "clear", "print"}) {
		t.Errorf("Complete with no names = %q (delete is not shown)", got)
	}
	n.list = []string{"a", "b"}
	if got := tb.Complete(c, n, []string{"DELETE", ""}); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Complete delete = %q", got)
	}
}

func TestTableBatch(t *testing.T) {
	tb := namesTable()
	c, screen := tableCtx(store.RoleOperator)
	n := &nameList{}
	for _, line := range [][]string{{"new", "a"}, {"NEW", "b", "--twice"}, {"reset"}, {"new", "c"}, {"print"}} {
		if err := tb.Batch(c, n, line); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
	}
	if screen.String() != "[c]\n" {
		t.Errorf("print: %q", screen.String())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frob"}, `Unknown names operation "frob" (accepted: new, delete, clear, print).`},
		{[]string{"shout"}, `Unknown names operation "shout" (accepted: new, delete, clear, print).`},
		{nil, "Usage: names new NAME\n       names new NAME --twice\n       names delete\n       names clear\n       names print"},
		{[]string{"new"}, "Usage: names new NAME\n       names new NAME --twice"},
		{[]string{"new", "a", "b"}, "Usage: names new NAME --twice"},
	} {
		err := tb.Batch(c, n, tc.args)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
	}
	ro, _ := tableCtx(store.RoleReadOnly)
	if err := tb.Batch(ro, n, []string{"new", "x"}); err == nil || err.Error() != "You are not in the correct access group to change names." {
		t.Errorf("readonly new: %v", err)
	}
	if err := tb.Batch(ro, n, []string{"print"}); err != nil {
		t.Errorf("readonly print: %v", err)
	}
}

// The menu offers the operations with a menu form that are Shown now,
// runs the chosen one, prints a UserError and goes on.
func TestTableMenu(t *testing.T) {
	tb := namesTable()
	c, screen := tableCtx(store.RoleAdmin, "new", "a", "delete", "sh", "")
	n := &nameList{}
	if err := tb.Menu(c, n, func() { c.Printf("\n%d names.\n", len(n.list)) }); err != nil {
		t.Fatal(err)
	}
	want := `
0 names.

Choose the operation you want to perform:
- NEW - Add a name.
- CLEAR - Remove all names.
- SHOUT - Print the names loudly.
[]> new

Name?
[]> a

1 names.

Choose the operation you want to perform:
- NEW - Add a name.
- DELETE - Remove the last name.
- CLEAR - Remove all names.
- SHOUT - Print the names loudly.
[]> delete
Keep one name.

1 names.

Choose the operation you want to perform:
- NEW - Add a name.
- DELETE - Remove the last name.
- CLEAR - Remove all names.
- SHOUT - Print the names loudly.
[]> sh
A

1 names.

Choose the operation you want to perform:
- NEW - Add a name.
- DELETE - Remove the last name.
- CLEAR - Remove all names.
- SHOUT - Print the names loudly.
[]> 
`
	if screen.String() != want {
		t.Errorf("menu:\n%s", shelltest.Diff(want, screen.String()))
	}

	// Once: one operation, then back.
	c, _ = tableCtx(store.RoleAdmin, "reset")
	if err := tb.Once(c, n); err != nil || len(n.list) != 0 {
		t.Errorf("Once reset: %v, %q", err, n.list)
	}
	// An operation above the role is refused in the menu too.
	c, screen = tableCtx(store.RoleReadOnly, "new", "")
	if err := tb.Menu(c, n, func() {}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(screen.String(), "[]> new\nYou are not in the correct access group to change names.\n") {
		t.Errorf("readonly NEW:\n%s", screen.String())
	}
}
