package main

import (
	"context"
	"time"

	"seg/mta"
	"seg/mta/cpuload"
	"seg/mta/tracking"
	"seg/store"
)

// mtaDeps is what the mail system gets from main.
type mtaDeps struct {
	DataDir string      // the data dir; the queue lives in DataDir/queue
	Store   store.Store // the running configuration, with Watch for reloads
	// Logs are the log subscriptions: the MTA writes mail_logs and the
	// bounce log through their writers (mta/maillog.Loggers) and reads
	// logs/mail_logs (findevent).
	Logs *logSet
	// Tracking is message tracking's index of logs/mail_logs, which the
	// log set feeds (findevent reads it).
	Tracking *tracking.Index
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
	ml := deps.Logs.writer(store.LogMailLogs)
	// The machine's CPU load, for the.tdc.queue's background priority
	// (mta/tdc); sampled until the process ends.
	load := cpuload.New()
	go load.Run(ctx)
	m, err := mta.Start(mta.Options{
		DataDir:  deps.DataDir,
		Store:    deps.Store,
		Log:      ml,
		LogDir:   deps.Logs.dir,
		Tracking: deps.Tracking,
		// One line per bounced or delayed recipient (logconfig type
		// bounces).
		BounceLog: deps.Logs.writer(store.LogBounces),
		Busy:      load.Busy,
		// SMTP AUTH logins count toward the SSH logins' lockout.
		Authenticate: deps.Authenticate,
	})
	if err != nil {
		return nil, nil, err
	}
	stop := func() {
		c, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := m.Close(c); err != nil {
			deps.Logf("stopping the mail system: %v", err)
		}
	}
	return m, stop, nil
}

// peerStatsProvider is the statistics this machine publishes to its
// cluster (SPEC 14: `status --cluster`, `tophosts --cluster`): the
// cluster node calls it every time it refreshes its registration and
// stores the JSON under its lease. The machine is named by its hostname
// in the running configuration, as the cluster names it (`seg run
// --hostname`, sethostname).
func peerStatsProvider(m *mta.MTA, st store.Store) func() ([]byte, error) {
	return func() ([]byte, error) {
		snap, err := st.Current()
		if err != nil {
			return nil, err
		}
		return m.PeerStatsJSON(snap.Config.System.Hostname)
	}
}
