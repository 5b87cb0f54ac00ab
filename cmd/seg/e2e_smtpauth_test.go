package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// SMTP AUTH and SSH share one account lockout (SPEC 7, 10): five failed
// AUTHs lock the account for SSH too, and the lock refuses AUTH with the
// right password.
func TestSMTPAuthFailuresLockSSH(t *testing.T) {
	const pw = "dave-password-1"
	a := segtest.New(t, "listenerconfig edit IncomingMail hostaccess default --smtpauth_allow=on --smtpauth_requiretls=off")
	if err := os.WriteFile(filepath.Join(a.Dir, "configuration", "dave.pw"), []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.Start()
	a.MustCli("userconfig new dave --role readonly --password-file dave.pw --smtp-auth yes ; commit dave")
	auth := func(password string) error {
		cl, err := segtest.Client{LocalIP: "127.0.0.5"}.Dial(a.SMTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		return cl.Auth(sasl.NewPlainClient("", "dave", password))
	}
	if err := auth(pw); err != nil {
		t.Fatalf("dave's AUTH: %v", err)
	}
	for i := 0; i < 5; i++ {
		var se *smtp.SMTPError
		if err := auth("wrong password"); !errors.As(err, &se) || se.Code != 535 {
			t.Fatalf("wrong password %d: %v", i+1, err)
		}
	}
	if passwordLogin(a.SSHPort, "dave", pw) == nil {
		t.Fatal("SSH accepted dave's password after five failed SMTP AUTHs")
	}
	if err := auth(pw); err == nil {
		t.Fatal("the locked account passed SMTP AUTH")
	}
	// The authentication log (a default subscription) has each check.
	a.MustCli("rollovernow authentication") // everything on disk
	saved, _ := filepath.Glob(filepath.Join(a.Dir, "logs", "authentication.@*.s"))
	if len(saved) != 1 {
		t.Fatalf("authentication saved files: %v", saved)
	}
	b, _ := os.ReadFile(saved[0])
	log := string(b)
	if n := strings.Count(log, "Info: The user dave successfully authenticated using SMTP AUTH."); n != 1 {
		t.Errorf("%d SMTP AUTH successes logged, want 1:\n%s", n, log)
	}
	if n := strings.Count(log, "Warning: An SMTP authentication attempt by the user dave failed: "); n != 6 {
		t.Errorf("%d SMTP AUTH failures logged, want 6 (5 wrong passwords, 1 locked):\n%s", n, log)
	}
	if !strings.Contains(log, "Warning: An authentication attempt by the user dave from 127.0.0.1 failed using an SSH connection: ") {
		t.Errorf("the SSH failure is not logged:\n%s", log)
	}
}
