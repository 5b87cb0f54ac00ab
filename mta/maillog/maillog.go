// Package maillog is the seam through which the MTA writes AsyncOS
// mail_logs lines (SPEC 8; reference/mail_logs-formats.md). The message is
// the text after "{ctime} Info: ".
package maillog

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// Logger writes mail_logs lines.
type Logger interface {
	Info(format string, args ...any)
	Warning(format string, args ...any)
}

// Flusher is a Logger that keeps lines in a buffer (internal/aslog:
// thousands of lines a second cost one write each otherwise) and writes
// them out on Flush.
type Flusher interface {
	Flush() error
}

// Flush writes out what l holds in its buffer, when it has one, at the
// points where a line must not be lost to a crash (kill -9) because
// someone was told: before the 250 that accepts a message, after a
// delivery's results. Write errors are the log's to report (Flush's
// caller cannot do better than go on).
func Flush(l Logger) {
	if f, ok := l.(Flusher); ok {
		f.Flush()
	}
}

// Memory is a Logger that keeps lines in memory, for tests.
type Memory struct {
	mu      sync.Mutex
	lines   []string
	flushed int // lines logged before the last Flush
}

// Flush marks every line logged so far as written out (Flusher), for
// tests of when the MTA flushes.
func (m *Memory) Flush() error {
	m.mu.Lock()
	m.flushed = len(m.lines)
	m.mu.Unlock()
	return nil
}

// Flushed returns how many of Lines were logged before the last Flush:
// those a crash would not have lost had they been in a file.
func (m *Memory) Flushed() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.flushed
}

// Info records an Info line.
func (m *Memory) Info(format string, args ...any) { m.add("Info: " + fmt.Sprintf(format, args...)) }

// Warning records a Warning line.
func (m *Memory) Warning(format string, args ...any) {
	m.add("Warning: " + fmt.Sprintf(format, args...))
}

func (m *Memory) add(s string) {
	m.mu.Lock()
	m.lines = append(m.lines, s)
	m.mu.Unlock()
}

// Lines returns a copy of the lines logged so far ("Info: ...").
func (m *Memory) Lines() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.lines...)
}

// Repr quotes s as Python's repr() does for str, the way AsyncOS (a
// Python program) writes every quoted value in mail_logs (Message-ID,
// Subject, reply text, logged headers): single quotes unless s holds a
// single quote and no double quote; backslash escapes for the quote in
// use, the backslash, \t \n \r, and \xNN for other control characters
// and for bytes that are not UTF-8. Real lines: Message-ID '<id@host>',
// Message-ID "<Lands'End.6cl2sv--1f.tlmd@email.landsend.com>" (S:184),
// ('from', '"Amy Phillips" <midlandThoth\'s@moscowmail.com>') (S:272).
// It is the one quoting function for log lines: a field quoted by hand
// ('%s') breaks on the first quote inside it.
func Repr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		c := s[i]
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x` + string(hex[c>>4]) + string(hex[c&15]))
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\x` + string(hex[c>>4]) + string(hex[c&15]))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte(q)
	return b.String()
}
