package aslog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seen is one line an Observer was told of.
type seen struct {
	name     string
	off, end int64
	msg      string
}

type recorder struct{ lines []seen }

func (r *recorder) Line(name string, off, end int64, _ time.Time, msg string) {
	r.lines = append(r.lines, seen{name, off, end, msg})
}

// TestObserver: every line is reported with the offsets it has in its
// file. A file's lines begin at offset 0; the files are, in order, the
// saved names OnRotate reports, then the current one.
func TestObserver(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	rec := &recorder{}
	var saved []string
	l, err := Open(dir, "mail_logs", Options{Now: c.Now, MaxSize: 400, Observer: rec,
		OnRotate: func(r Rotation) { saved = append(saved, r.To) }})
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
	files := append(saved, filepath.Join(dir, "mail_logs"))
	if len(saved) < 2 {
		t.Fatalf("want at least 2 rotations, got %v", saved)
	}
	k := -1
	var b []byte
	checked := 0
	for _, s := range rec.lines {
		if s.name != "mail_logs" {
			t.Errorf("line reported for %q", s.name)
		}
		if s.off == 0 {
			k++
			if k >= len(files) {
				t.Fatalf("%d files begun, %d exist", k+1, len(files))
			}
			if b, err = os.ReadFile(files[k]); err != nil {
				t.Fatal(err)
			}
		}
		if k < 0 || s.end > int64(len(b)) || (s.off > 0 && b[s.off-1] != '\n') ||
			!strings.HasSuffix(string(b[s.off:s.end]), ": "+s.msg+"\n") {
			t.Errorf("%+v is not a line of %s", s, files[max(k, 0)])
			continue
		}
		checked++
	}
	if k != len(files)-1 || checked != len(rec.lines) || checked < 12 {
		t.Errorf("%d files begun, %d exist; %d of %d lines checked", k+1, len(files), checked, len(rec.lines))
	}
}
