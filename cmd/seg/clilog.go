package main

import (
	"seg/internal/aslog"
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
type cliLog struct {
	log *aslog.Log
}

func (c *cliLog) login(user, source string) {
	c.log.Printf(aslog.Info, "User %s (%s) logged in", user, source)
}

func (c *cliLog) logout(user, source string) {
	c.log.Printf(aslog.Info, "User %s (%s) logged out of CLI session", user, source)
}

func (c *cliLog) authFailed(user, source, reason string) {
	c.log.Printf(aslog.Warning, "Authentication failed for user %s (%s): %s", user, source, reason)
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
