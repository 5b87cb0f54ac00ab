package configcmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"seg/store"
)

// Files are read and written under internal/confdir's rule; these tests
// check that every command goes through it, and that reading needs the
// operator role.

const fileSecret = "hunter2-the-secret-in-the-file"

func TestReadOnlyMayNotReadFiles(t *testing.T) {
	b := newBatch(t)
	os.MkdirAll(b.h.S.ConfigDir(), 0o700)
	os.WriteFile(b.configPath("secret.txt"), []byte(fileSecret+"\n"), 0o600)
	b.h.S.Role = store.RoleReadOnly
	b.ok("destconfig list") // printing stays open to readonly
	for _, line := range []string{
		"destconfig import secret.txt",
		"destconfig import ../initial-admin-password",
		"smtproutes import secret.txt",
	} {
		b.fail(line, "You are not in the correct access group to use this command.")
	}
	if files := destconfigCommand().Complete(b.ctx(), []string{"import", ""}); len(files) != 0 {
		t.Errorf("a readonly user is offered the configuration files: %q", files)
	}
}

func TestFileNamesArePlain(t *testing.T) {
	b := newBatch(t)
	elsewhere := t.TempDir()
	outside := filepath.Join(elsewhere, "outside.txt")
	never := filepath.Join(elsewhere, "never-written")
	os.WriteFile(outside, []byte(fileSecret+"\n"), 0o600)
	for _, line := range []string{
		"destconfig import " + outside,
		"destconfig import ../outside.txt",
		"destconfig export " + filepath.Join(t.TempDir(), "x.ini"),
		"destconfig export sub/x.ini",
		"smtproutes import " + outside,
		"smtproutes export " + never,
		"userconfig new dave --role guest --password-file " + outside,
	} {
		b.fail(line, "is not a file name in the configuration directory")
	}
	if _, err := os.Stat(never); !os.IsNotExist(err) {
		t.Errorf("smtproutes export wrote outside: %v", err)
	}
	if _, err := os.Stat(filepath.Join(b.h.S.ConfigDir(), "sub")); !os.IsNotExist(err) {
		t.Errorf("an export made a directory: %v", err)
	}
}

// TestImportErrorsQuoteAnExcerpt: a file that is not a table (a key, a
// password file) is refused with line numbers and at most a short
// excerpt of each bad line, ten problems at most.
func TestImportErrorsQuoteAnExcerpt(t *testing.T) {
	b := newBatch(t)
	os.MkdirAll(b.h.S.ConfigDir(), 0o700)
	var lines []string
	for i := 0; i < 30; i++ {
		lines = append(lines, fmt.Sprintf("%s-%02d-%s", fileSecret, i, strings.Repeat("X", 40)))
	}
	os.WriteFile(b.configPath("key.pem"), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	for _, line := range []string{"destconfig import key.pem", "smtproutes import key.pem"} {
		b.h.Reset()
		err := b.h.S.Execute(line)
		if err == nil {
			t.Fatalf("%s succeeded", line)
		}
		msg := err.Error()
		if strings.Contains(msg, fileSecret[:store.ExcerptMax+1]) || strings.Contains(msg, "XXXXX") {
			t.Errorf("%s quotes the file:\n%s", line, msg)
		}
		if !strings.Contains(msg, "key.pem:1: ") || !strings.Contains(msg, "more problem") {
			t.Errorf("%s: no line numbers or no count:\n%s", line, msg)
		}
		if n := strings.Count(msg, "\n") + 1; n > store.MaxProblems+1 {
			t.Errorf("%s: %d lines of problems:\n%s", line, n, msg)
		}
	}
}
