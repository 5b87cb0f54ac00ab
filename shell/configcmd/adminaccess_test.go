package configcmd

import (
	"testing"
)

func TestAdminAccessBatch(t *testing.T) {
	b := newBatch(t)
	if out := b.ok("adminaccessconfig print"); out != "CLI session inactivity timeout: 30 minutes\n" {
		t.Fatalf("print: %q", out)
	}
	b.ok("adminaccessconfig timeout --cli 10")
	if got := b.cfg().AdminAccess.CLITimeout; got != 10 {
		t.Fatalf("timeout %d", got)
	}
	b.commit()
	b.fail("adminaccessconfig timeout --cli 4", "from 5 to 1440")
	b.fail("adminaccessconfig timeout --cli 1441", "from 5 to 1440")
	b.fail("adminaccessconfig timeout --cli soon", "from 5 to 1440")
	b.fail("adminaccessconfig timeout", "Usage")
	b.fail("adminaccessconfig timeout --web 10", "--web")
	b.h.S.Role = "operator"
	b.fail("adminaccessconfig timeout --cli 20", "correct access group")
}

func TestSSHUserKeyBatch(t *testing.T) {
	b := newBatch(t)
	if out := b.ok("sshconfig userkey print"); out != "There are no user keys installed.\n" {
		t.Fatalf("print: %q", out)
	}
	b.ok(`sshconfig userkey new admin "` + testKey + `"`)
	if k := b.cfg().User("admin").SSHKeys; len(k) != 1 || k[0] != testKey {
		t.Fatalf("keys %q", k)
	}
	b.fail(`sshconfig userkey new admin "`+testKey+`"`, "already has this key")
	b.fail(`sshconfig userkey new nobody "`+testKey+`"`, "no user named")
	b.fail(`sshconfig userkey new admin "ssh-ed25519 notakey"`, "Not a valid SSH public key")
	out := b.ok("sshconfig userkey print admin")
	// The key is shortened to its start and end, with its comment.
	if want := "Currently installed keys for admin:\n1. ssh-ed25519 AAAAC3NzaC1l...3m4NcQ9z bob@laptop\n"; out != want {
		t.Fatalf("print admin: %q, want %q", out, want)
	}
	b.commit()
	b.fail("sshconfig userkey delete admin 2", "no key number 2")
	b.ok("sshconfig userkey delete admin 1")
	if k := b.cfg().User("admin").SSHKeys; len(k) != 0 {
		t.Fatalf("keys after delete %q", k)
	}
	b.h.S.Role = "operator"
	b.fail(`sshconfig userkey new admin "`+testKey+`"`, "correct access group")
}

func TestUserAccessTranscripts(t *testing.T) {
	transcript(t, "adminaccessconfig.txt")
	transcript(t, "sshconfig_userkey.txt")
}
