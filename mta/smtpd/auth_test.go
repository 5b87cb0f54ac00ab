package smtpd

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/store"
)

// authEnv has smtpauth_allow as given on $ACCEPTED (requiretls off, the
// plaintext case), the users bob (right, password "bobpass1") and carol
// (no right, password "carolpass"), and a password check that records
// who was checked.
func authEnv(t *testing.T, p store.Params) (*env, *[]string) {
	cfg := testConfig()
	cfg.Users = append(cfg.Users,
		store.User{Name: "bob", Role: store.RoleGuest, PasswordHash: "x", SMTPAuth: true},
		store.User{Name: "carol", Role: store.RoleGuest, PasswordHash: "x"})
	params := store.Params{"smtpauth_requiretls": "off"}
	for k, v := range p {
		params[k] = v
	}
	policy(cfg, "$ACCEPTED").Params = params
	var checked []string
	pw := map[string]string{"bob": "bobpass1", "carol": "carolpass"}
	e := newEnvWith(t, cfg, func(d *Deps) {
		d.Authenticate = func(user, password string) error {
			checked = append(checked, user)
			if p, ok := pw[user]; !ok || p != password {
				return errors.New("wrong")
			}
			return nil
		}
	})
	return e, &checked
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestAuthPlainAndLogin(t *testing.T) {
	e, checked := authEnv(t, store.Params{"smtpauth_allow": "on"})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.line()
	c.send("EHLO client.test\r\n")
	if r := c.reply(); !slices.Contains(r, "250-AUTH PLAIN LOGIN") {
		t.Fatalf("EHLO does not offer AUTH: %q", r)
	}
	c.expect("AUTH PLAIN "+b64("\x00bob\x00wrong"), "535 5.7.8 Authentication credentials invalid")
	e.waitLog("Info: SMTP Auth: (ICID 1) failed for user: bob using AUTH mechanism: PLAIN with profile: seg")
	c.expect("AUTH PLAIN "+b64("\x00carol\x00carolpass"), "535 5.7.8 ")
	c.expect("AUTH PLAIN "+b64("only-one-part"), "501 5.5.2 ")
	c.expect("AUTH PLAIN !!!", "501 5.5.2 Cannot decode response")
	c.expect("AUTH CRAM-MD5", "504 5.5.4 ")
	// LOGIN, challenge by challenge; "*" cancels.
	c.expect("AUTH LOGIN", "334 "+b64("Username:"))
	c.expect("*", "501 5.0.0 Authentication cancelled")
	c.expect("AUTH LOGIN", "334 "+b64("Username:"))
	c.expect(b64("bob"), "334 "+b64("Password:"))
	c.expect(b64("bobpass1"), "235 2.7.0 Authentication successful")
	e.waitLog("Info: SMTP Auth: (ICID 1) succeeded for user: bob using AUTH mechanism: LOGIN with profile: seg")
	c.expect("AUTH PLAIN "+b64("\x00bob\x00bobpass1"), "503 5.5.1 ")
	// Authenticated, but smtpauth_relay is off: the RAT still applies.
	c.expect("MAIL FROM:<bob@sender.test>", "250 ")
	c.expect("RCPT TO:<x@far.test>", "550 ")
	c.expect("AUTH LOGIN", "503 5.5.1 ")
	if want := []string{"bob", "carol", "bob"}; !slices.Equal(*checked, want) {
		t.Errorf("passwords checked for %q, want %q (not for malformed data)", *checked, want)
	}

	// PLAIN with an empty initial challenge; an authorization identity
	// other than the user's own fails.
	c2 := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c2.greet("client.test")
	c2.expect("AUTH PLAIN", "334 ")
	c2.expect(b64("admin\x00bob\x00bobpass1"), "535 5.7.8 ")
	c2.expect("AUTH PLAIN", "334 ")
	c2.expect(b64("bob\x00bob\x00bobpass1"), "235 2.7.0 ")
}

func TestAuthOffAndRequireTLS(t *testing.T) {
	// smtpauth_allow off: what seg always answered.
	e, _ := authEnv(t, store.Params{"smtpauth_allow": "off"})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.line()
	c.send("EHLO client.test\r\n")
	if r := c.reply(); slices.ContainsFunc(r, func(l string) bool { return strings.Contains(l, "AUTH") }) {
		t.Errorf("EHLO offers AUTH with smtpauth_allow off: %q", r)
	}
	c.expect("AUTH PLAIN "+b64("\x00bob\x00bobpass1"), "523 5.7.10 TLS is required")

	// requiretls on: not offered in plaintext, refused.
	e2, checked := authEnv(t, store.Params{"smtpauth_allow": "on", "smtpauth_requiretls": "on"})
	c = dialFrom(t, e2.addr("IncomingMail"), "127.0.0.2")
	c.line()
	c.send("EHLO client.test\r\n")
	if r := c.reply(); slices.ContainsFunc(r, func(l string) bool { return strings.Contains(l, "AUTH") }) {
		t.Errorf("EHLO offers AUTH in plaintext with smtpauth_requiretls on: %q", r)
	}
	c.expect("AUTH PLAIN "+b64("\x00bob\x00bobpass1"), "530 5.7.0 Must issue a STARTTLS command first")
	if len(*checked) != 0 {
		t.Errorf("password checked in plaintext: %q", *checked)
	}
}

func TestAuthRequiredAndRelay(t *testing.T) {
	e, _ := authEnv(t, store.Params{"smtpauth_allow": "required", "smtpauth_relay": "on"})
	c := dialFrom(t, e.addr("IncomingMail"), "127.0.0.2")
	c.greet("client.test")
	c.expect("MAIL FROM:<bob@sender.test>", "530 5.7.0 Authentication required")
	c.expect("AUTH PLAIN "+b64("\x00bob\x00bobpass1"), "235 ")
	if got := c.sendMessage("bob@sender.test", []string{"x@far.test"}, "Subject: s\r\n\r\nb\r\n"); !strings.HasPrefix(got, "250 ") {
		t.Fatalf("relay after AUTH with smtpauth_relay on: %q", got)
	}
}

// TestAuthAfterStartTLS drives the STARTTLS seam (nothing offers
// STARTTLS yet) under smtpauth_requiretls on: refused in plaintext,
// offered and accepted once the session runs inside TLS.
func TestAuthAfterStartTLS(t *testing.T) {
	certPEM, keyPEM := segtest.SelfSigned(t, "mx.seg.test")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := authEnv(t, store.Params{"smtpauth_allow": "on", "smtpauth_requiretls": "on"})
	server, pipe := net.Pipe()
	defer pipe.Close()
	e.srv.mu.Lock()
	lc := e.srv.lis["incomingmail"].cur.Load().lc
	e.srv.mu.Unlock()
	cfg := testConfig()
	cfg.Users = append(cfg.Users, store.User{Name: "bob", Role: store.RoleGuest, PasswordHash: "x", SMTPAuth: true})
	flow := store.DecodeFlowSettings(store.Params{"smtpauth_allow": "on", "smtpauth_requiretls": "on"})
	info := &connInfo{icid: 1, cfg: cfg, lc: lc, hostname: "mx.seg.test", dec: decision{Behavior: store.BehaviorAccept, Flow: &flow}}
	c := e.srv.newConn(server, store.DefaultConnLimits(), info, func() {})
	go func() {
		for _, cmd := range []string{"EHLO", "AUTH"} {
			line, err := c.readCommand()
			if err != nil || !strings.HasPrefix(line, cmd) {
				return
			}
			c.command(line)
		}
		line, err := c.readCommand()
		if err != nil || line != "STARTTLS" {
			return
		}
		if c.startTLS(&tls.Config{Certificates: []tls.Certificate{cert}}) != nil {
			return
		}
		c.serve()
	}()
	pipe.SetDeadline(time.Now().Add(10 * time.Second))
	pc := &client{t: t, c: pipe, r: textproto.NewReader(bufio.NewReader(pipe))}
	pc.send("EHLO client.test\r\n")
	if r := pc.reply(); slices.Contains(r, "250-AUTH PLAIN LOGIN") {
		t.Errorf("AUTH offered in plaintext: %q", r)
	}
	pc.expect("AUTH PLAIN "+b64("\x00bob\x00bobpass1"), "530 5.7.0 Must issue a STARTTLS command first")
	pc.expect("STARTTLS", "220 ")
	tc := tls.Client(pipe, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	tl := &client{t: t, c: tc, r: textproto.NewReader(bufio.NewReader(tc))}
	tl.send("EHLO client.test\r\n")
	if r := tl.reply(); !slices.Contains(r, "250-AUTH PLAIN LOGIN") {
		t.Errorf("AUTH not offered inside TLS: %q", r)
	}
	tl.expect("AUTH PLAIN "+b64("\x00bob\x00bobpass1"), "235 2.7.0 Authentication successful")
}
