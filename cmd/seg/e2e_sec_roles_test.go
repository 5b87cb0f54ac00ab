package main

// The role table (issue 8, point 2): every role x every command that
// changes the configuration or acts on the mail system (and the read
// commands lower roles may run) x every way into the shell, on one
// appliance. Each cell states its expected outcome, and the test checks
// the effect on the running configuration, not only the message.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/store"
)

type outcome int

const (
	allowed          outcome = iota
	refusedAtCommand         // "You are not in the correct access group ..."
	refusedAtCommit          // staged with a warning, commit refuses, nothing changes
)

func (o outcome) String() string {
	return [...]string{"allowed", "refused at command", "refused at commit"}[o]
}

// The four roles, and the account of each on the appliance.
var (
	tableRoles = []string{store.RoleAdmin, store.RoleOperator, store.RoleReadOnly, store.RoleGuest}
	roleUser   = map[string]string{store.RoleAdmin: "admin", store.RoleOperator: "op", store.RoleReadOnly: "ro", store.RoleGuest: "gu"}
)

const tablePrompt = "seg.localdomain> "

// classify reads the outcome of a cell from what the session showed.
func classify(out string) outcome {
	switch {
	case strings.Contains(out, "The changes were not committed: user") && strings.Contains(out, "may not change"):
		return refusedAtCommit
	case strings.Contains(out, "You are not in the correct access group to use this command"),
		strings.Contains(out, "You are not in the correct access group to make configuration changes"),
		strings.Contains(out, "You are not in the correct access group to change"):
		return refusedAtCommand
	}
	return allowed
}

// table is the shared state of the role table test.
type table struct {
	a       *segtest.Appliance
	keys    map[string]userKey // by user
	victim  userKey            // the key of the users made to be changed
	origSSH int
	world   sync.RWMutex // exclusive cells take it for writing
	locks   sync.Map     // name -> *sync.Mutex
	seq     atomic.Int64
	saveMu  sync.Mutex
	pendMu  sync.Mutex
	pending []func(top *testing.T, v *view) // deferred checks
}

func (tb *table) lock(name string) func() {
	m, _ := tb.locks.LoadOrStore(name, &sync.Mutex{})
	m.(*sync.Mutex).Lock()
	return m.(*sync.Mutex).Unlock
}

// saveconfig runs f, which may save the configuration, and moves what
// it saved out of saveconfig's way: the files are named by the second,
// and a second save in the same second would find its name taken. It
// returns the paths the saved files were moved to.
func (tb *table) saveconfig(t *testing.T, id string, f func()) []string {
	t.Helper()
	tb.saveMu.Lock()
	defer tb.saveMu.Unlock()
	f()
	saved, _ := filepath.Glob(filepath.Join(tb.a.Dir, "configuration", "seg-config-*.json"))
	var moved []string
	for i, p := range saved {
		to := filepath.Join(tb.a.Dir, "configuration", fmt.Sprintf("saved-%s-%d.json", id, i))
		if err := os.Rename(p, to); err != nil {
			t.Fatal(err)
		}
		moved = append(moved, to)
	}
	return moved
}

// cell is one role x command x way.
type cell struct {
	t      *testing.T
	tb     *table
	id     string // unique, usable in user, domain and group names
	seq    int64  // unique number
	role   string
	user   string
	way    string
	data   map[string]string
	before *store.Config // exclusive cells: the running config before
}

// roleCommand is one row group of the table: a command and what each
// role may do with it.
type roleCommand struct {
	name string
	want [4]outcome // admin, operator, readonly, guest
	// exclusive: the cell runs alone (it moves SSH or replaces the
	// whole tree), unless it is refused at command and so stages nothing.
	exclusive bool
	lock      string // cells of commands with the same lock run one at a time
	prepare   func(c *cell, want outcome)
	// lines are the batch lines; a bare "commit" gets the cell id as its
	// comment (batch) or answers the comment question (terminal).
	lines func(c *cell) []string
	// steps, when set, replace lines in interactive sessions.
	steps func(c *cell) []step
	ok    string // what an allowed run prints
	// commitsAtOnce: the interactive form commits in the same command
	// (rollbackconfig's "commit now"), so no staging warning comes first.
	commitsAtOnce bool
	// check asserts the effect on the running system of outcome o, as v
	// shows it. Checks of changes that later cells keep run at the end,
	// on one view for all (deferCheck); the others at once.
	check      func(c *cell, o outcome, v *view)
	deferCheck bool
}

