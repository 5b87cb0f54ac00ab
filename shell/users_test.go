package shell_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

func userRegistry() *shell.Registry {
	r := testRegistry()
	for _, c := range shell.UserCommands() {
		r.Add(c)
	}
	return r
}

// fakeTable is a session table with fixed sessions.
type fakeTable []shell.OpenSession

func (f fakeTable) OpenSessions() []shell.OpenSession { return f }

func TestWho(t *testing.T) {
	h := shelltest.NewSession(t, userRegistry(), newStore(t))
	now := shelltest.FixedTime()
	h.S.Sessions = fakeTable{
		{User: "admin", Source: "console", Login: now.Add(-3 * time.Hour), LastInput: now.Add(-2 * time.Hour).Add(-5 * time.Minute)},
		{User: "operator1", Source: "ssh 10.1.3.201:50312", Login: now.Add(-26 * time.Hour), LastInput: now.Add(-42 * time.Second)},
		{User: "admin", Source: "socket", Login: now, LastInput: now},
	}
	h.Run("who")
	want := `seg.localdomain> who
Username   Login Time      Idle Time  Remote Host  What
=========  ==============  =========  ===========  =======
admin      07:22PM         2h 5m      -            console
operator1  Nov 22 08:22PM  42s        10.1.3.201   ssh
admin      10:22PM         0s         -            cli
`
	if got := h.Output(); got != want {
		t.Fatalf("who:\n%s\nwant:\n%s", got, want)
	}
	// Offline there is no table.
	h = shelltest.NewSession(t, userRegistry(), newStore(t))
	if err := h.S.Execute("who"); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("who offline: %v", err)
	}
	// Guests and read-only operators may not list sessions.
	h.S.Role = store.RoleReadOnly
	if err := h.S.Execute("who"); !errors.Is(err, shell.ErrAccess) {
		t.Fatalf("who as readonly: %v", err)
	}
}

