package main

// End-to-end tests drive the real binary, built once (segtest.Binary):
// `seg run` and `seg cli` through segtest.Appliance, OpenSSH's ssh
// client, and x/crypto/ssh for password logins.

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

func TestMain(m *testing.M) { segtest.Main(m) }

// openSSH runs OpenSSH's client as user with a key file, in batch mode,
// with no configuration or known hosts of the machine's: ssh runs
// command, or with none reads a batch on its standard input.
func openSSH(t *testing.T, keyFile string, port int, user, stdin string, command ...string) segtest.Result {
	t.Helper()
	args := []string{
		"-F", "/dev/null", "-i", keyFile, "-p", fmt.Sprint(port),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
		"-o", "IdentitiesOnly=yes", "-T", user + "@127.0.0.1",
	}
	r, err := segtest.Exec(exec.Command("ssh", append(args, command...)...), stdin, 60*time.Second)
	if err != nil {
		t.Fatalf("ssh: %v", err)
	}
	return r
}

// fileContains reports whether path holds substr.
func fileContains(path, substr string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), substr)
}
