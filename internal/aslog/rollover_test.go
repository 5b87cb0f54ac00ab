package aslog

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"
)

// A file begun RolloverTime ago is rotated by Tick even when nothing is
// logged (a quiet box's log still reaches collectors that read only the
// saved files), and on the next line when a line comes first; OnRotate
// hears each rotation with the names and what retention removed.
func TestRolloverTimeTickAndHook(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	var got []Rotation
	l, err := Open(dir, "mail_logs", Options{Now: c.Now, RolloverTime: time.Hour, MaxFiles: 2,
		OnRotate: func(r Rotation) { got = append(got, r) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c.Advance(59 * time.Minute)
	l.Tick()
	if len(got) != 0 {
		t.Fatalf("rotated before the hour: %+v", got)
	}
	c.Advance(time.Minute)
	l.Tick() // 10:05:01, begun 09:05:01
	c.Advance(time.Hour)
	l.Info("a line after an hour") // rotates first: the line opens the new file
	c.Advance(time.Hour)
	if err := l.Rollover(); err != nil { // rollovernow, whatever the age
		t.Fatal(err)
	}
	cur := filepath.Join(dir, "mail_logs")
	want := []Rotation{
		{Name: "mail_logs", From: cur, To: filepath.Join(dir, "mail_logs.@20261102T090501.s")},
		{Name: "mail_logs", From: cur, To: filepath.Join(dir, "mail_logs.@20261102T100501.s")},
		{Name: "mail_logs", From: cur, To: filepath.Join(dir, "mail_logs.@20261102T110501.s"),
			Removed: []string{filepath.Join(dir, "mail_logs.@20261102T090501.s")}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rotations:\n%+v\nwant:\n%+v", got, want)
	}
	saved, _ := filepath.Glob(filepath.Join(dir, "mail_logs.@*.s"))
	sort.Strings(saved)
	if len(saved) != 2 || filepath.Base(saved[0]) != "mail_logs.@20261102T100501.s" {
		t.Errorf("saved files after retention: %v", saved)
	}
	// The line logged after the second hour is in the third saved file,
	// after its header; the current file has only its header.
	lines := readLines(t, filepath.Join(dir, "mail_logs.@20261102T110501.s"))
	if len(lines) != 6 || lines[3] != "Mon Nov  2 11:05:01 2026 Info: a line after an hour" ||
		lines[5] != "Mon Nov  2 12:05:01 2026 Info: End Logfile" {
		t.Errorf("third saved file:\n%q", lines)
	}
	if cl := readLines(t, cur); len(cl) != 3 || cl[0] != "Mon Nov  2 12:05:01 2026 Info: Begin Logfile" {
		t.Errorf("current file: %q", cl)
	}
	if _, err := os.Stat(filepath.Join(dir, "mail_logs.@20261102T090501.s")); !os.IsNotExist(err) {
		t.Errorf("oldest saved file not removed: %v", err)
	}
}