// last pairs logins with logouts from the authentication log: one
// closed session, one still open (in the session table), one whose
// logout was never written (the appliance stopped), and the lines that
// are not logins are skipped.
func TestLast(t *testing.T) {
	h := shelltest.NewSession(t, userRegistry(), newStore(t))
	now := shelltest.FixedTime()
	h.S.Sessions = fakeTable{{User: "admin", Source: "ssh 10.1.3.67:40000", Login: now.Add(-15 * time.Minute), LastInput: now}}
	log := `Mon Nov 23 10:00:00 2026 Info: Begin Logfile
Mon Nov 23 11:02:00 2026 Info: The user admin successfully logged on from 10.1.3.67 using an SSH connection.
Mon Nov 23 11:05:00 2026 Warning: An authentication attempt by the user eve from 10.9.9.9 failed using an SSH connection: unknown user.
Mon Nov 23 12:00:10 2026 Info: The user operator1 successfully logged on using the console session.
Mon Nov 23 14:14:30 2026 Info: The user admin logged out from 10.1.3.67 using an SSH connection.
Mon Nov 23 22:07:23 2026 Info: The user admin successfully logged on from 10.1.3.67 using an SSH connection.
`
	dir := filepath.Join(h.S.DataDir, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authentication"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	h.Run("last")
	want := `seg.localdomain> last
Username   Remote Host  Login Time        Logout Time         Total Time
=========  ===========  ================  ==================  ==========
admin      10.1.3.67    Mon Nov 23 22:07  still logged in     15m
operator1  console      Mon Nov 23 12:00  no logout recorded
admin      10.1.3.67    Mon Nov 23 11:02  Mon Nov 23 14:14    3h 12m
`
	if got := h.Output(); got != want {
		t.Fatalf("last:\n%s\nwant:\n%s", got, want)
	}
}

// passwd: the old password is checked (a wrong one changes nothing and
// goes through CheckPassword, which counts failures), a mismatch is
// asked again, and the change is committed at once, leaving the
// session's candidate staged.
func TestPasswd(t *testing.T) {
	st := newStore(t)
	setPassword(t, st, "admin", "Old-password-1")
	h := shelltest.NewSession(t, userRegistry(), st)
	var checked []string
	h.S.CheckPassword = func(user, pw string) error {
		checked = append(checked, user+":"+pw)
		u := running(t, st).Config.User(user)
		if !store.CheckPassword(u.PasswordHash, pw) {
			return errors.New("authentication failed")
		}
		return nil
	}
	h.Run("sethostname staged.example.com", "passwd", "wrong", "New-password-2", "New-password-2")
	if !strings.Contains(h.Output(), "Incorrect old password") || store.CheckPassword(running(t, st).Config.User("admin").PasswordHash, "New-password-2") {
		t.Fatalf("a wrong old password changed it:\n%s", h.Output())
	}
	rev := running(t, st).Revision.Number
	h.Run("passwd", "Old-password-1", "New-password-2", "typo", "New-password-2", "New-password-2")
	out := h.Output()
	if !strings.Contains(out, "Passwords do not match.") || !strings.Contains(out, "Password changed.") {
		t.Fatalf("passwd:\n%s", out)
	}
	cur := running(t, st)
	if cur.Revision.Number != rev+1 || !store.CheckPassword(cur.Config.User("admin").PasswordHash, "New-password-2") {
		t.Fatalf("revision %d, want %d with the new password", cur.Revision.Number, rev+1)
	}
	if cur.Config.System.Hostname == "staged.example.com" || !h.S.Dirty() {
		t.Fatal("passwd committed the session's candidate, or dropped it")
	}
	if strings.Join(checked, ",") != "admin:wrong,admin:Old-password-1" {
		t.Fatalf("CheckPassword calls %v", checked)
	}
}

// Every role may change its own password; the batch form reads files.
func TestPasswdGuestAndBatch(t *testing.T) {
	st := newStore(t)
	withGuest(t, st, "Guest-pass-1")
	h := shelltest.NewSession(t, userRegistry(), st)
	h.S.User, h.S.Role = "visitor", store.RoleGuest
	h.Run("passwd", "Guest-pass-1", "Guest-pass-2", "Guest-pass-2")
	if !strings.Contains(h.Output(), "Password changed.") || !store.CheckPassword(running(t, st).Config.User("visitor").PasswordHash, "Guest-pass-2") {
		t.Fatalf("guest passwd:\n%s", h.Output())
	}
	// A guest may not read files: the batch form is refused.
	if err := h.S.RunOneShot("passwd --old-password-file a --password-file b"); err == nil {
		t.Fatal("guest batch passwd read files")
	}
	// Non-interactive without arguments says what to do.
	if err := h.S.RunOneShot("passwd"); err == nil || !strings.Contains(err.Error(), "--old-password-file") {
		t.Fatalf("one-shot passwd: %v", err)
	}

	a := shelltest.NewSession(t, userRegistry(), st)
	setPassword(t, st, "admin", "Old-password-1")
	dir := filepath.Join(a.S.DataDir, "configuration")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "old"), []byte("Old-password-1\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "new"), []byte("Batch-password-3\n"), 0o600)
	if err := a.S.RunOneShot("passwd --old-password-file old --password-file new"); err != nil {
		t.Fatal(err)
	}
	if !store.CheckPassword(running(t, st).Config.User("admin").PasswordHash, "Batch-password-3") {
		t.Fatal("batch passwd did not change the password")
	}
}

// commitEdit commits edit of the running configuration as admin.
func commitEdit(st store.Store, edit func(*store.Config) error) error {
	snap, err := st.Current()
	if err != nil {
		return err
	}
	cfg := snap.Config.Clone()
	if err := edit(cfg); err != nil {
		return err
	}
	_, err = st.Commit(store.CommitRequest{Base: snap.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin})
	return err
}

// withPassword gives user the password pw, or adds user with role when
// role is not "".
func withPassword(st store.Store, user, role, pw string) error {
	return commitEdit(st, func(cfg *store.Config) error {
		h, err := store.HashPassword(pw)
		if err != nil {
			return err
		}
		if role != "" {
			cfg.Users = append(cfg.Users, store.User{Name: user, Role: role})
		}
		cfg.User(user).PasswordHash = h
		return nil
	})
}

func setPassword(t *testing.T, st store.Store, user, pw string) {
	t.Helper()
	if err := withPassword(st, user, "", pw); err != nil {
		t.Fatal(err)
	}
}

func withGuest(t *testing.T, st store.Store, pw string) {
	t.Helper()
	if err := withPassword(st, "visitor", store.RoleGuest, pw); err != nil {
		t.Fatal(err)
	}
}

// passwdSetup gives admin the password "Old-password-1" and the users'
// commands (testdata/passwd.txt).
func passwdSetup(h *shelltest.Harness) {
	for _, c := range shell.UserCommands() {
		h.S.Commands.Add(c)
	}
	if err := withPassword(h.S.Store, "admin", "", "Old-password-1"); err != nil {
		panic(err)
	}
}
