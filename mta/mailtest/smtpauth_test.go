package mailtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// authAttempt opens a session from 127.0.0.5 (outside RELAYLIST: the
// RAT applies) and runs AUTH PLAIN with go-smtp's client: "235" on
// success, else "CODE X.Y.Z TEXT". The session stays open for the
// caller. go-smtp answers a failed AUTH with "*", which seg counts as a
// bad command, so each attempt has its own session.
func authAttempt(t *testing.T, addr, user, password string) (*smtp.Client, string) {
	t.Helper()
	cl, err := segtest.Client{LocalIP: "127.0.0.5"}.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	err = cl.Auth(sasl.NewPlainClient("", user, password))
	if err == nil {
		return cl, "235"
	}
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("AUTH as %s: %v", user, err)
	}
	ec := se.EnhancedCode
	return cl, fmt.Sprintf("%d %d.%d.%d %s", se.Code, ec[0], ec[1], ec[2], se.Message)
}

// authTry is authAttempt in a session of its own, closed after.
func authTry(t *testing.T, addr, user, password string) string {
	t.Helper()
	cl, got := authAttempt(t, addr, user, password)
	cl.Close()
	return got
}

// swaksAuth sends one message with swaks, authenticating with mech; it
// returns swaks's transcript and whether it exited 0.
func swaksAuth(t *testing.T, addr, mech, user, password, to string) (string, bool) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(segtest.Tool(t, "swaks"), "--server", host, "--port", port, "--helo", "swaks.test",
		"--local-interface", "127.0.0.5", "--from", "bob@client.test", "--to", to,
		"--auth", mech, "--auth-user", user, "--auth-password", password, "--timeout", "30")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err == nil
}