// batchLines is the batch form of lines.
func batchLines(c *cell, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if l == "commit" {
			l = "commit " + c.id
		}
		out[i] = l
	}
	return out
}

// termSteps is the interactive form of lines.
func termSteps(c *cell, rc roleCommand) []step {
	if rc.steps != nil {
		return rc.steps(c)
	}
	var out []step
	for _, l := range rc.lines(c) {
		out = append(out, step{line: l})
		if l == "commit" {
			out = append(out, step{line: c.id, answer: true})
		}
	}
	return out
}

// wayIn is one way into the shell.
type wayIn struct {
	name, short string
	roles       []string
	// run runs the cell and returns what it showed and its exit status
	// (-1: an interactive session has none).
	run func(c *cell, rc roleCommand) (string, int)
}

func tableWays(tb *table, console *segtest.Terminal) []wayIn {
	return []wayIn{
		{name: "ssh-terminal", short: "st", roles: tableRoles, run: func(c *cell, rc roleCommand) (string, int) {
			return sshTerminal(c.t, tb.a.SSHPort, c.user, tb.keys[c.user], tablePrompt, termSteps(c, rc)), -1
		}},
		{name: "ssh-oneshot", short: "so", roles: tableRoles, run: func(c *cell, rc roleCommand) (string, int) {
			return sshAs(c.t, tb.a.SSHPort, c.user, tb.keys[c.user], strings.Join(batchLines(c, rc.lines(c)), " ; "), "")
		}},
		{name: "cli-oneshot", short: "co", roles: tableRoles, run: func(c *cell, rc roleCommand) (string, int) {
			out, errOut, code := tb.a.Cli("-u", c.user, strings.Join(batchLines(c, rc.lines(c)), " ; "))
			return out + errOut, code
		}},
		{name: "cli-batch", short: "cb", roles: tableRoles, run: func(c *cell, rc roleCommand) (string, int) {
			f := filepath.Join(c.t.TempDir(), c.id+".batch")
			if err := os.WriteFile(f, []byte(strings.Join(batchLines(c, rc.lines(c)), "\n")+"\n"), 0o600); err != nil {
				c.t.Fatal(err)
			}
			out, errOut, code := tb.a.Cli("-u", c.user, "-f", f)
			return out + errOut, code
		}},
		// The console is the operator at the appliance's own terminal,
		// as an administrator (cmd/seg console.go).
		{name: "console", short: "cn", roles: []string{store.RoleAdmin}, run: func(c *cell, rc roleCommand) (string, int) {
			out := drive(c.t, console, tablePrompt, termSteps(c, rc))
			drive(c.t, console, tablePrompt, []step{{line: "clear"}, {line: "Y", answer: true}})
			return out, -1
		}},
	}
}

