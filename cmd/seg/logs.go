package main

import (
	"errors"
	"sync"

	"seg/internal/aslog"
)

// Log file sizes and retention: AsyncOS rolls log files over at 10 MB by
// default and keeps a bounded number of them.
const (
	logMaxSize  = 10 << 20
	logMaxFiles = 10
)

// logSet opens the appliance's log files under DIR/logs, reopens them on
// SIGHUP and closes them at exit.
type logSet struct {
	dir  string
	opts aslog.Options

	mu   sync.Mutex
	logs []*aslog.Log
}

func newLogSet(d *dataDir) *logSet {
	return &logSet{
		dir:  d.file("logs"),
		opts: aslog.Options{MaxSize: logMaxSize, MaxFiles: logMaxFiles, Version: version, Serial: d.serial},
	}
}

// open opens logs/name.
func (s *logSet) open(name string) (*aslog.Log, error) {
	return s.openObserved(name, nil)
}

// openObserved opens logs/name with obs following its lines and renames
// (mail_logs: message tracking's index).
func (s *logSet) openObserved(name string, obs aslog.Observer) (*aslog.Log, error) {
	opts := s.opts
	opts.Observer = obs
	l, err := aslog.Open(s.dir, name, opts)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.logs = append(s.logs, l)
	s.mu.Unlock()
	return l, nil
}

// reopen reopens every file by name (after an external rotation).
func (s *logSet) reopen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, l := range s.logs {
		errs = append(errs, l.Reopen())
	}
	return errors.Join(errs...)
}

// close flushes and closes every file.
func (s *logSet) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, l := range s.logs {
		errs = append(errs, l.Close())
	}
	s.logs = nil
	return errors.Join(errs...)
}
