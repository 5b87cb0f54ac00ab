package main

import (
	"context"
	"path/filepath"
	"time"

	"seg/internal/aslog"
	"seg/mta"
	"seg/mta/cpuload"
	"seg/mta/tracking"
	"seg/store"
)

// mtaDeps is what the mail system gets from main.
type mtaDeps struct {
	DataDir string      // the data dir; the queue lives in DataDir/queue
	Store   store.Store // the running configuration, with Watch for reloads
	// LogDir is where the logs live (DataDir/logs).
	LogDir string
	// OpenLog opens LogDir/NAME (e.g. "mail_logs") in the AsyncOS file
	// form, with obs (nil: none) following its lines and renames; main
	// reopens it on SIGHUP and closes it at exit. An *aslog.Log has Info
	// and Warning, so it is an mta/maillog.Logger.
	OpenLog func(name string, obs aslog.Observer) (*aslog.Log, error)
	// Logf reports process-level problems on stderr.
	Logf func(format string, args ...any)
	// Authenticate checks SMTP AUTH passwords: the SSH server's check,
	// with its account lockout (SPEC 7, 10).
	Authenticate func(user, password string) error
}

// shutdownGrace is how long SIGTERM lets sessions and deliveries in
// flight finish; attempts still running after it are abandoned and stay
// queued (they are retried after restart).
const shutdownGrace = 10 * time.Second

// startMTA starts the mail system and returns the shell's view of it and
// stop, which stops accepting, finishes or safely abandons deliveries in
// flight, and returns when the queue is closed (SPEC 1).
func startMTA(ctx context.Context, deps mtaDeps) (*mta.MTA, func(), error) {
	// Message tracking's index catches up with mail_logs before the log
	// is opened, then follows it line by line (mta/tracking).
	ix, err := tracking.Open(deps.LogDir, tracking.Options{Logf: deps.Logf})
	if err != nil {
		return nil, nil, err
	}
	ml, err := deps.OpenLog("mail_logs", ix)
	if err != nil {
		ix.Close()
		return nil, nil, err
	}
	// The machine's CPU load, for the.tdc.queue's background priority
	// (mta/tdc); sampled until the process ends.
	load := cpuload.New()
	go load.Run(ctx)
	m, err := mta.Start(mta.Options{
		DataDir:  deps.DataDir,
		Store:    deps.Store,
		Log:      ml,
		LogDir:   filepath.Dir(ml.Path()),
		Tracking: ix,
		Busy:     load.Busy,
		// SMTP AUTH logins count toward the SSH logins' lockout.
		Authenticate: deps.Authenticate,
	})
	if err != nil {
		ix.Close()
		return nil, nil, err
	}
	stop := func() {
		c, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := m.Close(c); err != nil {
			deps.Logf("stopping the mail system: %v", err)
		}
		// Lines logged later (none but at exit) are indexed at the next
		// start.
		if err := ix.Close(); err != nil {
			deps.Logf("closing the tracking index: %v", err)
		}
	}
	return m, stop, nil
}
