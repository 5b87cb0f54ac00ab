package commands

import (
	"fmt"
	"strings"

	"seg/shell"
)

var accessNames = map[shell.Access]string{
	shell.AccessGuest:    "guest",
	shell.AccessReadOnly: "readonly",
	shell.AccessOperator: "operator",
	shell.AccessAdmin:    "admin",
}

// Markdown renders docs/commands.md from the command table, so the
// reference cannot drift from what the shell accepts.
func Markdown(r *shell.Registry) string {
	var b strings.Builder
	b.WriteString("# seg commands\n\n")
	b.WriteString("Generated from the command table (`go test ./shell/commands -update` rewrites it).\n\n")
	b.WriteString("Every command typed **without arguments is interactive**, AsyncOS style: it prints its state,\n")
	b.WriteString("then `Choose the operation you want to perform:` with `- NAME - description.` lines and a `[]>`\n")
	b.WriteString("prompt; questions show their default in brackets; an empty answer goes up one level; Ctrl-C\n")
	b.WriteString("abandons the command without changing anything. The operations of each command are listed\n")
	b.WriteString("below with their menu path and their **batch form** (a few are menu or batch only), for scripts\n")
	b.WriteString("(`seg cli -f FILE`, `seg cli 'CMD ; CMD'`, `ssh admin@host 'CMD'`). `--PARAM=VALUE`,\n")
	b.WriteString("`--PARAM VALUE` and `PARAM=VALUE` are equivalent;\n")
	b.WriteString("sizes accept `10M`, `512k`; durations `30s`, `5m`, `1h`, `2d`. Where a setting has a level\n")
	b.WriteString("above it (a destconfig domain entry, a mail flow policy, a bounce profile), the value `default`\n")
	b.WriteString("(any case; also the answer to a value question) means \"no value of its own: use the one above\".\n")
	b.WriteString("Configuration changes are staged in the session's candidate and apply only at `commit`.\n\n")
	b.WriteString("Roles: `guest` < `readonly` < `operator` < `admin`; each command names the least role allowed.\n\n")
	b.WriteString("| command | role | what it does |\n|---|---|---|\n")
	for _, c := range r.All() {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s |\n", c.Name, c.Name, accessNames[c.Access], c.Help)
	}
	for _, c := range r.All() {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\nRole: %s.", c.Name, c.Help, accessNames[c.Access])
		if len(c.Sub) > 0 && len(c.Ops) == 0 {
			fmt.Fprintf(&b, " Operations: %s.", strings.Join(c.Sub, ", "))
		}
		b.WriteString("\n")
		if len(c.Ops) > 0 {
			b.WriteString("\n| batch form | menu | role | what it does |\n|---|---|---|---|\n")
			for _, op := range c.Ops {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", code(c.Name, op.Batch), or(op.Menu, "-"), accessNames[op.Access], op.Desc)
			}
		}
		if len(c.Usage) > 0 {
			b.WriteString("\n```\n")
			for _, u := range c.Usage {
				b.WriteString(u + "\n")
			}
			b.WriteString("```\n")
		}
	}
	return b.String()
}

// code is a batch form as Markdown code, "-" when there is none.
func code(cmd, form string) string {
	if form == "" {
		return "-"
	}
	return "`" + cmd + " " + form + "`"
}

func or(s, none string) string {
	if s == "" {
		return none
	}
	return s
}
