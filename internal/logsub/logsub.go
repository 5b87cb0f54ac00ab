// Package logsub runs the log subscriptions (logconfig, SPEC 13): each
// subscription takes the lines of one log type at or above its level and
// writes them to logs/NAME (internal/aslog: AsyncOS framing, rotation by
// size and time, retention) or pushes them to a syslog receiver.
//
// Writers are per type and stable: the MTA keeps its mail_logs Writer for
// its life, and Apply (a commit) changes which subscriptions a Writer
// feeds without a restart.
package logsub

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"seg/internal/aslog"
	"seg/store"
)

// Options configures a Manager.
type Options struct {
	// Dir is the logs directory (DATA/logs).
	Dir string
	// File is the base of every file's options (Version, Serial, Now,
	// FlushInterval); size, time, retention and OnRotate are set per
	// subscription.
	File aslog.Options
	// OnRotate, if set, hears of every rotation of every file (message
	// tracking follows mail_logs through it): aslog.Rotation says which
	// subscription, the old and new names and what retention removed.
	// It may run while a line is being logged: it must not log through
	// this Manager itself.
	OnRotate func(aslog.Rotation)
	// Logf reports problems of the logging itself (stderr).
	Logf func(format string, args ...any)
}

// Manager owns the subscriptions.
type Manager struct {
	o Options

	mu       sync.RWMutex
	subs     []*sub
	hostname string
	closed   bool
	writers  map[string]*Writer
}

// sub is one running subscription: a file or a syslog sender.
type sub struct {
	cfg  store.LogSubscription
	max  int // the most verbose level rank written
	file *aslog.Log
	sys  *sender
}

// New returns a Manager with no subscriptions; Apply starts them.
func New(o Options) *Manager {
	if o.File.Now == nil {
		o.File.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return &Manager{o: o, writers: map[string]*Writer{}}
}

// levelRank orders the levels, least verbose first.
func levelRank(l aslog.Level) int {
	switch l {
	case aslog.Critical:
		return 0
	case aslog.Warning:
		return 1
	case aslog.Info:
		return 2
	case aslog.Debug:
		return 3
	}
	return 4
}

// configRank is a subscription's level as a rank.
func configRank(level string) int {
	for i, l := range store.LogLevels {
		if l == level {
			return i
		}
	}
	return 2
}

// Apply makes subs the running subscriptions and hostname the syslog
// HOSTNAME. Subscriptions whose settings did not change keep running
// (their file and connection untouched); new and changed ones start
// before any old one stops, and if one cannot start (a file that cannot
// be opened), nothing changes and the error says why.
func (m *Manager) Apply(subs []store.LogSubscription, hostname string) error {
	m.mu.RLock()
	old := map[string]*sub{}
	for _, s := range m.subs {
		old[strings.ToLower(s.cfg.Name)] = s
	}
	closed := m.closed
	m.mu.RUnlock()
	if closed {
		return errors.New("logs are closed")
	}
	var next, started []*sub
	keep := map[*sub]bool{}
	for _, c := range subs {
		if s, ok := old[strings.ToLower(c.Name)]; ok && s.cfg == c {
			next = append(next, s)
			keep[s] = true
			continue
		}
		s, err := m.start(c)
		if err != nil {
			for _, x := range started {
				x.stop()
			}
			return err
		}
		started = append(started, s)
		next = append(next, s)
	}
	m.mu.Lock()
	prev := m.subs
	m.subs, m.hostname = next, hostname
	m.mu.Unlock()
	var errs []error
	for _, s := range prev {
		if !keep[s] {
			errs = append(errs, s.stop())
		}
	}
	return errors.Join(errs...)
}

// start opens one subscription's file or starts its sender.
func (m *Manager) start(c store.LogSubscription) (*sub, error) {
	s := &sub{cfg: c, max: configRank(c.Level)}
	if c.Method == store.LogMethodSyslog {
		name := c.Name
		s.sys = newSender(name, c.SyslogProtocol, c.SyslogAddr(), m.o.Logf, func(n int64) []byte {
			return m.frame(c, aslog.Warning, fmt.Sprintf("%d log lines were dropped while the syslog receiver was unreachable", n))
		})
		return s, nil
	}
	fo := m.o.File
	fo.MaxSize = c.RolloverSize
	fo.MaxFiles = c.MaxFiles
	fo.RolloverTime = time.Duration(c.RolloverTime) * time.Second
	fo.OnRotate = m.o.OnRotate
	l, err := aslog.Open(m.o.Dir, c.Name, fo)
	if err != nil {
		return nil, err
	}
	s.file = l
	return s, nil
}

func (s *sub) stop() error {
	if s.file != nil {
		return s.file.Close()
	}
	s.sys.close()
	return nil
}

// frame is one syslog frame for subscription c.
func (m *Manager) frame(c store.LogSubscription, level aslog.Level, msg string) []byte {
	m.mu.RLock()
	host := m.hostname
	m.mu.RUnlock()
	return Frame(c.SyslogFacility, level, m.o.File.Now(), host, c.Name, msg)
}

// Writer returns the writer of one log type (store.LogMailLogs, ...).
func (m *Manager) Writer(typ string) *Writer {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.writers[typ]
	if w == nil {
		w = &Writer{m: m, typ: typ}
		m.writers[typ] = w
	}
	return w
}

// print hands one line to every subscription of typ that takes level.
func (m *Manager) print(typ string, level aslog.Level, msg string) {
	if strings.ContainsAny(msg, "\r\n") {
		msg = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(msg)
	}
	r := levelRank(level)
	m.mu.RLock()
	defer m.mu.RUnlock()
	var now time.Time
	for _, s := range m.subs {
		if s.cfg.Type != typ || r > s.max {
			continue
		}
		if s.file != nil {
			s.file.Print(level, msg)
			continue
		}
		if now.IsZero() {
			now = m.o.File.Now()
		}
		s.sys.send(Frame(s.cfg.SyslogFacility, level, now, m.hostname, s.cfg.Name, msg))
	}
}

// Wants reports whether any subscription takes typ's lines at level, so
// that a writer can skip building a line nobody reads.
func (m *Manager) Wants(typ string, level aslog.Level) bool {
	r := levelRank(level)
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, s := range m.subs {
		if s.cfg.Type == typ && r <= s.max {
			return true
		}
	}
	return false
}

// files returns the file subscriptions named name ("": all of them).
func (m *Manager) files(name string) ([]*aslog.Log, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []*aslog.Log
	for _, s := range m.subs {
		if name != "" && !strings.EqualFold(s.cfg.Name, name) {
			continue
		}
		if s.file == nil {
			if name != "" {
				return nil, fmt.Errorf("Log %s is pushed to syslog: it has no file.", s.cfg.Name)
			}
			continue
		}
		out = append(out, s.file)
	}
	if name != "" && len(out) == 0 {
		return nil, fmt.Errorf("No log subscription named %s.", name)
	}
	return out, nil
}

// Rollover rotates the named file subscription now, or every file
// subscription when name is "" (rollovernow).
func (m *Manager) Rollover(name string) error {
	fs, err := m.files(name)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range fs {
		errs = append(errs, f.Rollover())
	}
	return errors.Join(errs...)
}

// Flush writes the named subscription's buffered lines to its file
// ("": every file), for a reader of the files (tail, grep).
func (m *Manager) Flush(name string) error {
	fs, err := m.files(name)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range fs {
		errs = append(errs, f.Flush())
	}
	return errors.Join(errs...)
}

// Tick rotates the files due by time; Run calls it every second.
func (m *Manager) Tick() {
	fs, _ := m.files("")
	for _, f := range fs {
		f.Tick()
	}
}

// Run calls Tick every second until done is closed.
func (m *Manager) Run(done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			m.Tick()
		}
	}
}