func TestRoleTable(t *testing.T) {
	segtest.Tool(t, "ssh")
	keyDir := t.TempDir()
	tb := &table{keys: map[string]userKey{}}
	setup := []string{}
	for _, role := range tableRoles {
		u := roleUser[role]
		tb.keys[u] = newUserKey(t, keyDir, u)
		if u == "admin" {
			setup = append(setup, fmt.Sprintf("userconfig edit admin --sshkey %q", tb.keys[u].line))
		} else {
			setup = append(setup, fmt.Sprintf("userconfig new %s --role %s --sshkey %q", u, role, tb.keys[u].line))
		}
	}
	tb.victim = newUserKey(t, keyDir, "victim")
	ways := tableWays(tb, nil)
	for _, w := range ways {
		for _, role := range w.roles {
			for _, p := range []string{"va", "vb"} {
				setup = append(setup, fmt.Sprintf("userconfig new %s%s%s --role guest --sshkey %q", p, role, w.short, tb.victim.line))
			}
		}
	}
	tb.a = segtest.New(t, setup...)
	tb.origSSH = tb.a.SSHPort
	console := tb.a.StartConsole()
	if _, err := console.WaitStart(30*time.Second, tablePrompt); err != nil {
		t.Fatalf("console: %v", err)
	}
	ways = tableWays(tb, console)
	cmds := tableCommands(tb)

	var cells atomic.Int64
	start := time.Now()
	t.Run("ways", func(t *testing.T) {
		for _, w := range ways {
			t.Run(w.name, func(t *testing.T) {
				t.Parallel()
				for _, role := range w.roles {
					for _, rc := range cmds {
						runCell(t, tb, w, role, rc)
						cells.Add(1)
					}
				}
			})
		}
	})
	final := &view{t: t, a: tb.a}
	for _, check := range tb.pending {
		check(t, final)
	}
	t.Logf("%d cells in %v", cells.Load(), time.Since(start).Round(time.Millisecond))
	if n := int(cells.Load()); n != len(cmds)*(4*4+1) {
		t.Errorf("%d cells ran, want %d", n, len(cmds)*(4*4+1))
	}
}

func runCell(t *testing.T, tb *table, w wayIn, role string, rc roleCommand) {
	t.Helper()
	ri := 0
	for i, r := range tableRoles {
		if r == role {
			ri = i
		}
	}
	c := &cell{t: t, tb: tb, role: role, user: roleUser[role], way: w.short, data: map[string]string{}}
	c.seq = tb.seq.Add(1)
	c.id = fmt.Sprintf("%s%s%d", role[:2], w.short, c.seq)
	want := rc.want[ri]
	exclusive := rc.exclusive && want != refusedAtCommand
	if exclusive {
		tb.world.Lock()
		defer tb.world.Unlock()
	} else {
		tb.world.RLock()
		defer tb.world.RUnlock()
	}
	if rc.lock != "" {
		defer tb.lock(rc.lock)()
	}
	if rc.prepare != nil {
		rc.prepare(c, want)
	}
	if exclusive {
		c.before = runningConfig(t, tb.a)
	}
	var out string
	var code int
	if rc.lock == "saveconfig" {
		saved := tb.saveconfig(t, c.id, func() { out, code = w.run(c, rc) })
		c.data["saved"] = strings.Join(saved, " ")
	} else {
		out, code = w.run(c, rc)
	}
	name := fmt.Sprintf("%s as %s (%s) via %s [%s]", rc.name, c.user, role, w.name, c.id)
	if got := classify(out); got != want {
		t.Errorf("%s: %v, want %v\n%s", name, got, want, out)
		return
	}
	switch {
	case code >= 0 && want == allowed && code != 0:
		t.Errorf("%s: exit status %d, want 0\n%s", name, code, out)
	case code >= 0 && want != allowed && code != 1:
		t.Errorf("%s: exit status %d, want 1\n%s", name, code, out)
	case want == allowed && rc.ok != "" && !strings.Contains(out, rc.ok):
		t.Errorf("%s: the output lacks %q\n%s", name, rc.ok, out)
	case want == refusedAtCommit && !(rc.commitsAtOnce && code < 0) &&
		!strings.Contains(out, "Warning: You are not in the correct access group to commit changes to"):
		t.Errorf("%s: no warning when the change was staged\n%s", name, out)
	case want == refusedAtCommit && !strings.Contains(out, "Nothing was changed."):
		t.Errorf("%s: the refusal does not say that nothing changed\n%s", name, out)
	}
	switch {
	case rc.check == nil:
	case rc.deferCheck:
		tb.pendMu.Lock()
		tb.pending = append(tb.pending, func(top *testing.T, v *view) { c.t = top; rc.check(c, want, v) })
		tb.pendMu.Unlock()
	default:
		rc.check(c, want, &view{t: t, a: tb.a})
	}
	if exclusive && want != allowed {
		if after := runningConfig(t, tb.a); !after.Equal(c.before) {
			t.Errorf("%s: the running configuration changed: %v", name, store.Changes(c.before, after))
		}
	}
}
