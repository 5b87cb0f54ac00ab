package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"seg/internal/segtest"
)

func sshDial(port int, user string, auth ssh.AuthMethod) (*ssh.Client, error) {
	return ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

func TestSSH(t *testing.T) {
	segtest.Tool(t, "ssh")
	const adminPW = "correct horse battery"
	a := segtest.Open(t, t.TempDir())
	a.Password = adminPW
	a.Cli("help")
	a.Configure()
	dir, sshPort := a.Dir, a.SSHPort

	// A key made by ssh-keygen, added to admin with userconfig.
	keyDir := t.TempDir()
	key := filepath.Join(keyDir, "id_ed25519")
	if out, err := exec.Command(segtest.Tool(t, "ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", "e2e@test", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	// A guest account to lock out, with a password from a file in the
	// configuration directory.
	os.WriteFile(filepath.Join(dir, "configuration", "victim.pw"), []byte("victim password\n"), 0o600)
	a.Start()
	a.MustCli("userconfig", "edit", "admin", "--sshkey", strings.TrimSpace(string(pub)), ";",
		"userconfig", "new", "victim", "--role", "guest", "--password-file", "victim.pw", ";", "commit", "ssh access")

	t.Run("one-shot with exit status", func(t *testing.T) {
		r := openSSH(t, key, sshPort, "admin", "", "sshconfig print")
		if r.Code != 0 || !strings.Contains(r.Stdout, fmt.Sprintf("port %d", sshPort)) {
			t.Fatalf("%s", r)
		}
		r = openSSH(t, key, sshPort, "admin", "", "bogus command")
		if r.Code != 1 || !strings.Contains(r.Stderr, "Unknown command: bogus") {
			t.Fatalf("failing command: %s", r)
		}
		r = openSSH(t, key, sshPort, "admin", "", `destconfig edit DEFAULT --max_host_concurrency=123 ; commit "via ssh"`)
		if r.Code != 0 || !strings.Contains(r.Stdout, "Changes committed") {
			t.Fatalf("commit over ssh: %s", r)
		}
		if cfg, _ := showconfig(t, a); cfg.DestDefault["max_host_concurrency"] != "123" {
			t.Fatalf("ssh commit not in the running config: %v", cfg.DestDefault)
		}
	})

	t.Run("batch from stdin", func(t *testing.T) {
		r := openSSH(t, key, sshPort, "admin", "# batch\nsshconfig print\n\ndestconfig edit DEFAULT --max_host_concurrency=124\ncommit\n")
		if r.Code != 0 || !strings.Contains(r.Stdout, "SSH server") || !strings.Contains(r.Stdout, "Changes committed") {
			t.Fatalf("%s", r)
		}
		r = openSSH(t, key, sshPort, "admin", "sshconfig print\nbogus\ncommit\n")
		if r.Code != 1 || !strings.Contains(r.Stderr, "-:2: Unknown command: bogus") {
			t.Fatalf("bad batch: %s", r)
		}
	})

	t.Run("password and pty", func(t *testing.T) {
		c, err := sshDial(sshPort, "admin", ssh.Password(adminPW))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sess, _ := c.NewSession()
		if err := sess.RequestPty("xterm", 30, 100, nil); err != nil {
			t.Fatal(err)
		}
		in, _ := sess.StdinPipe()
		outR, _ := sess.StdoutPipe()
		if err := sess.Shell(); err != nil {
			t.Fatal(err)
		}
		sess.WindowChange(40, 120)
		io.WriteString(in, "sshconfig print\r")
		io.WriteString(in, "quit\r")
		out, _ := io.ReadAll(outR)
		if err := sess.Wait(); err != nil {
			t.Fatalf("exit: %v\n%q", err, out)
		}
		if !strings.Contains(string(out), "seg.localdomain> ") || !strings.Contains(string(out), "SSH server: address 127.0.0.1 port") {
			t.Fatalf("terminal output %q", out)
		}
	})

	t.Run("five bad passwords lock the account", func(t *testing.T) {
		if c, err := sshDial(sshPort, "victim", ssh.Password("victim password")); err != nil {
			t.Fatalf("victim cannot log in: %v", err)
		} else {
			c.Close()
		}
		for i := 0; i < 5; i++ {
			if _, err := sshDial(sshPort, "victim", ssh.Password("wrong")); err == nil {
				t.Fatal("wrong password accepted")
			}
		}
		if _, err := sshDial(sshPort, "victim", ssh.Password("victim password")); err == nil {
			t.Fatal("locked account accepted its password")
		}
		// Other accounts are not affected.
		if c, err := sshDial(sshPort, "admin", ssh.Password(adminPW)); err != nil {
			t.Fatalf("admin locked by victim's failures: %v", err)
		} else {
			c.Close()
		}
		log := filepath.Join(dir, "logs", "cli_logs")
		segtest.Wait(t, 10*time.Second, "the lockout in cli_logs", func() bool {
			return fileContains(log, "Warning: Authentication failed for user victim (ssh 127.0.0.1:") &&
				fileContains(log, "account locked for 5 minutes after 5 failed logins")
		})
	})

	t.Run("follows sshconfig", func(t *testing.T) {
		newPort := segtest.FreePort(t)
		a.MustCli(fmt.Sprintf("sshconfig setup --port %d ; commit", newPort))
		segtest.Wait(t, 10*time.Second, "SSH on the new port", func() bool {
			c, err := sshDial(newPort, "admin", ssh.Password(adminPW))
			if err != nil {
				return false
			}
			c.Close()
			return true
		})
		if r := openSSH(t, key, newPort, "admin", "", "sshconfig print"); r.Code != 0 {
			t.Fatalf("%s", r)
		}
		sshPort = newPort
	})

	log := filepath.Join(dir, "logs", "cli_logs")
	segtest.Wait(t, 10*time.Second, "ssh commands in cli_logs", func() bool {
		return fileContains(log, "Info: User admin (ssh 127.0.0.1:") &&
			fileContains(log, "executed batch command: 'commit \"via ssh\"' result: ok")
	})
	a.Stop()
}
