package main

// Attacks on the admin side (issue 8, points 2 and 9), each run from
// the outside against the built binary.

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

// demotedAdmin is an appliance where mallory was an administrator (at
// revision wasAdmin, together with carol) and is now an operator, and
// carol has been deleted.
func demotedAdmin(t *testing.T) (a *segtest.Appliance, key userKey, wasAdmin int) {
	t.Helper()
	key = newUserKey(t, t.TempDir(), "mallory")
	a = segtest.New(t,
		fmt.Sprintf("userconfig new mallory --role admin --sshkey %q", key.line),
		fmt.Sprintf("userconfig new carol --role guest --sshkey %q", key.line))
	a.Start()
	wasAdmin = currentRevision(t, a)
	a.MustCli("userconfig edit mallory --role operator ; userconfig delete carol ; commit demote mallory")
	return a, key, wasAdmin
}

// expectUsersUnchanged fails unless mallory is still an operator and
// carol still deleted.
func expectUsersUnchanged(t *testing.T, a *segtest.Appliance, how string) {
	t.Helper()
	cfg := runningConfig(t, a)
	if u := cfg.User("mallory"); u == nil || u.Role != store.RoleOperator || cfg.User("carol") != nil {
		t.Fatalf("%s: the operator changed the user list: mallory %+v, carol %+v", how, u, cfg.User("carol"))
	}
}

// An operator rolls back to a revision where it was admin (and where a
// deleted user still exists): the commit is refused, whichever way in.
func TestExploitOperatorRollsBackUsers(t *testing.T) {
	a, key, wasAdmin := demotedAdmin(t)
	attack := fmt.Sprintf("rollbackconfig %d ; commit back to the old users", wasAdmin)

	out, errOut, code := a.Cli("-u", "mallory", attack)
	if code != 1 || !strings.Contains(errOut, "The changes were not committed: user mallory (role operator) may not change user mallory, user carol") {
		t.Errorf("seg cli: exit %d\n%s%s", code, out, errOut)
	}
	expectUsersUnchanged(t, a, "seg cli")

	shown, code := sshAs(t, a.SSHPort, "mallory", key, attack, "")
	if code != 1 || !strings.Contains(shown, "may not change user mallory, user carol") {
		t.Errorf("ssh: exit %d\n%s", code, shown)
	}
	expectUsersUnchanged(t, a, "ssh")
}

