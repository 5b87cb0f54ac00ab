package segtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// toolPackages are the Debian packages of the programs the end-to-end
// tests drive; scripts/deps.sh (run by `make test`) installs them.
var toolPackages = map[string]string{
	"swaks":       "swaks",
	"python3":     "python3",
	"smtp-source": "postfix",
	"smtp-sink":   "postfix",
	"ssh":         "openssh-client",
	"ssh-keygen":  "openssh-client",
}

// Tool returns the path of a program a test drives. A missing program
// fails the test (never skips it: CI must not pass without the real
// client) with the command that installs it. Postfix's tools are in
// /usr/sbin, which a user's PATH may lack.
func Tool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join("/usr/sbin", name); isExec(p) {
		return p
	}
	pkg := toolPackages[name]
	if pkg == "" {
		pkg = name
	}
	t.Fatalf("%s is not installed: run `make deps` (Debian: apt-get install %s)", name, pkg)
	return ""
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