// Dropped is how many lines the named syslog subscription has dropped
// in all (its receiver down or slow).
func (m *Manager) Dropped(name string) int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, s := range m.subs {
		if s.sys != nil && strings.EqualFold(s.cfg.Name, name) {
			return s.sys.total.Load()
		}
	}
	return 0
}

// Reopen reopens every file by name (SIGHUP, after an external rotation).
func (m *Manager) Reopen() error {
	fs, _ := m.files("")
	var errs []error
	for _, f := range fs {
		errs = append(errs, f.Reopen())
	}
	return errors.Join(errs...)
}

// Close flushes and closes every file and stops every sender; lines
// written after Close are dropped.
func (m *Manager) Close() error {
	m.mu.Lock()
	subs := m.subs
	m.subs, m.closed = nil, true
	m.mu.Unlock()
	var errs []error
	for _, s := range subs {
		errs = append(errs, s.stop())
	}
	return errors.Join(errs...)
}

// Writer writes the lines of one log type to its subscriptions. Info and
// Warning make it an mta/maillog.Logger.
type Writer struct {
	m   *Manager
	typ string
}

// Print logs one line.
func (w *Writer) Print(level aslog.Level, msg string) { w.m.print(w.typ, level, msg) }

// Printf logs one formatted line.
func (w *Writer) Printf(level aslog.Level, format string, args ...any) {
	if !w.m.Wants(w.typ, level) {
		return
	}
	msg := format
	if len(args) > 0 {
		msg = sprintf(format, args...)
	}
	w.m.print(w.typ, level, msg)
}

// Info logs an Info line.
func (w *Writer) Info(format string, args ...any) { w.Printf(aslog.Info, format, args...) }

// Warning logs a Warning line.
func (w *Writer) Warning(format string, args ...any) { w.Printf(aslog.Warning, format, args...) }

// Debug logs a Debug line.
func (w *Writer) Debug(format string, args ...any) { w.Printf(aslog.Debug, format, args...) }

// Flush writes buffered lines of every file of this type and returns the
// first write error (aslog.Log.Flush's contract).
func (w *Writer) Flush() error {
	w.m.mu.RLock()
	var fs []*aslog.Log
	for _, s := range w.m.subs {
		if s.cfg.Type == w.typ && s.file != nil {
			fs = append(fs, s.file)
		}
	}
	w.m.mu.RUnlock()
	var errs []error
	for _, f := range fs {
		errs = append(errs, f.Flush())
	}
	return errors.Join(errs...)
}
