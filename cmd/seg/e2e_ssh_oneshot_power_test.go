package main

import (
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestSSHOneShotShutdown: `ssh admin@host shutdown 0` prints the
// command's lines and exits 0 (its exit status was lost before SSH
// drained), and seg run stops cleanly.
func TestSSHOneShotShutdown(t *testing.T) {
	a := segtest.New(t)
	a.Start()
	key := newUserKey(t, t.TempDir(), "admin")
	a.MustCli("userconfig", "edit", "admin", "--sshkey", key.line, ";", "commit", "admin key")
	r := openSSH(t, key.file, a.SSHPort, "admin", "", "shutdown 0")
	if r.Code != 0 || !strings.Contains(r.Stdout, "System shutting down. Please close this session.\n") {
		t.Errorf("ssh shutdown 0: %s", r)
	}
	if code := a.WaitExit(30 * time.Second); code != 0 {
		t.Fatalf("seg run after shutdown over SSH: exit %d\n%s", code, a.Output())
	}
}