// An operator's own saveconfig is masked, and loadconfig refuses it; an
// admin's unmasked file in the configuration directory, with the
// operator promoted in it, loads, but the commit is refused.
func TestExploitOperatorLoadsAdminConfig(t *testing.T) {
	a, key, _ := demotedAdmin(t)
	sshAs(t, a.SSHPort, "mallory", key, "saveconfig", "")
	saved, _ := filepath.Glob(filepath.Join(a.Dir, "configuration", "seg-config-*.json"))
	if len(saved) != 1 {
		t.Fatalf("saveconfig by the operator wrote %d files", len(saved))
	}
	if shown, code := sshAs(t, a.SSHPort, "mallory", key, "loadconfig "+filepath.Base(saved[0]), ""); code != 1 || !strings.Contains(shown, "Files with masked passwords cannot be loaded") {
		t.Errorf("loadconfig of the operator's masked file: exit %d\n%s", code, shown)
	}
	os.Remove(saved[0])
	a.MustCli("saveconfig nomask")
	saved, _ = filepath.Glob(filepath.Join(a.Dir, "configuration", "seg-config-*.json"))
	if len(saved) != 1 {
		t.Fatalf("saveconfig nomask by admin wrote %d files", len(saved))
	}
	b, err := os.ReadFile(saved[0])
	if err != nil {
		t.Fatal(err)
	}
	var cfg store.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg.User("mallory").Role = store.RoleAdmin
	b, _ = json.Marshal(&cfg)
	if err := os.WriteFile(filepath.Join(a.Dir, "configuration", "promote.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := a.Cli("-u", "mallory", "loadconfig promote.json ; commit")
	if code != 1 || !strings.Contains(errOut, "may not change user mallory") ||
		!strings.Contains(errOut, "Warning: You are not in the correct access group to commit changes to user mallory") {
		t.Errorf("seg cli: exit %d\n%s%s", code, out, errOut)
	}
	expectUsersUnchanged(t, a, "seg cli")

	shown, code := sshAs(t, a.SSHPort, "mallory", key, "loadconfig promote.json ; commit", "")
	if code != 1 || !strings.Contains(shown, "may not change user mallory") {
		t.Errorf("ssh: exit %d\n%s", code, shown)
	}
	expectUsersUnchanged(t, a, "ssh")
}

// passwordLogin tries an SSH password login.
func passwordLogin(port int, user, password string) error {
	c, err := ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err == nil {
		c.Close()
	}
	return err
}

// Five wrong passwords lock the account; a restart does not unlock it.
// The lock lasts 10 s here (SEG_TEST_LOCK_TIME) instead of 5 minutes.
func TestLockoutSurvivesRestart(t *testing.T) {
	const lock = 10 * time.Second
	a := segtest.New(t)
	a.Env = []string{"SEG_TEST_LOCK_TIME=" + lock.String()}
	a.Start()
	if err := passwordLogin(a.SSHPort, "admin", segtest.AdminPassword); err != nil {
		t.Fatalf("admin cannot log in: %v", err)
	}
	var lockedFrom time.Time
	for i := 0; i < 5; i++ {
		lockedFrom = time.Now() // the fifth failure locks: no earlier than this
		if passwordLogin(a.SSHPort, "admin", "wrong password") == nil {
			t.Fatal("a wrong password was accepted")
		}
	}
	if passwordLogin(a.SSHPort, "admin", segtest.AdminPassword) == nil {
		t.Fatal("the locked account accepted its password")
	}

	a.Stop()
	a.Start()
	if passwordLogin(a.SSHPort, "admin", segtest.AdminPassword) == nil {
		t.Fatalf("after a restart the locked account accepted its password (%v after the lock)", time.Since(lockedFrom))
	}
	// The lock still expires.
	if !segtest.Poll(lock+20*time.Second, func() bool { return passwordLogin(a.SSHPort, "admin", segtest.AdminPassword) == nil }) {
		t.Fatal("the lock did not expire")
	}
	if d := time.Since(lockedFrom); d < lock {
		t.Fatalf("the lock was lifted after %v, before its %v", d, lock)
	}
	log, _ := os.ReadFile(filepath.Join(a.Dir, "logs", "cli_logs"))
	if !strings.Contains(string(log), "Authentication failed for user admin (ssh 127.0.0.1:") || !strings.Contains(string(log), "account locked") {
		t.Errorf("cli_logs lacks the lockout:\n%s", log)
	}
}

// A data directory that exists with mode 0755 (made by hand, restored
// from a backup) is made private at start, and the control socket is
// 0600 from its creation.
func TestDataDirForcedPrivate(t *testing.T) {
	a := segtest.New(t)
	for _, d := range []string{"", "logs", "configuration", "queue"} {
		p := filepath.Join(a.Dir, d)
		os.MkdirAll(p, 0o755)
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"config.db", "ssh_host_ed25519_key"} {
		if err := os.Chmod(filepath.Join(a.Dir, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a.Start()
	for name, want := range map[string]os.FileMode{
		"": 0o700, "logs": 0o700, "configuration": 0o700, "queue": 0o700,
		"config.db": 0o600, "ssh_host_ed25519_key": 0o600, "seg.sock": 0o600,
	} {
		fi, err := os.Lstat(filepath.Join(a.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Join(a.Dir, name), fi.Mode().Perm(), want)
		}
	}
	if fi, _ := os.Lstat(filepath.Join(a.Dir, "seg.sock")); fi == nil || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("seg.sock is not a socket")
	}
	if left, _ := filepath.Glob(filepath.Join(a.Dir, ".seg.sock-*")); len(left) > 0 {
		t.Errorf("the socket's private directory was left behind: %v", left)
	}
	a.Stop()
	if _, err := os.Lstat(filepath.Join(a.Dir, "seg.sock")); !os.IsNotExist(err) {
		t.Errorf("seg.sock after a clean stop: %v", err)
	}
}

// Names of 10,000 characters are refused in batch files and in files
// loaded with loadconfig, and nothing of them reaches the running
// configuration.
func TestLongNamesRefused(t *testing.T) {
	a := segtest.New(t)
	a.Start()
	long := strings.Repeat("n", 10000)
	batch := filepath.Join(t.TempDir(), "long.batch")
	for _, line := range []string{
		fmt.Sprintf("listenerconfig new L%s --type private --address 127.0.0.1 --port %d", long, segtest.FreePort(t)),
		"listenerconfig edit IncomingMail hostaccess new sendergroup G" + long + " 10.1.1.1 $TRUSTED",
		"listenerconfig edit IncomingMail hostaccess new policy $P" + long + " ACCEPT",
		"policyconfig incoming new M" + long + " --recipients @example.com",
	} {
		os.WriteFile(batch, []byte(line+"\ncommit\n"), 0o600)
		out, errOut, code := a.Cli("-f", batch)
		if code != 1 || !strings.Contains(errOut, "at most 64") && !strings.Contains(errOut, "1 to 64") {
			t.Errorf("batch %.60s...: exit %d\n%s%.300s", line, code, out, errOut)
		}
		if len(errOut) > 2000 {
			t.Errorf("batch %.60s...: the error repeats the name (%d bytes)", line, len(errOut))
		}
	}

	cfg := runningConfig(t, a)
	full := unmaskedConfig(t, a)
	withListener := full.Clone()
	l := *cfg.Listener("IncomingMail")
	l.Name, l.Type, l.RAT, l.Port = "L"+long, store.ListenerPrivate, nil, segtest.FreePort(t)
	withListener.Listeners = append(withListener.Listeners, l)
	withGroup := full.Clone()
	h := &withGroup.Listener("IncomingMail").HAT
	h.SenderGroups = append([]store.SenderGroup{{Name: "G" + long, Members: []string{"10.1.1.1"}, Policy: "$TRUSTED"}}, h.SenderGroups...)
	for name, c := range map[string]*store.Config{"listener.json": withListener, "group.json": withGroup} {
		b, _ := json.Marshal(c)
		os.WriteFile(filepath.Join(a.Dir, "configuration", name), b, 0o600)
		out, errOut, code := a.Cli("loadconfig " + name + " ; commit")
		if code != 1 || !strings.Contains(errOut, "at most 64 characters") {
			t.Errorf("loadconfig %s: exit %d\n%s%.500s", name, code, out, errOut)
		}
	}
	after := runningConfig(t, a)
	if !after.Equal(cfg) {
		t.Errorf("the running configuration changed: %v", store.Changes(cfg, after))
	}
}

// Deleting a user clears its password hash from every revision: rolled
// back, the user comes back without a password, and config.db holds
// the hash nowhere.
func TestDeletedUserHashScrubbed(t *testing.T) {
	const bobPassword = "bob's old password"
	a := segtest.New(t)
	os.WriteFile(filepath.Join(a.Dir, "configuration", "bob.pw"), []byte(bobPassword+"\n"), 0o600)
	a.Start()
	a.MustCli("userconfig new bob --role operator --password-file bob.pw ; commit add bob")
	if err := passwordLogin(a.SSHPort, "bob", bobPassword); err != nil {
		t.Fatalf("bob cannot log in: %v", err)
	}
	withBob := currentRevision(t, a)
	a.MustCli("userconfig delete bob ; commit delete bob")

	out := a.MustCli(fmt.Sprintf("rollbackconfig %d ; commit bob back", withBob))
	if !strings.Contains(out, "Note: user bob has no password in this revision") {
		t.Errorf("rollbackconfig does not say bob has no password:\n%s", out)
	}
	if runningConfig(t, a).User("bob") == nil {
		t.Fatal("the rollback did not bring bob back")
	}
	if err := passwordLogin(a.SSHPort, "bob", bobPassword); err == nil {
		t.Fatal("the rollback brought bob's deleted password back")
	}
	if err := passwordLogin(a.SSHPort, "bob", ""); err == nil {
		t.Fatal("bob logged in with an empty password")
	}

	a.Stop()
	st, err := store.OpenBolt(filepath.Join(a.Dir, "config.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cur, _ := st.Current()
	for n := 1; n <= cur.Revision.Number; n++ {
		snap, err := st.Get(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range snap.Config.Users {
			if store.CheckPassword(u.PasswordHash, bobPassword) {
				t.Errorf("revision %d (%s) holds bob's password hash for user %s", n, snap.Revision.Comment, u.Name)
			}
		}
	}
}
