package main

import (
	"net"
	"strings"

	"seg/internal/aslog"
	"seg/internal/logsub"
)

// cliLog writes logs/cli_logs (SPEC 3): every command run, however it
// arrived, with its user, source and result, and logins and logouts.
// Lines read, for example:
//
//	User admin (ssh 127.0.0.1:50312) logged in
//	User admin (ssh 127.0.0.1:50312) executed batch command: 'tophosts 1' result: ok
//	User admin (socket) executed command: 'commit' result: ok
//	User admin (ssh 127.0.0.1:50312) logged out of CLI session
//	Authentication failed for user admin (ssh 127.0.0.1:50312): wrong password
//
// Logins and failed logins also go to the authentication log (auth).
type cliLog struct {
	log  *logsub.Writer
	auth *logsub.Writer
}

func (c *cliLog) login(user, source string) {
	c.log.Printf(aslog.Info, "User %s (%s) logged in", user, source)
	c.auth.Printf(aslog.Info, "The user %s successfully logged on %s.", user, authOrigin(source))
}

func (c *cliLog) logout(user, source string) {
	c.log.Printf(aslog.Info, "User %s (%s) logged out of CLI session", user, source)
	c.auth.Printf(aslog.Info, "The user %s logged out %s.", user, authOrigin(source))
}

func (c *cliLog) authFailed(user, source, reason string) {
	c.log.Printf(aslog.Warning, "Authentication failed for user %s (%s): %s", user, source, reason)
	host, via := authSource(source)
	if host != "" {
		host = " from " + host
	}
	c.auth.Printf(aslog.Warning, "An authentication attempt by the user %s%s failed using %s: %s.", user, host, via, reason)
}

// smtpAuth logs an SMTP AUTH password check (SPEC 10), whose caller
// knows no client address: mail_logs' "SMTP Auth: (ICID n)" line has it.
func (c *cliLog) smtpAuth(user string, err error) {
	if err != nil {
		c.auth.Printf(aslog.Warning, "An SMTP authentication attempt by the user %s failed: %v.", user, err)
		return
	}
	c.auth.Printf(aslog.Info, "The user %s successfully authenticated using SMTP AUTH.", user)
}

// authOrigin words a session source for the authentication log, as
// AsyncOS does ("from 10.1.1.1 using an SSH connection").
func authOrigin(source string) string {
	host, via := authSource(source)
	if host == "" {
		return "using " + via
	}
	return "from " + host + " using " + via
}

// authSource splits a session source ("ssh 127.0.0.1:50312", "socket",
// "console") into the client's address, if any, and the way in.
func authSource(source string) (host, via string) {
	if rest, ok := strings.CutPrefix(source, "ssh "); ok {
		host = rest
		if h, _, err := net.SplitHostPort(rest); err == nil {
			host = h
		}
		return host, "an SSH connection"
	}
	return "", "the " + source + " session"
}

// sessionAudit is one session's shell.AuditLog. Commands typed at the
// interactive prompt are "executed command"; one-shot and batch lines
// are "executed batch command", AsyncOS's wording for them.
type sessionAudit struct {
	log         *cliLog
	interactive bool
}

func (a *sessionAudit) Command(user, source, line, result string) {
	kind := "batch command"
	if a.interactive {
		kind = "command"
	}
	a.log.log.Printf(aslog.Info, "User %s (%s) executed %s: '%s' result: %s", user, source, kind, line, result)
}
