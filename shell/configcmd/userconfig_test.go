package configcmd

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"seg/store"
)

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHn9Z1mrBkB0jgvmCqkzoNwuP3Wo8F8mV2Zr3m4NcQ9z bob@laptop"

func TestUserconfigBatch(t *testing.T) {
	b := newBatch(t)
	os.MkdirAll(b.h.S.ConfigDir(), 0o700)
	os.WriteFile(b.configPath("pw"), []byte("s3cret-passw0rd\nignored second line\n"), 0o600)
	b.ok(`userconfig new bob --role Operator --password-file pw --fullname "Bob Smith"`)
	u := b.cfg().User("bob")
	if u == nil || u.Role != store.RoleOperator || u.FullName != "Bob Smith" || !store.CheckPassword(u.PasswordHash, "s3cret-passw0rd") {
		t.Fatalf("bob = %+v", u)
	}
	b.ok(`userconfig new carol --role readonly --sshkey "` + testKey + `"`)
	if u := b.cfg().User("carol"); !reflect.DeepEqual(u.SSHKeys, []string{testKey}) || u.PasswordHash != "" {
		t.Errorf("carol = %+v", u)
	}
	b.fail("userconfig new bob --role guest --password-file pw", `The user "bob" already exists.`)
	b.fail("userconfig new Dave --role guest --password-file pw", "A user name starts with a lower-case letter")
	b.fail("userconfig new dave --password-file pw", "A new user needs --role")
	b.fail("userconfig new dave --role guest", "A new user needs --password-file or --sshkey")
	b.fail("userconfig new dave --role wizard --password-file pw", `Unknown role "wizard"`)
	b.fail("userconfig new dave --role guest --password-file nosuch", `the file "nosuch" does not exist`)
	b.fail(`userconfig new dave --role guest --sshkey "ssh-rsa garbage"`, "Not a valid SSH public key")
	os.WriteFile(b.configPath("short"), []byte("short\n"), 0o600)
	b.fail("userconfig new dave --role guest --password-file short", "The password must be at least 8 characters long.")
	b.fail("userconfig new dave --role guest --password-file pw --admin=yes", "Unknown option --admin")

	out := b.ok("userconfig print")
	want := "Users:\n1. admin - Administrator (admin)\n2. bob - Bob Smith (operator)\n3. carol - (no full name) (readonly)\n"
	if out != want {
		t.Errorf("print:\n%s\nwant:\n%s", out, want)
	}
	if strings.Contains(out, "$2a$") {
		t.Error("print shows a hash")
	}
	b.commit()

	// edit
	b.ok("userconfig edit carol --delsshkeys --sshkey '" + testKey + "' --role guest")
	if u := b.cfg().User("carol"); len(u.SSHKeys) != 1 || u.Role != store.RoleGuest {
		t.Errorf("carol = %+v", u)
	}
	b.ok("userconfig edit carol --delsshkeys")
	if u := b.cfg().User("carol"); len(u.SSHKeys) != 0 {
		t.Errorf("keys left: %v", u.SSHKeys)
	}
	os.WriteFile(b.configPath("pw2"), []byte("another-passw0rd"), 0o600)
	b.fail("userconfig edit carol --smtp-auth yes", "carol has no password: SMTP AUTH checks one")
	b.fail("userconfig edit bob --smtp-auth maybe", "--smtp-auth must be yes or no")
	b.ok("userconfig edit bob --smtp-auth yes")
	if u := b.cfg().User("bob"); !u.SMTPAuth {
		t.Errorf("bob has no SMTP AUTH right: %+v", u)
	}
	if out := b.ok("userconfig print"); !strings.Contains(out, "2. bob - Bob Smith (operator, SMTP AUTH)\n") {
		t.Errorf("print does not show the right:\n%s", out)
	}
	b.ok("userconfig edit bob --smtp-auth no")
	if u := b.cfg().User("bob"); u.SMTPAuth {
		t.Errorf("bob kept the SMTP AUTH right: %+v", u)
	}
	b.ok("userconfig edit bob --password-file pw2 --fullname Robert")
	if u := b.cfg().User("bob"); !store.CheckPassword(u.PasswordHash, "another-passw0rd") || u.FullName != "Robert" {
		t.Errorf("bob = %+v", u)
	}
	b.fail("userconfig edit admin --role operator", "admin is the last administrator")
	b.fail("userconfig edit nosuch --role guest", `There is no user named "nosuch".`)
	b.fail("userconfig edit bob", "Nothing to change")

	// delete
	b.fail("userconfig delete admin", "The last administrator account may not be deleted.")
	b.ok("userconfig edit bob --role admin")
	b.fail("userconfig delete admin", "You may not delete your own account.")
	b.ok("userconfig delete carol")
	if b.cfg().User("carol") != nil {
		t.Error("carol not deleted")
	}
	b.fail("userconfig delete carol", "There is no user named")
	b.fail("userconfig frob", `Unknown userconfig operation "frob"`)
	b.commit()
}

func TestUserconfigAccess(t *testing.T) {
	b := newBatch(t)
	b.h.S.Role = store.RoleOperator
	b.fail("userconfig print", "You are not in the correct access group to use this command.")
}

func TestUserconfigTranscript(t *testing.T) {
	transcript(t, "userconfig.txt")
	transcript(t, "userconfig_smtpauth.txt")
}

// The interactive NEW and PASSWORD store bcrypt hashes of what was typed.
func TestUserconfigInteractivePassword(t *testing.T) {
	b := newBatch(t)
	b.h.S.Interactive = true
	b.h.Run("userconfig", "new", "eve", "Eve Example", "3", "password-1", "password-1", "n", "password", "eve", "password-2", "password-2", "", "commit", "add eve")
	u := b.cfg().User("eve")
	if u == nil || u.Role != store.RoleReadOnly || !store.CheckPassword(u.PasswordHash, "password-2") {
		t.Fatalf("eve = %+v\n%s", u, b.h.Output())
	}
	if strings.Contains(b.h.Output(), "$2a$") {
		t.Error("a hash was printed")
	}
}
