package layering

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rule says what the packages matching from may depend on, directly or
// through other packages of the module. Patterns are import paths; a
// trailing "/..." also matches the path itself and everything below it.
type rule struct {
	from string
	// deny lists what from must not depend on.
	deny []string
	// only, when not nil, lists all that from may depend on in the
	// module (besides itself).
	only []string
	why  string
}

// testSupport matches the packages that exist for tests (harnesses,
// fakes, end-to-end suites): their names end in "test".
const testSupport = "*test"

// rules is seg's layering (STYLE "Our own tree", issue 9). cmd/seg wires
// everything and may import anything.
var rules = []rule{
	{from: "seg/shell/...", deny: []string{"seg/mta/..."},
		why: "the shell reaches the mail system only through shell.MailSystem, which cmd/seg wires; it must build and run (offline, tests) without an MTA"},
	{from: "seg/mta/...", deny: []string{"seg/shell/..."},
		why: "the MTA serves the shell through MailSystem's typed methods (request types in internal/mailapi); it must not know the shell exists"},
	{from: "seg/store/...", only: []string{"seg/internal/address", "seg/internal/confdir"},
		why: "store is the leaf every layer reads the configuration from: anything it imported would be under every layer, and anything above it a cycle"},
	{from: "seg/internal/...", deny: []string{"seg/mta/...", "seg/shell/..."},
		why: "internal/ holds helpers below the layers (addresses, files, sockets, SSH, test harnesses); they take what they need as parameters"},
	{from: "seg/internal/mailapi", only: []string{},
		why: "the shell-MTA request types are the contract both sides import; a dependency here would reach into both"},
	{from: "seg/mta/smtpd", deny: []string{"seg/mta/delivery", "seg/mta/tdc"},
		why: "receiving does not depend on sending: journal copies come through smtpd.Deps.Journal, wired by mta/mta.go"},
	{from: "seg/mta/mailpolicy", deny: []string{"seg/mta/tdc", "seg/mta/delivery", "seg/mta/smtpd"},
		why: "the mail-policy split is a mail-policy concept; the TDC and the SMTP server consume it, not the other way round"},
	{from: "seg/...", deny: []string{"seg/internal/segtest", testSupport},
		why: "test harnesses (fake clocks, binaries built with go build, recording sinks) are for tests only and must never be linked into seg; only test files and other test-support packages use them"},
}

// match reports whether path matches pattern (see rule).
func match(pattern, path string) bool {
	if pattern == testSupport {
		return strings.HasSuffix(path, "test")
	}
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == p || strings.HasPrefix(path, p+"/")
	}
	return path == pattern
}

// exempt: a test-support package may use the others; the rule against
// them is for production code.
func exempt(r rule, pkg string) bool {
	return slices.Contains(r.deny, testSupport) && match(testSupport, pkg)
}

// check returns one line per violation in graph (package -> its imports
// within the module), naming the import chain that breaks the rule.
func check(graph map[string][]string, rules []rule) []string {
	pkgs := make([]string, 0, len(graph))
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	var bad []string
	for _, r := range rules {
		for _, p := range pkgs {
			if !match(r.from, p) || exempt(r, p) {
				continue
			}
			for _, dep := range deps(graph, p) {
				if broken(r, dep[len(dep)-1]) && !reported(r, dep) {
					bad = append(bad, fmt.Sprintf("%s (rule %q: %s)", strings.Join(dep, " -> "), r.from, r.why))
				}
			}
		}
	}
	return bad
}

// reported: a chain through a package that breaks r itself, or that r
// covers (and so is checked on its own), adds nothing to that package's
// line; only the first offending import is worth a line.
func reported(r rule, chain []string) bool {
	for _, x := range chain[1 : len(chain)-1] {
		if broken(r, x) || match(r.from, x) && !exempt(r, x) {
			return true
		}
	}
	return false
}

// broken reports whether depending on dep breaks r.
func broken(r rule, dep string) bool {
	for _, d := range r.deny {
		if match(d, dep) {
			return true
		}
	}
	return r.only != nil && !match(r.from, dep) && !slices.Contains(r.only, dep)
}

// deps returns, for every package p depends on, the shortest import chain
// from p to it (breadth first), in a stable order.
func deps(graph map[string][]string, p string) [][]string {
	chain := map[string][]string{p: {p}}
	queue := []string{p}
	var out [][]string
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, next := range graph[cur] {
			if _, seen := chain[next]; seen {
				continue
			}
			chain[next] = append(slices.Clip(chain[cur]), next)
			out = append(out, chain[next])
			queue = append(queue, next)
		}
	}
	return out
}

