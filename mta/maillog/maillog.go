// Package maillog is the seam through which the MTA writes AsyncOS
// mail_logs lines (SPEC 8; reference/mail_logs-formats.md). The message is
// the text after "{ctime} Info: ".
package maillog

import (
	"fmt"
	"strings"
	"sync"
)

// Logger writes mail_logs lines.
type Logger interface {
	Info(format string, args ...any)
	Warning(format string, args ...any)
}

// Memory is a Logger that keeps lines in memory, for tests.
type Memory struct {
	mu    sync.Mutex
	lines []string
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

// Repr quotes s as Python's repr() does for str, as AsyncOS logs reply
// text: single quotes unless s holds a single quote and no double quote.
func Repr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}
