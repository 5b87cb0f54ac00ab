package main

import (
	"fmt"
	"io"
	"time"

	"seg/shell"
	"seg/store"
	"seg/store/clusterstore"
)

// admin is what every shell session of this process shares: the console,
// the control socket, SSH, and offline `seg cli`.
type admin struct {
	dir     *dataDir
	store   store.Store
	cluster *clusterstore.Node // the same store, for the cluster commands; nil offline
	mail    shell.MailSystem   // nil offline, and until the MTA exists
	sys     shell.System       // the process (version, shutdown, reboot); nil offline
	ends    shell.Endpoints    // nil offline
	cmds    *shell.Registry
	log     *cliLog
	logs    shell.LogControl // the log subscriptions (rollovernow)
	// sessions are the open sessions (who, last); nil offline.
	sessions *sessionTable
	// checkPassword checks a password as an SSH login does, counting
	// failures toward the lockout (passwd); nil offline.
	checkPassword func(user, source, password string) error
	// timeoutMinute is a minute of the CLI inactivity timeout (0: a
	// real one; $SEG_TEST_CLI_MINUTE in the end-to-end tests).
	timeoutMinute time.Duration
}

// adminSession is a shell session that logs its login and logout, and
// follows the terminal width.
type adminSession struct {
	s      *shell.Session
	audit  *sessionAudit
	log    *cliLog
	unlist func() // removes it from the session table
}

// newSession starts a session for user, who must exist in the running
// configuration, with the user's role. source is how cli_logs names it.
func (a *admin) newSession(user, source string, stdout, stderr io.Writer) (*adminSession, error) {
	snap, err := a.store.Current()
	if err != nil {
		return nil, err
	}
	u := snap.Config.User(user)
	if u == nil {
		return nil, fmt.Errorf("Unknown user: %s. The appliance's users are managed with userconfig.", user)
	}
	audit := &sessionAudit{log: a.log}
	s := &shell.Session{
		User:      u.Name,
		Role:      u.Role,
		Source:    source,
		Store:     a.store,
		Mail:      a.mail,
		System:    a.sys,
		Endpoints: a.ends,
		Commands:  a.cmds,
		Out:       stdout,
		Err:       stderr,
		Audit:     audit,
		DataDir:   a.dir.path,
		Logs:      a.logs,

		TimeoutMinute: a.timeoutMinute,
	}
	if a.cluster != nil {
		s.Cluster = clusterAdapter{node: a.cluster, user: u.Name}
	}
	s.Touch()
	unlist := func() {}
	if a.sessions != nil {
		s.Sessions = a.sessions
		unlist = a.sessions.add(s, time.Now())
	}
	if a.checkPassword != nil {
		s.CheckPassword = func(user, password string) error { return a.checkPassword(user, source, password) }
	}
	a.log.login(u.Name, source)
	return &adminSession{s: s, audit: audit, log: a.log, unlist: unlist}, nil
}

func (as *adminSession) done() {
	as.unlist()
	as.log.logout(as.s.User, as.s.Source)
}

// RunTerminal runs the interactive shell.
func (as *adminSession) RunTerminal(in io.ReadCloser, out io.Writer) error {
	defer as.done()
	as.audit.interactive = true
	return as.s.RunTerminal(in, out)
}

// RunOneShot runs " ; "-separated commands.
func (as *adminSession) RunOneShot(line string) error {
	defer as.done()
	return as.s.RunOneShot(line)
}

// RunBatch runs a batch file.
func (as *adminSession) RunBatch(name string, r io.Reader) error {
	defer as.done()
	return as.s.RunBatch(name, r)
}

// Resize follows the terminal's size: readline wraps by the width, and
// output is paged by the height.
func (as *adminSession) Resize(width, height int) {
	as.s.SetWidth(width)
	as.s.SetHeight(height)
}
