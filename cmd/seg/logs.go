package main

import (
	"context"
	"time"

	"seg/internal/aslog"
	"seg/internal/logsub"
	"seg/mta/tracking"
	"seg/store"
)

// logSet runs the appliance's log subscriptions (logconfig) under
// DIR/logs: it starts them from the running configuration, follows
// commits (hot reload), reopens the files on SIGHUP and closes them at
// exit.
type logSet struct {
	dir string
	m   *logsub.Manager
}

// newLogSet makes the set; ix (nil: none) is message tracking's index,
// opened on the same directory: it sees every line written (its Line
// ignores the files that are not mail_logs) and hears of every rotation.
func newLogSet(d *dataDir, logf func(string, ...any), ix *tracking.Index) *logSet {
	dir := d.file("logs")
	o := logsub.Options{
		Dir:  dir,
		File: aslog.Options{Version: version, Serial: d.serial},
		Logf: logf,
	}
	if ix != nil {
		o.File.Observer = ix
		o.OnRotate = func(r aslog.Rotation) {
			ix.Renamed(r.From, r.To)
			for _, p := range r.Removed {
				ix.Renamed(p, "")
			}
		}
	}
	return &logSet{dir: dir, m: logsub.New(o)}
}

// apply makes cfg's subscriptions the running ones.
func (s *logSet) apply(cfg *store.Config) error {
	return s.m.Apply(cfg.LogSubscriptions(), cfg.System.Hostname)
}

// writer returns the writer of one log type.
func (s *logSet) writer(typ string) *logsub.Writer { return s.m.Writer(typ) }

// follow applies every committed configuration until ctx ends, and
// rotates the files due by time. A subscription that cannot start (its
// file cannot be opened) leaves the previous ones running and says why.
func (s *logSet) follow(ctx context.Context, st store.Store, logf func(string, ...any)) {
	go s.m.Run(ctx.Done())
	snaps, stop := st.Watch()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case snap, ok := <-snaps:
			if !ok {
				return
			}
			if err := s.apply(snap.Config); err != nil {
				logf("log subscriptions: %v (the previous ones keep running)", err)
			}
		}
	}
}

// reopen reopens every file by name (after an external rotation).
func (s *logSet) reopen() error { return s.m.Reopen() }

// close flushes and closes every file and stops the syslog senders.
func (s *logSet) close() error { return s.m.Close() }

// statusInterval is how often the status log gets its counters line
// (AsyncOS's default for status logs).
const statusInterval = time.Minute

// status writes line() to the status logs every statusInterval until
// ctx ends; nothing is computed while no status subscription exists.
func (s *logSet) status(ctx context.Context, line func() string) {
	t := time.NewTicker(statusInterval)
	defer t.Stop()
	w := s.writer(store.LogStatus)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s.m.Wants(store.LogStatus, aslog.Info) {
				w.Print(aslog.Info, line())
			}
		}
	}
}
