// Package aslog writes log files in the AsyncOS file form (SPEC 8):
//
//	Mon Nov  2 09:05:01 2026 Info: message
//
// C's ctime stamp in local time (day space-padded), the level word, a
// colon and the message. A new file starts with the Begin Logfile header;
// a file that grows past MaxSize, or that was begun RolloverTime ago, or
// on Rollover (rollovernow), is closed with "Logfile rolled over" and
// "End Logfile" and renamed to NAME.@YYYYMMDDTHHMMSS.s, the stamp being
// when that file was begun, as AsyncOS names its saved logs. OnRotate
// tells a reader of the files (message tracking) about each rotation.
//
// Lines are buffered: the mail path logs thousands of lines per second,
// so a write syscall per line is too slow. A line reaches the file when
// the buffer fills, within FlushInterval of being logged, on Flush, and
// on Close.
package aslog

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Level is the severity word written before the message.
type Level string

// AsyncOS log levels.
const (
	Critical Level = "Critical"
	Warning  Level = "Warning"
	Info     Level = "Info"
	Debug    Level = "Debug"
	Trace    Level = "Trace"
)

// ctimeLayout is C's ctime(3) without the trailing newline: the day of
// the month is padded with a space, as AsyncOS writes it.
const ctimeLayout = "Mon Jan _2 15:04:05 2006"

// savedLayout is the stamp in a rotated file's name (AsyncOS
// "mail_logs.@20261123T102000.s").
const savedLayout = "20060102T150405"

// Defaults for zero Options fields.
const (
	DefaultMaxSize       = 10 << 20
	DefaultFlushInterval = 500 * time.Millisecond
	bufferSize           = 64 << 10
)

// Options tunes a Log. Zero values take the defaults.
type Options struct {
	// MaxSize is the size in bytes past which the file is rotated
	// (default 10 MiB; negative: never rotate).
	MaxSize int64
	// MaxFiles is how many rotated files to keep (0: keep them all).
	MaxFiles int
	// Now is the clock (default time.Now). Stamps are in its location.
	Now func() time.Time
	// Version and Serial fill the "Version: V SN: S" header line.
	Version, Serial string
	// FlushInterval bounds how long a line stays in the buffer.
	FlushInterval time.Duration
	// RolloverTime, when positive, rotates a file that was begun that
	// long ago: checked on every line and on Tick, so that a quiet log
	// is rotated too (log collectors read only the rotated files).
	RolloverTime time.Duration
	// OnRotate, if set, is called after every rotation, outside the
	// log's lock (it may log), in rotation order.
	OnRotate func(Rotation)
	// Observer, when set, sees every line as it is written (message
	// tracking's index, mta/tracking). It is called with the log's lock
	// held: it must be quick and must not log.
	Observer Observer
}

// Observer follows a log's lines.
type Observer interface {
	// Line: msg (the text after "Level: ") was written to the file name
	// (a base name in the log's directory) at offset off; end is the
	// offset after its newline.
	Line(name string, off, end int64, t time.Time, msg string)
}

// Rotation is one finished rotation: From (the current file's path) was
// renamed To (its saved name) and a new From begun; Removed lists the
// saved files retention deleted after it, oldest first.
type Rotation struct {
	Name     string
	From, To string
	Removed  []string
}

// Log is one AsyncOS-style log file. It is safe for concurrent use.
type Log struct {
	dir, name string
	opts      Options

	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	size    int64     // bytes in the file, buffered ones included
	begun   time.Time // when the current file was begun
	armed   bool      // a flush timer is pending
	timer   *time.Timer
	err     error // first write error since the last Flush
	closed  bool
	lastSec int64 // cached stamp: the Unix second it formats
	stamp   []byte
	// done holds rotations not yet reported to OnRotate; hookMu keeps
	// their reports in order.
	done   []Rotation
	hookMu sync.Mutex
}

// Open opens (or creates) dir/name for appending. A new or empty file
// gets the Begin Logfile header.
func Open(dir, name string, opts Options) (*Log, error) {
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Version == "" {
		opts.Version = "unknown"
	}
	if opts.Serial == "" {
		opts.Serial = "unknown"
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("log %s: %w", name, err)
	}
	l := &Log{dir: dir, name: name, opts: opts}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.openLocked(); err != nil {
		return nil, err
	}
	return l, nil
}

// Path is the current file's path.
func (l *Log) Path() string { return filepath.Join(l.dir, l.name) }

