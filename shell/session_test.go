package shell_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

func TestAccess(t *testing.T) {
	st := newStore(t)
	for _, tc := range []struct {
		role, line string
		allowed    bool
	}{
		{store.RoleGuest, "help", true},
		{store.RoleGuest, "tophosts 1", true},
		{store.RoleGuest, "status", true},
		{store.RoleGuest, "showconfig", false},
		{store.RoleGuest, "showchanges", false},
		{store.RoleGuest, "findevent --mid 1", false},
		{store.RoleReadOnly, "showconfig", true},
		{store.RoleReadOnly, "showrecipients --all", true},
		{store.RoleReadOnly, "commit x", false},
		{store.RoleReadOnly, "saveconfig", false},
		{store.RoleReadOnly, "loadconfig x.json", false},
		{store.RoleReadOnly, "rollbackconfig 1", false},
		{store.RoleReadOnly, "deleterecipients --all", false},
		{store.RoleReadOnly, "resetcounters", false},
		{store.RoleOperator, "deleterecipients --all", true},
		{store.RoleOperator, "commit x", true},
	} {
		s, _, _ := batchSession(t, st)
		s.Role = tc.role
		s.Mail = &fakeMail{}
		err := s.Execute(tc.line)
		if denied := errors.Is(err, shell.ErrAccess); denied == tc.allowed {
			t.Errorf("%s: %q: err = %v, allowed want %v", tc.role, tc.line, err, tc.allowed)
		}
	}
}

func TestReadOnlyCannotChangeConfig(t *testing.T) {
	st := newStore(t)
	s, _, _ := batchSession(t, st)
	s.Role = store.RoleReadOnly
	err := s.Execute("sethostname mail.example.com")
	if err == nil || !strings.Contains(err.Error(), "not in the correct access group to make configuration changes") {
		t.Fatalf("Execute = %v", err)
	}
	if s.Dirty() {
		t.Error("readonly session has a candidate")
	}
}

func TestTwoSessions(t *testing.T) {
	st := newStore(t)
	a, _, _ := batchSession(t, st)
	b, _, _ := batchSession(t, st)
	// Different objects: both apply.
	mustExec(t, a, "sethostname a.example.com")
	mustExec(t, b, "setssh 2200")
	mustExec(t, a, "commit a")
	mustExec(t, b, "commit b")
	cur := running(t, st)
	if cur.Config.System.Hostname != "a.example.com" || cur.Config.SSH.Port != 2200 {
		t.Fatalf("running hostname %q port %d, want both changes", cur.Config.System.Hostname, cur.Config.SSH.Port)
	}
	// Same object: the later commit fails, and keeps its candidate.
	mustExec(t, a, "sethostname x.example.com")
	mustExec(t, b, "sethostname y.example.com")
	base := running(t, st).Revision.Number
	mustExec(t, a, "commit x")
	err := b.Execute("commit y")
	revs := fmt.Sprintf("your changes were made on revision %d, the running configuration is revision %d", base, base+1)
	if err == nil || !strings.Contains(err.Error(), "the running configuration changed since your changes began") ||
		!strings.Contains(err.Error(), "both changed: hostname") || !strings.Contains(err.Error(), revs) {
		t.Fatalf("second commit = %v, want the conflict message naming hostname", err)
	}
	if !b.Dirty() {
		t.Error("conflicting candidate was dropped")
	}
	if h := running(t, st).Config.System.Hostname; h != "x.example.com" {
		t.Errorf("hostname %q after conflict", h)
	}
}

func mustExec(t *testing.T, s *shell.Session, line string) {
	t.Helper()
	if err := s.Execute(line); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
}

func TestInterruptKeepsCandidate(t *testing.T) {
	h := shelltest.NewSession(t, testRegistry(), newStore(t))
	h.Run("sethostname kept.example.com")
	before := h.S.Candidate().Clone()
	h.Run("twostep", "^C", "sethostname", "^C")
	if !h.S.Candidate().Equal(before) {
		t.Errorf("candidate changed by interrupted commands: hostname %q", h.S.Candidate().System.Hostname)
	}
	if n := strings.Count(h.Output(), "Command aborted; no changes were made."); n != 2 {
		t.Errorf("%d abort messages in:\n%s", n, h.Output())
	}
}

// recordAudit is an AuditLog that keeps what it is told.
type recordAudit struct{ lines []string }

func (r *recordAudit) Command(user, source, line, result string) {
	r.lines = append(r.lines, user+"|"+source+"|"+line+"|"+result)
}

