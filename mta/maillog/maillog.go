// Package maillog is the seam through which the MTA writes AsyncOS
// mail_logs lines (SPEC 8; reference/mail_logs-formats.md). The message is
// the text after "{ctime} Info: ".
package maillog

import (
	"fmt"
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
