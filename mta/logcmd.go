package mta

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
)

// tailLines is how many lines `tail` prints. AsyncOS's tail follows the
// log until Ctrl-C; seg prints the last lines and returns, which also
// suits SSH one-shots and scripts.
const tailLines = 40

// logFiles lists the mail_logs files oldest first: rotated
// mail_logs.@TIMESTAMP.s files, then the current one.
func (m *MTA) logFiles() []string {
	dir := m.o.LogDir
	old, _ := filepath.Glob(filepath.Join(dir, "mail_logs.@*.s"))
	sort.Strings(old)
	return append(old, filepath.Join(dir, "mail_logs"))
}

// scanLogs calls f for every line of every mail_logs file, oldest first.
func (m *MTA) scanLogs(f func(line string)) {
	if fl, ok := m.o.Log.(interface{ Flush() error }); ok {
		_ = fl.Flush()
	}
	for _, p := range m.logFiles() {
		file, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(file)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			f(sc.Text())
		}
		file.Close()
	}
}

// TailLog prints the last lines of mail_logs (tail).
func (m *MTA) TailLog(out io.Writer) error {
	var ring []string
	m.scanLogs(func(l string) {
		ring = append(ring, l)
		if len(ring) > tailLines {
			ring = ring[1:]
		}
	})
	for _, l := range ring {
		fmt.Fprintln(out, l)
	}
	return nil
}

// GrepLog prints the mail_logs lines that match the regular expression
// pattern (grep).
func (m *MTA) GrepLog(out io.Writer, pattern string) error {
	if pattern == "" {
		return fmt.Errorf("grep needs a pattern")
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return fmt.Errorf("Invalid regular expression %q: %v", pattern, err)
	}
	n := 0
	m.scanLogs(func(l string) {
		if re.MatchString(l) {
			fmt.Fprintln(out, l)
			n++
		}
	})
	if n == 0 {
		fmt.Fprintln(out, "No matching lines were found.")
	}
	return nil
}
