package main

// The role table (issue 8, point 2): every role x every command that
// changes the configuration or acts on the mail system (and the read
// commands lower roles may run) x every way into the shell, on one
// appliance. Each cell states its expected outcome, and the test checks
// the effect on the running configuration, not only the message.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

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
func (tb *table) saveconfig(id string, f func()) []string {
	tb.saveMu.Lock()
	defer tb.saveMu.Unlock()
	f()
	saved, _ := filepath.Glob(filepath.Join(tb.a.Dir, "configuration", "seg-config-*.json"))
	var moved []string
	for i, p := range saved {
		to := filepath.Join(tb.a.Dir, "configuration", fmt.Sprintf("saved-%s-%d.json", id, i))
		if err := os.Rename(p, to); err != nil {
			panic(err)
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

// view is what checks look at: the running configuration and the work
// queue, each fetched (as admin) once per view.
type view struct {
	t  *testing.T
	a  *segtest.Appliance
	c  *store.Config
	wq string
}

func (v *view) cfg() *store.Config {
	if v.c == nil {
		v.c = runningConfig(v.t, v.a)
	}
	return v.c
}

func (v *view) workqueue() string {
	if v.wq == "" {
		v.wq = v.a.MustCli("workqueue")
	}
	return v.wq
}

// configHas reports whether the running configuration satisfies f.
func configHas(v *view, f func(cfg *store.Config) bool) bool { return f(v.cfg()) }

// expectPresent fails the cell unless what is present exactly when the
// cell was allowed.
func expectPresent(c *cell, o outcome, what string, present bool) {
	c.t.Helper()
	if present != (o == allowed) {
		c.t.Errorf("%s: %s present = %v after a cell that was %v", c.id, what, present, o)
	}
}

func tableCommands(tb *table) []roleCommand {
	A, C, K := allowed, refusedAtCommand, refusedAtCommit
	return []roleCommand{
		{name: "status", want: [4]outcome{A, A, A, A}, ok: "System status:",
			lines: func(c *cell) []string { return []string{"status"} }},
		{name: "tophosts", want: [4]outcome{A, A, A, A}, ok: "Recipient Host",
			lines: func(c *cell) []string { return []string{"tophosts 1"} }},
		{name: "showconfig", want: [4]outcome{A, A, A, C}, ok: `"listeners"`,
			lines: func(c *cell) []string { return []string{"showconfig"} }},
		{name: "userconfig print", want: [4]outcome{A, C, C, C}, ok: "Users:",
			lines: func(c *cell) []string { return []string{"userconfig print"} }},
		{name: "suspenddel", want: [4]outcome{A, A, C, C}, ok: "Delivery suspended for", deferCheck: true,
			lines: func(c *cell) []string { return []string{"suspenddel sd-" + c.id + ".test"} },
			check: func(c *cell, o outcome, v *view) {
				expectPresent(c, o, "the suspension", strings.Contains(v.workqueue(), "sd-"+c.id+".test"))
			}},
		{name: "smtproutes new", want: [4]outcome{A, A, C, C}, ok: "Changes committed", deferCheck: true,
			lines: func(c *cell) []string {
				return []string{"smtproutes new rt-" + c.id + ".test 192.0.2.1", "commit"}
			},
			check: func(c *cell, o outcome, v *view) {
				expectPresent(c, o, "the route", configHas(v, func(cfg *store.Config) bool {
					for _, r := range cfg.System.Routes {
						if r.Domain == "rt-"+c.id+".test" {
							return true
						}
					}
					return false
				}))
			}},
		{name: "destconfig edit DEFAULT", want: [4]outcome{A, A, C, C}, ok: "Changes committed", lock: "destconfig",
			lines: func(c *cell) []string {
				return []string{fmt.Sprintf("destconfig edit DEFAULT --max_host_concurrency=%d", 100+c.seq), "commit"}
			},
			check: func(c *cell, o outcome, v *view) {
				got := v.cfg().DestDefault["max_host_concurrency"]
				expectPresent(c, o, "the max_host_concurrency "+fmt.Sprint(100+c.seq), got == fmt.Sprint(100+c.seq))
			}},
		{name: "hostaccess new sendergroup", want: [4]outcome{A, A, C, C}, ok: "Changes committed", lock: "listener", deferCheck: true,
			lines: func(c *cell) []string {
				return []string{fmt.Sprintf("listenerconfig edit IncomingMail hostaccess new sendergroup SG_%s 10.77.%d.%d $TRUSTED", c.id, c.seq/250, c.seq%250+1), "commit"}
			},
			check: func(c *cell, o outcome, v *view) {
				expectPresent(c, o, "the sender group", configHas(v, func(cfg *store.Config) bool {
					for _, g := range cfg.Listener("IncomingMail").HAT.SenderGroups {
						if g.Name == "SG_"+c.id {
							return true
						}
					}
					return false
				}))
			}},
		{name: "sshconfig setup", want: [4]outcome{A, K, C, C}, ok: "Changes committed", exclusive: true,
			prepare: func(c *cell, _ outcome) { c.data["port"] = fmt.Sprint(segtest.FreePort(c.t)) },
			lines:   func(c *cell) []string { return []string{"sshconfig setup --port " + c.data["port"], "commit"} },
			check: func(c *cell, o outcome, v *view) {
				moved := fmt.Sprint(v.cfg().SSH.Port) == c.data["port"]
				expectPresent(c, o, "the new SSH port", moved)
				if moved {
					tb.a.MustCli(fmt.Sprintf("sshconfig setup --port %d ; commit restore", tb.origSSH))
					waitSSH(c.t, tb.origSSH, tb.keys["admin"])
				}
			}},
		{name: "userconfig new", want: [4]outcome{A, C, C, C}, ok: "Changes committed", deferCheck: true,
			lines: func(c *cell) []string {
				return []string{fmt.Sprintf("userconfig new u%s --role guest --sshkey %q", c.id, tb.victim.line), "commit"}
			},
			check: func(c *cell, o outcome, v *view) {
				expectPresent(c, o, "the new user", configHas(v, func(cfg *store.Config) bool { return cfg.User("u"+c.id) != nil }))
			}},
		{name: "userconfig edit --role admin", want: [4]outcome{A, C, C, C}, ok: "Changes committed", deferCheck: true,
			lines: func(c *cell) []string {
				return []string{"userconfig edit va" + c.role + c.way + " --role admin", "commit"}
			},
			check: func(c *cell, o outcome, v *view) {
				expectPresent(c, o, "the promotion", configHas(v, func(cfg *store.Config) bool {
					return cfg.User("va"+c.role+c.way).Role == store.RoleAdmin
				}))
			}},
		{name: "userconfig delete", want: [4]outcome{A, C, C, C}, ok: "Changes committed", deferCheck: true,
			lines: func(c *cell) []string { return []string{"userconfig delete vb" + c.role + c.way, "commit"} },
			check: func(c *cell, o outcome, v *view) {
				expectPresent(c, o, "the deletion", configHas(v, func(cfg *store.Config) bool { return cfg.User("vb"+c.role+c.way) == nil }))
			}},
		// The revision before the prepared one lacks user y<id>: rolling
		// back to it changes the user list. (Revision 1, the default,
		// lacks every user but admin.)
		{name: "rollbackconfig", want: [4]outcome{A, K, C, C}, ok: "Changes committed", exclusive: true, commitsAtOnce: true,
			prepare: func(c *cell, want outcome) {
				if want == refusedAtCommand {
					c.data["rev"] = "1"
					return
				}
				tb.a.MustCli(fmt.Sprintf("userconfig new y%s --role guest --sshkey %q ; commit prepare", c.id, tb.victim.line))
				c.data["rev"] = fmt.Sprint(currentRevision(c.t, tb.a) - 1)
			},
			lines: func(c *cell) []string { return []string{"rollbackconfig " + c.data["rev"], "commit"} },
			// Interactive: the menu, and its own "commit now" path.
			steps: func(c *cell) []step {
				return []step{{line: "rollbackconfig"}, {line: c.data["rev"], answer: true}, {line: "Y", answer: true}}
			},
			check: func(c *cell, o outcome, v *view) {
				if c.data["rev"] == "1" {
					if u := v.cfg().User("op"); u == nil || u.Role != store.RoleOperator {
						c.t.Errorf("%s: op is %+v after a refused rollback to revision 1", c.id, u)
					}
					return
				}
				expectPresent(c, o, "the rollback", configHas(v, func(cfg *store.Config) bool { return cfg.User("y"+c.id) == nil }))
			}},
		// A file made from the running configuration: the operator's
		// promotes op to admin, the admin's adds a user.
		{name: "loadconfig", want: [4]outcome{A, K, C, C}, ok: "Changes committed", exclusive: true,
			prepare: func(c *cell, want outcome) {
				var cfg *store.Config
				if want == refusedAtCommand {
					// Never read: the role may not run loadconfig.
					cfg = runningConfig(c.t, tb.a)
					for i := range cfg.Users {
						cfg.Users[i].PasswordHash = ""
					}
				} else {
					cfg = savedConfig(c)
				}
				if c.role == store.RoleAdmin {
					cfg.Users = append(cfg.Users, store.User{Name: "z" + c.id, Role: store.RoleGuest, SSHKeys: []string{tb.victim.line}})
				} else {
					cfg.User("op").Role = store.RoleAdmin
				}
				b, _ := json.MarshalIndent(cfg, "", "  ")
				if err := os.WriteFile(filepath.Join(tb.a.Dir, "configuration", "load-"+c.id+".json"), b, 0o600); err != nil {
					c.t.Fatal(err)
				}
			},
			lines: func(c *cell) []string { return []string{"loadconfig load-" + c.id + ".json", "commit"} },
			check: func(c *cell, o outcome, v *view) {
				cfg := v.cfg()
				if c.role == store.RoleAdmin {
					expectPresent(c, o, "the loaded user", cfg.User("z"+c.id) != nil)
				} else if cfg.User("op").Role != store.RoleOperator {
					c.t.Errorf("%s: op has role %s after loadconfig by %s", c.id, cfg.User("op").Role, c.user)
				}
			}},
		{name: "saveconfig", want: [4]outcome{A, A, C, C}, lock: "saveconfig",
			lines: func(c *cell) []string { return []string{"saveconfig"} },
			check: func(c *cell, o outcome, v *view) {
				expectPresent(c, o, "a new saved file", c.data["saved"] != "")
			}},
		{name: "commit", want: [4]outcome{A, A, C, C}, ok: "There are no changes to commit.",
			lines: func(c *cell) []string { return []string{"commit"} }},
		{name: "clear", want: [4]outcome{A, A, C, C}, ok: "There are no changes to commit.", deferCheck: true,
			lines: func(c *cell) []string {
				return []string{"smtproutes new cl-" + c.id + ".test 192.0.2.1", "clear", "commit"}
			},
			steps: func(c *cell) []step {
				return []step{{line: "smtproutes new cl-" + c.id + ".test 192.0.2.1"}, {line: "clear"}, {line: "Y", answer: true}, {line: "commit"}}
			},
			check: func(c *cell, o outcome, v *view) {
				if configHas(v, func(cfg *store.Config) bool {
					for _, r := range cfg.System.Routes {
						if r.Domain == "cl-"+c.id+".test" {
							return true
						}
					}
					return false
				}) {
					c.t.Errorf("%s: a cleared route was committed", c.id)
				}
			}},
	}
}

// savedConfig saves the running configuration as admin (with its
// password hashes, as saveconfig writes it) and reads it back.
func savedConfig(c *cell) *store.Config {
	c.t.Helper()
	saved := c.tb.saveconfig(c.id, func() { c.tb.a.MustCli("saveconfig") })
	if len(saved) != 1 {
		c.t.Fatalf("saveconfig as admin wrote %d files", len(saved))
	}
	b, err := os.ReadFile(saved[0])
	if err != nil {
		c.t.Fatalf("the saved configuration: %v", err)
	}
	var cfg store.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		c.t.Fatal(err)
	}
	return &cfg
}

// waitSSH waits until admin can log in on port.
func waitSSH(t *testing.T, port int, key userKey) {
	t.Helper()
	ok := segtest.Poll(30*time.Second, func() bool {
		c, err := ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &ssh.ClientConfig{
			User: "admin", Auth: []ssh.AuthMethod{ssh.PublicKeys(key.signer)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second,
		})
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	if !ok {
		t.Fatalf("SSH did not come back on port %d", port)
	}
}

func TestRoleTable(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatal("the OpenSSH client is needed (apt-get install openssh-client)")
	}
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
		saved := tb.saveconfig(c.id, func() { out, code = w.run(c, rc) })
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