// openLocked opens the current file and writes the header if it is new.
func (l *Log) openLocked() error {
	f, err := os.OpenFile(l.Path(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("log %s: %w", l.name, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log %s: %w", l.name, err)
	}
	l.f = f
	l.size = st.Size()
	if l.w == nil {
		l.w = bufio.NewWriterSize(f, bufferSize)
	} else {
		l.w.Reset(f)
	}
	if l.size == 0 {
		l.begun = l.opts.Now()
		l.header(l.begun)
		// A new file shows its header at once (rare: start, rotation,
		// reopen), so a watcher sees that logging continues.
		if err := l.w.Flush(); err != nil && l.err == nil {
			l.err = err
		}
	} else {
		l.begun = fileBegun(l.Path(), st.ModTime().In(l.opts.Now().Location()))
	}
	return nil
}

// header writes the three lines every AsyncOS log file starts with.
func (l *Log) header(now time.Time) {
	_, offset := now.Zone()
	l.line(now, Info, "Begin Logfile")
	l.line(now, Info, "Version: "+l.opts.Version+" SN: "+l.opts.Serial)
	l.line(now, Info, fmt.Sprintf("Time offset from UTC: %d seconds", offset))
}

// fileBegun reads the stamp of an existing file's first line, so that a
// file continued after a restart is still named for when it was begun.
func fileBegun(path string, fallback time.Time) time.Time {
	f, err := os.Open(path)
	if err != nil {
		return fallback
	}
	defer f.Close()
	buf := make([]byte, len(ctimeLayout))
	if _, err := io.ReadFull(f, buf); err != nil {
		return fallback
	}
	t, err := time.ParseInLocation(ctimeLayout, string(buf), fallback.Location())
	if err != nil {
		return fallback
	}
	return t
}

// Printf logs one line. Newlines in the message become spaces: one event
// is one line, and a peer-supplied string cannot forge a second entry.
func (l *Log) Printf(level Level, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	l.Print(level, msg)
}

// Info logs an Info line (mta/maillog.Logger).
func (l *Log) Info(format string, args ...any) { l.Printf(Info, format, args...) }

// Warning logs a Warning line (mta/maillog.Logger).
func (l *Log) Warning(format string, args ...any) { l.Printf(Warning, format, args...) }

// Print logs one line with the message as given.
func (l *Log) Print(level Level, msg string) {
	if strings.ContainsAny(msg, "\r\n") {
		msg = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(msg)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	now := l.opts.Now()
	// +1 for the newline; the stamp, level and separators are about 32.
	need := int64(len(ctimeLayout) + len(level) + len(msg) + 4)
	if l.opts.MaxSize > 0 && l.size > 0 && l.size+need > l.opts.MaxSize || l.dueLocked(now) {
		l.rotateLocked(now)
	}
	l.line(now, level, msg)
	if !l.armed && l.w.Buffered() > 0 {
		l.armed = true
		if l.timer == nil {
			l.timer = time.AfterFunc(l.opts.FlushInterval, l.timedFlush)
		} else {
			l.timer.Reset(l.opts.FlushInterval)
		}
	}
	rotated := len(l.done) > 0
	l.mu.Unlock()
	if rotated {
		l.report()
	}
}

// dueLocked reports whether the current file is RolloverTime old.
func (l *Log) dueLocked(now time.Time) bool {
	return l.opts.RolloverTime > 0 && l.f != nil && now.Sub(l.begun) >= l.opts.RolloverTime
}

// Tick rotates the file if it is due by time; the owner calls it
// periodically (a quiet log gets no line to check on).
func (l *Log) Tick() {
	l.mu.Lock()
	if !l.closed && l.dueLocked(l.opts.Now()) {
		l.rotateLocked(l.opts.Now())
	}
	l.mu.Unlock()
	l.report()
}

// Rollover rotates the file now, whatever its size and age
// (rollovernow).
func (l *Log) Rollover() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.rotateLocked(l.opts.Now())
	err := l.err
	l.err = nil
	l.mu.Unlock()
	l.report()
	return err
}

// report hands finished rotations to OnRotate, in order.
func (l *Log) report() {
	l.hookMu.Lock()
	defer l.hookMu.Unlock()
	l.mu.Lock()
	done := l.done
	l.done = nil
	l.mu.Unlock()
	if l.opts.OnRotate == nil {
		return
	}
	for _, r := range done {
		l.opts.OnRotate(r)
	}
}

// line formats one line into the buffer. Callers hold mu.
func (l *Log) line(now time.Time, level Level, msg string) {
	if sec := now.Unix(); sec != l.lastSec || l.stamp == nil {
		l.lastSec = sec
		l.stamp = now.AppendFormat(l.stamp[:0], ctimeLayout)
	}
	// bufio keeps the first write error and returns it from every later
	// call, so checking the last one is enough.
	l.w.Write(l.stamp)
	l.w.WriteByte(' ')
	l.w.WriteString(string(level))
	l.w.WriteString(": ")
	l.w.WriteString(msg)
	if err := l.w.WriteByte('\n'); err != nil && l.err == nil {
		l.err = err
	}
	off := l.size
	l.size += int64(len(l.stamp) + len(level) + len(msg) + 4)
	if l.opts.Observer != nil {
		l.opts.Observer.Line(l.name, off, l.size, now, msg)
	}
}

// rotateLocked ends the current file, renames it to its saved name and
// begins a new one. On failure the log keeps writing to the old file.
func (l *Log) rotateLocked(now time.Time) {
	l.line(now, Info, "Logfile rolled over")
	l.line(now, Info, "End Logfile")
	if err := l.w.Flush(); err != nil && l.err == nil {
		l.err = err
	}
	saved := l.savedName(l.begun)
	if err := os.Rename(l.Path(), saved); err != nil {
		if l.err == nil {
			l.err = err
		}
		return
	}
	l.f.Close()
	if err := l.openLocked(); err != nil {
		// Nowhere left to write: keep the error for Flush and drop
		// lines until Reopen succeeds.
		l.err = err
		l.f = nil
		l.w.Reset(io.Discard)
		return
	}
	removed := l.prune()
	if l.opts.OnRotate != nil {
		l.done = append(l.done, Rotation{Name: l.name, From: l.Path(), To: saved, Removed: removed})
	}
}

// savedName returns the path a finished file is renamed to. Names sort by
// time, which prune relies on: when an earlier saved file already has
// this second's stamp or a later one (several rotations in one second, a
// clock stepped back), the name takes the second after the newest.
func (l *Log) savedName(begun time.Time) string {
	stamp := begun.Truncate(time.Second)
	saved, _ := filepath.Glob(filepath.Join(l.dir, l.name+".@*.s"))
	for _, p := range saved {
		s := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), l.name+".@"), ".s")
		t, err := time.ParseInLocation(savedLayout, s, begun.Location())
		if err == nil && !t.Before(stamp) {
			stamp = t.Add(time.Second)
		}
	}
	return filepath.Join(l.dir, l.name+".@"+stamp.Format(savedLayout)+".s")
}

