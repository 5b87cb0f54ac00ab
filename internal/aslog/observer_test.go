package aslog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recorder is an Observer that keeps what it was told.
type recorder struct{ events []string }

func (r *recorder) Line(name string, off, end int64, _ time.Time, msg string) {
	r.events = append(r.events, fmt.Sprintf("line %s %d %d %s", name, off, end, msg))
}

func (r *recorder) Renamed(oldName, newName string) {
	r.events = append(r.events, fmt.Sprintf("renamed %s -> %q", oldName, newName))
}

// TestObserver: every line is reported with the offsets it has in its
// file, and rotation reports the rename, then retention's removals.
func TestObserver(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	rec := &recorder{}
	l, err := Open(dir, "mail_logs", Options{Now: c.Now, MaxSize: 400, MaxFiles: 1, Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		c.Advance(time.Second)
		l.Printf(Info, "Start MID %d ICID 1", i)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Each line's offsets hold that line in the file it was reported in
	// (under the name it has now, after the renames reported later).
	names := map[string]string{}
	var renames, removals int
	for i := len(rec.events) - 1; i >= 0; i-- {
		var old, nu string
		if n, _ := fmt.Sscanf(rec.events[i], "renamed %s -> %q", &old, &nu); n == 2 {
			if nu == "" {
				removals++
				continue
			}
			renames++
			cur := nu
			if later, ok := names[nu]; ok {
				cur = later
			}
			names[old] = cur
		}
	}
	if renames < 2 || removals < 1 {
		t.Fatalf("want at least 2 renames and 1 removal, got %d and %d:\n%s", renames, removals, strings.Join(rec.events, "\n"))
	}
	// Walk forward: a line reported for mail_logs lives in the file that
	// mail_logs was renamed to next (or mail_logs itself at the end).
	pending := []string{}
	check := func(file string) {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if os.IsNotExist(err) {
			pending = pending[:0] // removed by retention
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range pending {
			var name, msg string
			var off, end int64
			fmt.Sscanf(e, "line %s %d %d", &name, &off, &end)
			msg = e[strings.Index(e, fmt.Sprintf(" %d %d ", off, end))+len(fmt.Sprintf(" %d %d ", off, end)):]
			if end > int64(len(b)) || !strings.HasSuffix(string(b[off:end]), ": "+msg+"\n") || (off > 0 && b[off-1] != '\n') {
				t.Errorf("%s: bytes %d-%d of %s are not the line %q", e, off, end, file, msg)
			}
		}
		pending = pending[:0]
	}
	for _, e := range rec.events {
		var old, nu string
		if n, _ := fmt.Sscanf(e, "renamed %s -> %q", &old, &nu); n == 2 {
			if nu != "" && old == "mail_logs" {
				check(nu)
			}
			continue
		}
		pending = append(pending, e)
	}
	check("mail_logs")
}