// goTool finds the go command: go test puts $GOROOT/bin first on the
// test's PATH, GOROOT is the fallback.
func goTool(t *testing.T) string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	t.Fatal("the layering test needs the go command to list the module's imports: put go on PATH (or set GOROOT) and run it with go test")
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// moduleGraph lists every package of the module with its non-test
// imports within the module.
func moduleGraph(t *testing.T) map[string][]string {
	cmd := exec.Command(goTool(t), "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "seg/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	graph := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var seg []string
		for _, imp := range f[1:] {
			if match("seg/...", imp) {
				seg = append(seg, imp)
			}
		}
		graph[f[0]] = seg
	}
	if len(graph) < 10 {
		t.Fatalf("go list found %d packages; the module has more:\n%s", len(graph), out)
	}
	return graph
}

func TestLayering(t *testing.T) {
	graph := moduleGraph(t)
	for _, l := range check(graph, rules) {
		t.Error(l)
	}
	// A rule whose packages were renamed away would pass forever.
	for _, r := range rules {
		found := false
		for p := range graph {
			found = found || match(r.from, p)
		}
		if !found {
			t.Errorf("rule %q matches no package of the module: update the rules", r.from)
		}
		for _, d := range append(slices.Clone(r.deny), r.only...) {
			found := false
			for p := range graph {
				found = found || match(d, p)
			}
			if !found {
				t.Errorf("rule %q names %q, which is no package of the module: update the rules", r.from, d)
			}
		}
	}
}

// TestRulesCatch: each rule fires on a graph that breaks it, through
// other packages too, and the harnesses may use each other.
func TestRulesCatch(t *testing.T) {
	graph := map[string][]string{
		"seg/cmd/seg":          {"seg/shell", "seg/mta", "seg/store"},
		"seg/shell":            {"seg/shell/helper", "seg/store"},
		"seg/shell/helper":     {"seg/mta/report"}, // shell -> mta, through a helper
		"seg/mta":              {"seg/shell", "seg/mta/smtpd"},
		"seg/mta/report":       nil,
		"seg/mta/smtpd":        {"seg/mta/mailpolicy"},
		"seg/mta/mailpolicy":   {"seg/mta/tdc"}, // and so smtpd -> tdc
		"seg/mta/tdc":          {"seg/mta/delivery"},
		"seg/mta/delivery":     nil,
		"seg/store":            {"seg/internal/address", "seg/internal/netbind"},
		"seg/internal/address": nil,
		"seg/internal/netbind": nil,
		"seg/internal/confdir": {"seg/shell"},
		"seg/internal/mailapi": {"seg/internal/address"},
		"seg/internal/segtest": {"seg/store"},
		"seg/shell/shelltest":  {"seg/internal/segtest"}, // allowed: a harness
		"seg/internal/sshd":    {"seg/shell/shelltest"},
	}
	got := strings.Join(check(graph, rules), "\n")
	for _, want := range []string{
		"seg/shell/helper -> seg/mta/report (rule \"seg/shell/...\"",
		"seg/mta -> seg/shell (rule \"seg/mta/...\"",
		"seg/store -> seg/internal/netbind (rule \"seg/store/...\"",
		"seg/internal/confdir -> seg/shell (rule \"seg/internal/...\"",
		"seg/internal/mailapi -> seg/internal/address (rule \"seg/internal/mailapi\"",
		"seg/mta/smtpd -> seg/mta/mailpolicy -> seg/mta/tdc (rule \"seg/mta/smtpd\"",
		"seg/mta/mailpolicy -> seg/mta/tdc (rule \"seg/mta/mailpolicy\"",
		"seg/internal/sshd -> seg/shell/shelltest (rule \"seg/...\"",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no violation %s...\ngot:\n%s", want, got)
		}
	}
	for _, fine := range []string{
		"seg/cmd/seg -> ", // cmd wires everything
		"seg/shell/shelltest -> seg/internal/segtest (", // harnesses may use each other
		"seg/internal/segtest -> ",
		"seg/store -> seg/internal/address ",
		// Once per offending import: not again through the package that breaks the rule.
		"seg/shell -> seg/shell/helper -> seg/mta/report (rule \"seg/shell/...\"",
		"seg/mta/tdc -> seg/mta/delivery (rule \"seg/mta/smtpd\"",
		"seg/shell/shelltest -> seg/internal/segtest (rule \"seg/...\"",
	} {
		if strings.Contains(got, fine) {
			t.Errorf("reported %s...\ngot:\n%s", fine, got)
		}
	}
}
