package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// The README's tour (its fenced blocks marked <!-- tour -->) run as a
// newcomer would, so that the README stays true. A block's lines:
//
//	$ CMD            a shell command, run in a directory that holds
//	                 bin/seg and the appliance's data
//	HOST> LINE       a line typed into the `seg cli` of the $ line above
//	…                lines left out
//	anything else    a line the command prints; "…" in it stands for
//	                 any text, and runs of blanks count as one
//
// The marker says how the block runs: <!-- tour --> runs each command
// to its end and wants exit 0; <!-- tour: until --> runs it again
// until its lines match (it reads what the appliance writes in the
// background); <!-- tour: appliance --> is `make run`, for which the test
// starts `seg run` itself; <!-- tour: sink --> starts its command in
// the background; <!-- tour: sink output --> holds lines that command
// prints. The README's ports 2525, 2526 and 2222 become free ones.

// tourStep is one $ line of a tour block with what follows it.
type tourStep struct {
	line  int      // in README.md
	cmd   string   // "" in a sink output block
	input []string // the lines typed at a prompt
	want  []string
}

type tourBlock struct {
	kind  string // "", "until", "appliance", "sink" or "sink output"
	line  int
	steps []*tourStep
}

var (
	tourMarker = regexp.MustCompile(`^<!-- tour(?:: ([a-z ]+))? -->$`)
	tourPrompt = regexp.MustCompile(`^[a-z0-9.-]+> (.*)$`)
)

// readTour parses the tour blocks of the markdown file path.
func readTour(t *testing.T, path string) []*tourBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []*tourBlock
	var cur *tourBlock
	inFence := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil:
			if m := tourMarker.FindStringSubmatch(line); m != nil {
				cur = &tourBlock{kind: m[1], line: n}
			}
		case !inFence:
			if !strings.HasPrefix(line, "```") {
				t.Fatalf("README.md:%d: a tour marker is not followed by a fenced block", cur.line)
			}
			inFence = true
		case strings.HasPrefix(line, "```"):
			blocks = append(blocks, cur)
			cur, inFence = nil, false
		default:
			addTourLine(t, cur, n, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("README.md:%d: the tour block does not end", cur.line)
	}
	return blocks
}

func addTourLine(t *testing.T, b *tourBlock, n int, line string) {
	t.Helper()
	last := func() *tourStep {
		if len(b.steps) == 0 {
			b.steps = append(b.steps, &tourStep{line: n})
		}
		return b.steps[len(b.steps)-1]
	}
	switch {
	case strings.HasPrefix(line, "$ "):
		b.steps = append(b.steps, &tourStep{line: n, cmd: strings.TrimPrefix(line, "$ ")})
	case strings.TrimSpace(line) == "…" || strings.TrimSpace(line) == "":
	case tourPrompt.MatchString(line):
		s := last()
		if s.cmd == "" {
			t.Fatalf("README.md:%d: a prompt line with no command before it", n)
		}
		s.input = append(s.input, tourPrompt.FindStringSubmatch(line)[1])
	default:
		s := last()
		s.want = append(s.want, line)
	}
}