// prune removes the oldest saved files beyond MaxFiles and returns
// those it removed.
func (l *Log) prune() []string {
	if l.opts.MaxFiles <= 0 {
		return nil
	}
	saved, err := filepath.Glob(filepath.Join(l.dir, l.name+".@*.s"))
	if err != nil || len(saved) <= l.opts.MaxFiles {
		return nil
	}
	sort.Strings(saved) // the stamps sort by time
	var removed []string
	for _, p := range saved[:len(saved)-l.opts.MaxFiles] {
		if os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// timedFlush runs on the flush timer.
func (l *Log) timedFlush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.armed = false
	if l.closed {
		return
	}
	if err := l.w.Flush(); err != nil && l.err == nil {
		l.err = err
	}
}

// Flush writes buffered lines to the file and returns the first write
// error since the last Flush.
func (l *Log) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flushLocked()
}

func (l *Log) flushLocked() error {
	if l.closed {
		return nil
	}
	if err := l.w.Flush(); err != nil && l.err == nil {
		l.err = err
	}
	err := l.err
	l.err = nil
	return err
}

// Reopen flushes and reopens the file by name (SIGHUP): after an external
// tool moved it away, logging continues in a new file with a header.
func (l *Log) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	ferr := l.flushLocked()
	if l.f != nil {
		l.f.Close()
	}
	if err := l.openLocked(); err != nil {
		l.f = nil
		l.w.Reset(io.Discard)
		return err
	}
	return ferr
}

// Close flushes and closes the file. Lines logged after Close are dropped.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	err := l.flushLocked()
	l.closed = true
	if l.timer != nil {
		l.timer.Stop()
	}
	if l.f != nil {
		if cerr := l.f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