// SMTP AUTH (SPEC 10) against the built binary: the commit that turns it
// on takes effect on the next connection; smtpauth_requiretls keeps it
// out of plaintext; right and wrong passwords, a user without the right,
// the account lockout shared with SSH; smtpauth_allow required; and
// smtpauth_relay letting an authenticated client relay past the RAT.
func TestSMTPAuthOnTheWire(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new far.test "+sink.Addr(),
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT")
	for user, pw := range map[string]string{"bob": "bob-password-1", "carol": "carol-password-1", "dave": "dave-password-1"} {
		if err := os.WriteFile(filepath.Join(a.Dir, "configuration", user+".pw"), []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a.Start()
	a.MustCli("userconfig new bob --role guest --password-file bob.pw --smtp-auth yes ; " +
		"userconfig new carol --role operator --password-file carol.pw ; " +
		"userconfig new dave --role readonly --password-file dave.pw --smtp-auth yes ; commit users")
	if out := a.MustCli("userconfig print"); !strings.Contains(out, "bob - (no full name) (guest, SMTP AUTH)") {
		t.Fatalf("userconfig print does not show the right:\n%s", out)
	}
	addr := a.SMTPAddr()

	// smtpauth_allow off (the default): not offered, refused as ever.
	cl, got := authAttempt(t, addr, "bob", "bob-password-1")
	defer cl.Close()
	if ok, _ := cl.Extension("AUTH"); ok || got != "523 5.7.10 TLS is required" {
		t.Fatalf("AUTH off: offered %v, AUTH answered %q", ok, got)
	}
	// on, with smtpauth_requiretls on (its default): seg has no STARTTLS
	// yet, so it is neither offered nor accepted in plaintext.
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --smtpauth_allow=on ; commit auth on")
	cl, got = authAttempt(t, addr, "bob", "bob-password-1")
	if ok, _ := cl.Extension("AUTH"); ok || got != "530 5.7.0 Must issue a STARTTLS command first" {
		t.Fatalf("AUTH in plaintext with requiretls: offered %v, AUTH answered %q", ok, got)
	}
	a.MustCli("listenerconfig edit IncomingMail hostaccess default --smtpauth_requiretls=off ; commit auth in plaintext")

	cl, got = authAttempt(t, addr, "bob", "bob-password-1")
	if ok, mechs := cl.Extension("AUTH"); !ok || mechs != "PLAIN LOGIN" || got != "235" {
		t.Fatalf("AUTH on: offered %v %q, AUTH answered %q", ok, mechs, got)
	}
	a.WaitLog(t, "SMTP Auth: (ICID ", 10*time.Second)
	a.WaitLog(t, ") succeeded for user: bob using AUTH mechanism: PLAIN with profile: seg", 10*time.Second)
	// Authenticated, but smtpauth_relay is off: the RAT still decides.
	if err := cl.Mail("bob@client.test", nil); err != nil {
		t.Fatal(err)
	}
	expectRcpt(t, cl, "x@far.test", "550 5.7.1 Recipient address rejected")

	if got = authTry(t, addr, "bob", "wrong-password"); got != "535 5.7.8 Authentication credentials invalid" {
		t.Fatalf("wrong password: %q", got)
	}
	a.WaitLog(t, ") failed for user: bob using AUTH mechanism: PLAIN with profile: seg", 10*time.Second)
	if got = authTry(t, addr, "carol", "carol-password-1"); got != "535 5.7.8 Authentication credentials invalid" {
		t.Fatalf("a user without the right: %q", got)
	}
	a.WaitLog(t, ") failed for user: carol using AUTH mechanism: PLAIN", 10*time.Second)
	// LOGIN with swaks.
	if out, ok := swaksAuth(t, addr, "LOGIN", "bob", "bob-password-1", "y@example.test"); !ok || !strings.Contains(out, "235 2.7.0 Authentication successful") {
		t.Fatalf("swaks AUTH LOGIN:\n%s", out)
	}
	a.WaitLog(t, ") succeeded for user: bob using AUTH mechanism: LOGIN with profile: seg", 10*time.Second)

	// The lockout of SPEC 7: five failures lock dave; then even his
	// password fails.
	for i := 1; i <= 5; i++ {
		if got = authTry(t, addr, "dave", "not-daves-password"); got != "535 5.7.8 Authentication credentials invalid" {
			t.Fatalf("failure %d: %q", i, got)
		}
	}
	if got = authTry(t, addr, "dave", "dave-password-1"); got != "535 5.7.8 Authentication credentials invalid" {
		t.Fatalf("locked account, right password: %q", got)
	}
	a.WaitLogN(t, "failed for user: dave using AUTH mechanism: PLAIN with profile: seg", 6, 10*time.Second)
	// bob, not locked, still gets in: the lock is dave's alone.
	if got = authTry(t, addr, "bob", "bob-password-1"); got != "235" {
		t.Fatalf("bob after dave's lockout: %q", got)
	}

	// required, and relay after AUTH, on the next connection.
	a.MustCli("listenerconfig edit IncomingMail smtpauth --smtpauth_allow=required --smtpauth_relay=on ; commit auth required")
	plain, err := segtest.Client{LocalIP: "127.0.0.5"}.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	var se *smtp.SMTPError
	if err := plain.Mail("anon@client.test", nil); !errors.As(err, &se) || se.Code != 530 || se.Message != "Authentication required" {
		t.Fatalf("MAIL without AUTH under required: %v", err)
	}
	cl, got = authAttempt(t, addr, "bob", "bob-password-1")
	if got != "235" {
		t.Fatalf("AUTH under required: %q", got)
	}
	if _, err := segtest.Transact(cl, "bob@client.test", []string{"x@far.test"}, plainMessage("x@far.test", "relayed", "auth@client.test")); err != nil {
		t.Fatalf("relay after AUTH with smtpauth_relay on: %v", err)
	}
	if got := sink.WaitCount(t, 1, 20*time.Second); !slices.Equal(got[0].Rcpts, []string{"x@far.test"}) {
		t.Fatalf("relayed message reached %v", got[0].Rcpts)
	}
}
