package smtpd

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"

	"seg/store"
)

// SMTP AUTH (RFC 4954; SPEC 10): PLAIN (RFC 4616) and LOGIN against
// seg's users that have the SMTP AUTH right (store.User.SMTPAuth). The
// password check is Deps.Authenticate, the SSH server's, so a failed
// AUTH counts toward the account lockout of SPEC 7 and a locked account
// fails. The HAT policy decides whether AUTH is offered
// (smtpauth_allow), only inside TLS (smtpauth_requiretls), required
// before MAIL (smtpauth_allow required), and whether an authenticated
// client may relay (smtpauth_relay).

// authProfile names seg's one authentication profile in the log lines
// (AsyncOS names the SMTP authentication profile there).
const authProfile = "seg"

// overTLS reports whether the session runs inside TLS. STARTTLS swaps
// c.raw for the tls.Conn (conn.startTLS).
func (c *conn) overTLS() bool {
	_, ok := c.raw.(*tls.Conn)
	return ok
}

// authAllowed reports whether the policy lets clients AUTH at all.
func (c *conn) authAllowed() bool {
	a := c.info.dec.Flow.SMTPAuthAllow
	return a == store.SMTPAuthOn || a == store.SMTPAuthRequired
}

// authOffered reports whether EHLO lists AUTH now: allowed, and inside
// TLS when smtpauth_requiretls is on (RFC 4954 section 4 lets a server
// keep plaintext mechanisms for TLS).
func (c *conn) authOffered() bool {
	return c.authAllowed() && (c.overTLS() || !c.info.dec.Flow.SMTPAuthRequireTLS)
}

// ehloAuth is EHLO's AUTH line, "" when AUTH is not offered.
func (c *conn) ehloAuth() string {
	if !c.authOffered() {
		return ""
	}
	return "250-AUTH PLAIN LOGIN\r\n"
}

// mailNeedsAuth is the refusal of MAIL under smtpauth_allow required
// before a successful AUTH (RFC 4954 section 6), nil otherwise.
func (c *conn) mailNeedsAuth() *smtpError {
	if c.info.dec.Flow.SMTPAuthAllow == store.SMTPAuthRequired && c.authUser == "" {
		return smtpErr(530, enhancedCode{5, 7, 0}, "Authentication required")
	}
	return nil
}

// authRelays reports whether the authenticated client may relay: skip
// the RAT as a RELAY policy does (SPEC 10: smtpauth_relay on).
func (c *conn) authRelays() bool {
	return c.authUser != "" && c.info.dec.Flow.SMTPAuthRelay
}

// auth answers AUTH mechanism [initial-response] (RFC 4954 section 4).
func (c *conn) auth(arg string) {
	if !c.authAllowed() {
		c.authRefused(arg)
		return
	}
	fields := strings.Fields(arg)
	switch {
	case c.helo == "":
		c.write("503 5.5.1 Please introduce yourself first.\r\n")
		return
	case !c.authOffered():
		c.write("530 5.7.0 Must issue a STARTTLS command first\r\n")
		return
	case c.authUser != "":
		c.write("503 5.5.1 Already authenticated\r\n")
		return
	case c.s.mid != 0:
		c.write("503 5.5.1 AUTH not permitted during a mail transaction\r\n")
		return
	case len(fields) == 0 || len(fields) > 2:
		c.write("501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n")
		return
	}
	mech := strings.ToUpper(fields[0])
	user, checked := "", false
	check := func(identity, username, password string) error {
		user, checked = username, true
		// seg does not act for another identity (RFC 4616 section 2):
		// an authorization identity must be the user's own.
		if identity != "" && identity != username {
			return errors.New("authorization identity differs")
		}
		if c.s.s.d.Authenticate == nil {
			return errors.New("no password check")
		}
		if err := c.s.s.d.Authenticate(username, password); err != nil {
			return err
		}
		if u := c.info.cfg.User(username); u == nil || !u.SMTPAuth {
			return errors.New("no SMTP AUTH right")
		}
		return nil
	}
	var srv sasl.Server
	switch mech {
	case sasl.Plain:
		srv = sasl.NewPlainServer(func(identity, username, password string) error {
			return check(identity, username, password)
		})
	case sasl.Login:
		srv = &loginServer{check: check}
	default:
		c.write("504 5.5.4 Unrecognized authentication type\r\n")
		return
	}
	var resp []byte // nil: no initial response
	if len(fields) == 2 {
		var ok bool
		if resp, ok = decodeResponse(fields[1]); !ok {
			c.write("501 5.5.2 Cannot decode response\r\n")
			return
		}
	}
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil && !checked {
			// Not authzid NUL authcid NUL passwd (RFC 4616 section 2), or
			// a response after the last: malformed, not a failed login.
			c.write("501 5.5.2 Invalid authentication data\r\n")
			return
		}
		if err != nil {
			c.log.Info("SMTP Auth: (ICID %d) failed for user: %s using AUTH mechanism: %s with profile: %s", c.info.icid, logSafe(user), mech, authProfile)
			c.write("535 5.7.8 Authentication credentials invalid\r\n")
			return
		}
		if done {
			c.authUser = user
			c.log.Info("SMTP Auth: (ICID %d) succeeded for user: %s using AUTH mechanism: %s with profile: %s", c.info.icid, logSafe(user), mech, authProfile)
			c.write("235 2.7.0 Authentication successful\r\n")
			return
		}
		c.write("334 " + base64.StdEncoding.EncodeToString(challenge) + "\r\n")
		line, rerr := c.readCommand()
		if rerr != nil {
			c.hangUp()
			return
		}
		if line == "*" {
			c.write("501 5.0.0 Authentication cancelled\r\n")
			return
		}
		var ok bool
		if resp, ok = decodeResponse(line); !ok {
			c.write("501 5.5.2 Cannot decode response\r\n")
			return
		}
	}
}

// decodeResponse decodes a client response: base64, "=" for an empty
// one (RFC 4954 section 4).
func decodeResponse(s string) ([]byte, bool) {
	if s == "=" {
		return []byte{}, true
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}

// authRefused answers AUTH as seg always has when the policy does not
// allow it: no mechanism is offered.
func (c *conn) authRefused(arg string) {
	switch {
	case c.helo == "":
		c.write("502 5.5.1 Please introduce yourself first.\r\n")
	case len(strings.Fields(arg)) == 0:
		c.write("502 5.5.4 Missing parameter\r\n")
	default:
		c.write("523 5.7.10 TLS is required\r\n")
	}
}

// loginServer is the server side of LOGIN (draft-murchison-sasl-login):
// the "Username:" and "Password:" challenges, then the check. go-sasl
// has only its client.
type loginServer struct {
	check    func(identity, username, password string) error
	username string
	step     int
}

func (a *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch a.step {
	case 0: // AUTH LOGIN, with the user name as initial response or not
		if response == nil {
			a.step = 1
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		a.username = string(response)
		a.step = 2
		return []byte("Password:"), false, nil
	case 2:
		a.step = 3
		return nil, true, a.check("", a.username, string(response))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}
