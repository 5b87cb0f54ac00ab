package commands

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/commands.md")

// TestCommandsDoc keeps docs/commands.md equal to the command table.
func TestCommandsDoc(t *testing.T) {
	const path = "../../docs/commands.md"
	got := Markdown(Registry())
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Fatal("docs/commands.md is out of date: run go test ./shell/commands -update")
	}
}

// TestEveryCommandDocumented: each command has help and a batch form.
func TestEveryCommandDocumented(t *testing.T) {
	for _, c := range Registry().All() {
		if c.Help == "" {
			t.Errorf("%s has no help text", c.Name)
		}
		if len(c.Usage) == 0 {
			t.Errorf("%s has no batch form in Usage", c.Name)
		}
	}
}