func TestAudit(t *testing.T) {
	s, _, _ := batchSession(t, newStore(t))
	a := &recordAudit{}
	s.Audit = a
	s.RunOneShot("sethostname a.example.com ; commit first ; nosuch")
	want := []string{
		"admin|test|sethostname a.example.com|ok",
		"admin|test|commit first|ok",
		"admin|test|nosuch|Unknown command: nosuch. Type 'help' for a list of commands.",
	}
	if strings.Join(a.lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(a.lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestShowconfigMasksHashes(t *testing.T) {
	s, out, _ := batchSession(t, newStore(t))
	mustExec(t, s, "showconfig")
	if strings.Contains(out.String(), "$2a$") || !strings.Contains(out.String(), `"password_hash": "*****"`) {
		t.Errorf("showconfig did not mask the hash:\n%s", out)
	}
	if !strings.HasPrefix(out.String(), "{\n  \"system\": {\n    \"hostname\": \"seg.localdomain\"") {
		t.Errorf("showconfig is not indented JSON:\n%.200s", out)
	}
	// The candidate is what showconfig shows.
	out.Reset()
	mustExec(t, s, "sethostname staged.example.com")
	mustExec(t, s, "showconfig")
	if !strings.Contains(out.String(), `"hostname": "staged.example.com"`) {
		t.Error("showconfig does not show the candidate")
	}
}

func TestSaveAndLoadConfig(t *testing.T) {
	st := newStore(t)
	s, out, _ := batchSession(t, st)
	s.Now = shelltest.FixedTime
	mustExec(t, s, "saveconfig nomask")
	name := "seg-config-seg.localdomain-" + shelltest.FixedTime().Local().Format("20060102T150405") + ".json"
	if want := "The file " + name + " has been saved in the configuration directory.\n"; out.String() != want {
		t.Fatalf("saveconfig said %q, want %q", out, want)
	}
	path := filepath.Join(s.DataDir, "configuration", name)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "$2a$10$") {
		t.Error("saveconfig lost the password hash")
	}
	// Saving twice in the same second must not overwrite.
	if err := s.Execute("saveconfig nomask"); err == nil {
		t.Error("second saveconfig in the same second overwrote the file")
	}

	out.Reset()
	mustExec(t, s, "loadconfig "+name)
	if out.String() != "No changes detected.\n" {
		t.Errorf("loading the running config: %q", out)
	}
	mustExec(t, s, "sethostname other.example.com")
	mustExec(t, s, "commit")
	out.Reset()
	// A path is refused, even one into the configuration directory:
	// files are named by their plain names.
	if err := s.Execute("loadconfig " + path); err == nil || !strings.Contains(err.Error(), "is not a file name in the configuration directory") {
		t.Fatalf("loadconfig of a path: %v", err)
	}
	mustExec(t, s, "loadconfig "+name)
	if !s.Dirty() || s.Candidate().System.Hostname != "seg.localdomain" {
		t.Fatal("loadconfig did not stage the file")
	}
	mustExec(t, s, "commit restore")
	if h := running(t, st).Config.System.Hostname; h != "seg.localdomain" {
		t.Errorf("hostname %q after loading and committing", h)
	}

	for _, tc := range []struct{ file, content, want string }{
		{"missing.json", "", `Error: the file "missing.json" does not exist`},
		{"bad.json", "{not json", "Parsing failed: bad.json:1: not valid JSON"},
		{"unknown.json", `{"bogus": 1}`, `Parsing failed: unknown.json:1: unknown field "bogus"`},
		{"two.json", "{} {}", "Parsing failed: two.json:1: text after the configuration"},
		{"masked.json", `{"users": [{"name": "nobody", "role": "admin", "password_hash": "*****"}]}`,
			`Parsing failed: masked.json:1: a user's password (password_hash) is masked.`},
	} {
		if tc.content != "" {
			os.WriteFile(filepath.Join(s.DataDir, "configuration", tc.file), []byte(tc.content), 0o600)
		}
		err := s.Execute("loadconfig " + tc.file)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("loadconfig %s = %v, want %q...", tc.file, err, tc.want)
		}
	}
	if s.Dirty() {
		t.Error("a failed loadconfig staged something")
	}
}

func TestStageDoesNotShareSnapshot(t *testing.T) {
	st := newStore(t)
	s, _, _ := batchSession(t, st)
	mustExec(t, s, "rollbackconfig 1") // equal to running: nothing staged
	if s.Dirty() {
		t.Error("rolling back to the running revision staged a candidate")
	}
	mustExec(t, s, "sethostname a.example.com")
	mustExec(t, s, "commit")
	mustExec(t, s, "rollbackconfig 1")
	mustExec(t, s, "sethostname b.example.com") // edits the staged copy
	snap, _ := st.Get(1)
	if snap.Config.System.Hostname != "seg.localdomain" {
		t.Error("editing a rolled-back candidate changed the stored revision")
	}
}

// An operator's saveconfig writes no password hash (issue 8: an operator
// must not carry the accounts' hashes away), and loadconfig refuses that
// file, as it does every masked one.
func TestOperatorSaveconfigMasksPasswords(t *testing.T) {
	st := newStore(t)
	s, out, _ := batchSession(t, st)
	s.User, s.Role = "admin", store.RoleOperator
	s.Now = shelltest.FixedTime
	mustExec(t, s, "saveconfig")
	if !strings.Contains(out.String(), "Passwords are masked") {
		t.Errorf("saveconfig by an operator said %q", out)
	}
	name := "seg-config-seg.localdomain-" + shelltest.FixedTime().Local().Format("20060102T150405") + ".json"
	path := filepath.Join(s.DataDir, "configuration", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "$2a$") || !strings.Contains(string(data), `"password_hash": "*****"`) {
		t.Fatalf("the operator's saved file holds a hash or no mask:\n%.400s", data)
	}
	if err := s.Execute("loadconfig " + name); err == nil || !strings.Contains(err.Error(), "Files with masked passwords cannot be loaded") {
		t.Fatalf("loadconfig of the operator's masked file: %v", err)
	}
	if s.Dirty() {
		t.Error("the refused loadconfig staged something")
	}
}