// tourLineRE is the pattern of an expected line: "…" is any text.
func tourLineRE(want string) *regexp.Regexp {
	parts := strings.Split(strings.Join(strings.Fields(want), " "), "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

// tourMissing returns the first wanted line that out does not have, in
// order, or "" when all are there.
func tourMissing(out string, want []string) string {
	lines := strings.Split(out, "\n")
	i := 0
	for _, w := range want {
		re := tourLineRE(w)
		for i < len(lines) && !re.MatchString(strings.Join(strings.Fields(lines[i]), " ")) {
			i++
		}
		if i == len(lines) {
			return w
		}
		i++
	}
	return ""
}

func TestTourMatching(t *testing.T) {
	out := "a\nseg 0.1.0 running:  hostname x, data /tmp/d\nb\nc\n"
	for _, c := range []struct {
		want    []string
		missing string
	}{
		{[]string{"seg 0.1.0 running: hostname …, data …/d", "c"}, ""},
		{[]string{"a", "c"}, ""},
		{[]string{"c", "a"}, "a"}, // order counts
		{[]string{"seg … running: hostname y…"}, "seg … running: hostname y…"},
		{[]string{"b…"}, ""},
		{[]string{"b and more"}, "b and more"},
	} {
		if got := tourMissing(out, c.want); got != c.missing {
			t.Errorf("tourMissing(%q) = %q, want %q", c.want, got, c.missing)
		}
	}
}

func TestReadmeTour(t *testing.T) {
	swaks := segtest.Tool(t, "swaks")
	blocks := readTour(t, filepath.Join("..", "..", "README.md"))
	kinds := map[string]int{}
	for _, b := range blocks {
		kinds[b.kind]++
	}
	// Markers lost in an edit must not turn the test into a no-op.
	for _, k := range []string{"appliance", "sink", "sink output", "", "until"} {
		if kinds[k] == 0 {
			t.Fatalf("README.md has no <!-- tour: %s --> block (blocks: %v)", k, kinds)
		}
	}

	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(segtest.Binary(t), filepath.Join(dir, "bin", "seg")); err != nil {
		t.Fatal(err)
	}
	a := segtest.Open(t, filepath.Join(dir, "data"))
	a.Configure()
	ports := map[string]string{
		"2525": strconv.Itoa(a.SMTPPort),
		"2222": strconv.Itoa(a.SSHPort),
		"2526": strconv.Itoa(segtest.FreePort(t)),
	}
	portRE := regexp.MustCompile(`\b(2525|2526|2222)\b`)
	local := func(s string) string {
		return portRE.ReplaceAllStringFunc(s, func(p string) string { return ports[p] })
	}
	env := append(segtest.Env(), "PATH="+filepath.Dir(swaks)+string(os.PathListSeparator)+os.Getenv("PATH"))
	shell := func(cmd string) *exec.Cmd {
		c := exec.Command("sh", "-c", cmd)
		c.Dir, c.Env = dir, env
		return c
	}

	var sinkOut *segtest.SyncBuffer
	for _, b := range blocks {
		for _, s := range b.steps {
			cmd := local(s.cmd)
			want := make([]string, len(s.want))
			for i, w := range s.want {
				want[i] = local(w)
			}
			where := fmt.Sprintf("README.md:%d", s.line)
			switch b.kind {
			case "appliance":
				if cmd != "make run" {
					t.Fatalf("%s: the appliance block runs %q; the test stands in for `make run` only", where, cmd)
				}
				a.Start()
				// Start returns once the control socket answers; the
				// startup lines may follow a moment later.
				if !segtest.Poll(10*time.Second, func() bool { return tourMissing(a.Stdout(), want) == "" }) {
					t.Fatalf("%s: seg run printed no line %q:\n%s", where, tourMissing(a.Stdout(), want), a.Output())
				}
			case "sink":
				if sinkOut != nil {
					t.Fatalf("%s: a second sink", where)
				}
				sinkOut = &segtest.SyncBuffer{}
				c := shell("exec " + cmd)
				c.Stdout, c.Stderr = sinkOut, sinkOut
				if err := c.Start(); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				t.Cleanup(func() { c.Process.Kill(); c.Wait() })
				if !segtest.Poll(30*time.Second, func() bool { return tourMissing(sinkOut.String(), want) == "" }) {
					t.Fatalf("%s: the sink printed no line %q:\n%s", where, tourMissing(sinkOut.String(), want), sinkOut)
				}
			case "sink output":
				if sinkOut == nil {
					t.Fatalf("%s: sink output before a sink", where)
				}
				if !segtest.Poll(30*time.Second, func() bool { return tourMissing(sinkOut.String(), want) == "" }) {
					t.Fatalf("%s: the sink printed no line %q:\n%s", where, tourMissing(sinkOut.String(), want), sinkOut)
				}
			case "", "until":
				stdin := ""
				for _, in := range s.input {
					stdin += local(in) + "\n"
				}
				var r segtest.Result
				missing := ""
				run := func() bool {
					var err error
					r, err = segtest.Exec(shell(cmd), stdin, 60*time.Second)
					if err != nil {
						t.Fatalf("%s: %s: %v\n%s", where, cmd, err, r)
					}
					missing = tourMissing(r.Stdout+r.Stderr, want)
					return r.Code == 0 && missing == ""
				}
				ok := run()
				if !ok && b.kind == "until" {
					ok = segtest.Poll(30*time.Second, run)
				}
				if !ok {
					t.Fatalf("%s: %s: want exit 0 and the line %q\n%s", where, cmd, missing, r)
				}
			default:
				t.Fatalf("README.md:%d: unknown tour block kind %q", b.line, b.kind)
			}
		}
	}
	a.Stop()
}
