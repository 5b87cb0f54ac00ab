package main

// The commands of the role table (e2e_sec_roles_test.go): what each role
// may do with each, and how a cell checks the effect.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"seg/internal/segtest"
	"seg/store"
)

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
		{name: "trace", want: [4]outcome{A, A, C, C}, ok: "Final Result:",
			lines: func(c *cell) []string {
				return []string{"trace source 127.0.0.5 helo client.test from a@client.test to r@example.test"}
			}},
		{name: "showconfig", want: [4]outcome{A, A, A, C}, ok: `"listeners"`,
			lines: func(c *cell) []string { return []string{"showconfig mask"} }},
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
			// Interactive: the menu, the confirmation, and its own "commit now" path.
			steps: func(c *cell) []step {
				return []step{{line: "rollbackconfig"}, {line: c.data["rev"], answer: true}, {line: "Y", answer: true}, {line: "Y", answer: true}}
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
			lines: func(c *cell) []string { return []string{"saveconfig mask"} },
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
	saved := c.tb.saveconfig(c.t, c.id, func() { c.tb.a.MustCli("saveconfig nomask") })
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
