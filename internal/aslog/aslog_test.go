package aslog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
)

var zone = time.FixedZone("CET", 3600)

func newClock() *segtest.Clock {
	return segtest.NewClock(time.Date(2026, time.November, 2, 9, 5, 1, 0, zone))
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestHeaderAndLineForm(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	l, err := Open(dir, "cli_logs", Options{Now: c.Now, Version: "1.2.3", Serial: "SEG-42"})
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	l.Printf(Info, "User %s logged in", "admin")
	l.Print(Warning, "two\nlines\r\nhere")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Mon Nov  2 09:05:01 2026 Info: Begin Logfile",
		"Mon Nov  2 09:05:01 2026 Info: Version: 1.2.3 SN: SEG-42",
		"Mon Nov  2 09:05:01 2026 Info: Time offset from UTC: 3600 seconds",
		"Mon Nov  2 09:05:02 2026 Info: User admin logged in",
		"Mon Nov  2 09:05:02 2026 Warning: two lines here",
	}
	got := readLines(t, filepath.Join(dir, "cli_logs"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("file:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReopenExistingAppendsWithoutHeader(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	l, err := Open(dir, "mail_logs", Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	l.Print(Info, "first run")
	l.Close()
	c.Advance(time.Hour)
	l, err = Open(dir, "mail_logs", Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Print(Info, "second run")
	l.Flush()
	got := readLines(t, filepath.Join(dir, "mail_logs"))
	if len(got) != 5 || got[4] != "Mon Nov  2 10:05:01 2026 Info: second run" {
		t.Fatalf("lines: %q", got)
	}
	if !l.begun.Equal(time.Date(2026, time.November, 2, 9, 5, 1, 0, zone)) {
		t.Fatalf("begun %v, want the first line's stamp", l.begun)
	}
}

func TestRotateBySize(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	l, err := Open(dir, "mail_logs", Options{Now: c.Now, MaxSize: 400})
	if err != nil {
		t.Fatal(err)
	}
	// The header is about 190 bytes; each line below about 50.
	for i := 0; i < 4; i++ {
		l.Printf(Info, "Start MID %d ICID 5", i)
	}
	c.Advance(15*time.Minute + 19*time.Second)
	l.Print(Info, "Start MID 4 ICID 5 and a longer tail")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dir, "mail_logs.@20261102T090501.s")
	old := readLines(t, saved)
	if n := len(old); n < 5 || old[n-2] != "Mon Nov  2 09:20:20 2026 Info: Logfile rolled over" ||
		old[n-1] != "Mon Nov  2 09:20:20 2026 Info: End Logfile" {
		t.Fatalf("saved file:\n%s", strings.Join(old, "\n"))
	}
	cur := readLines(t, filepath.Join(dir, "mail_logs"))
	if len(cur) == 0 || cur[0] != "Mon Nov  2 09:20:20 2026 Info: Begin Logfile" ||
		cur[len(cur)-1] != "Mon Nov  2 09:20:20 2026 Info: Start MID 4 ICID 5 and a longer tail" {
		t.Fatalf("current file:\n%s", strings.Join(cur, "\n"))
	}
	for _, line := range append(old, cur...) {
		if strings.Contains(line, "MID 3") {
			return
		}
	}
	t.Fatal("a line was lost in rotation")
}

func TestRotateKeepsMaxFilesAndUniqueNames(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	l, err := Open(dir, "mail_logs", Options{Now: c.Now, MaxSize: 250, MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Every line forces a rotation, all within the same second: names
	// must not collide, and only the newest three saved files stay.
	for i := 0; i < 6; i++ {
		l.Printf(Info, "line %d %s", i, strings.Repeat("x", 60))
	}
	l.Close()
	saved, _ := filepath.Glob(filepath.Join(dir, "mail_logs.@*.s"))
	if len(saved) != 3 {
		t.Fatalf("saved files %q, want 3", saved)
	}
	var all []string
	for _, p := range append(saved, filepath.Join(dir, "mail_logs")) {
		all = append(all, readLines(t, p)...)
	}
	text := strings.Join(all, "\n")
	if !strings.Contains(text, "line 5 ") || !strings.Contains(text, "line 3 ") {
		t.Fatalf("newest lines missing:\n%s", text)
	}
}

func TestReopenAfterMove(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	l, err := Open(dir, "cli_logs", Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Print(Info, "before")
	l.Flush()
	if err := os.Rename(filepath.Join(dir, "cli_logs"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	// The new file's header is written at once, without a Flush.
	if cur := readLines(t, filepath.Join(dir, "cli_logs")); len(cur) != 3 || !strings.HasSuffix(cur[0], "Begin Logfile") {
		t.Fatalf("after reopen, before any line: %q", cur)
	}
	l.Print(Info, "after")
	l.Flush()
	cur := readLines(t, filepath.Join(dir, "cli_logs"))
	if len(cur) != 4 || !strings.HasSuffix(cur[0], "Begin Logfile") || !strings.HasSuffix(cur[3], "Info: after") {
		t.Fatalf("after reopen: %q", cur)
	}
	if moved := readLines(t, filepath.Join(dir, "moved")); !strings.HasSuffix(moved[len(moved)-1], "before") {
		t.Fatalf("moved file: %q", moved)
	}
}

func TestTimedFlush(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, "mail_logs", Options{FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Print(Info, "reaches the file without Flush")
	segtest.Wait(t, 5*time.Second, "the line flushed within the interval", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "mail_logs"))
		return strings.Contains(string(b), "reaches the file")
	})
}

func TestBufferedUntilFlush(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, "mail_logs", Options{FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Print(Info, "held")
	if b, _ := os.ReadFile(filepath.Join(dir, "mail_logs")); strings.Contains(string(b), "held") {
		t.Fatal("line written before any flush: logging is not buffered")
	}
	l.Flush()
	if b, _ := os.ReadFile(filepath.Join(dir, "mail_logs")); !strings.Contains(string(b), "held") {
		t.Fatal("line missing after Flush")
	}
}

func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, "mail_logs", Options{MaxSize: 64 << 10, FlushInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 500
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				l.Printf(Info, "writer %d line %d", w, i)
			}
		}(w)
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Print(Info, "after close is dropped")
	files, _ := filepath.Glob(filepath.Join(dir, "mail_logs*"))
	seen := map[string]bool{}
	for _, p := range files {
		for _, line := range readLines(t, p) {
			i := strings.Index(line, " Info: writer ")
			if i < 0 {
				continue
			}
			if seen[line[i:]] {
				t.Fatalf("duplicate %q", line)
			}
			seen[line[i:]] = true
		}
	}
	if len(seen) != writers*each {
		t.Fatalf("%d lines in %d files, want %d", len(seen), len(files), writers*each)
	}
}

func TestOpenFailsOnUnwritableDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := Open(file, "x", Options{}); err == nil {
		t.Fatal("Open under a regular file succeeded")
	}
}

func BenchmarkPrintf(b *testing.B) {
	l, err := Open(b.TempDir(), "mail_logs", Options{MaxSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Printf(Info, "MID %d ICID %d RID 0 To: <%s>", i, i, "user@example.com")
	}
}

func ExampleLog_Printf() {
	dir, _ := os.MkdirTemp("", "aslog")
	defer os.RemoveAll(dir)
	now := func() time.Time { return time.Date(2026, time.November, 23, 10, 20, 0, 0, time.UTC) }
	l, _ := Open(dir, "cli_logs", Options{Now: now, Version: "0.1", Serial: "S1"})
	l.Printf(Info, "User %s logged out of CLI session", "admin")
	l.Close()
	b, _ := os.ReadFile(filepath.Join(dir, "cli_logs"))
	fmt.Print(string(b))
	// Output:
	// Mon Nov 23 10:20:00 2026 Info: Begin Logfile
	// Mon Nov 23 10:20:00 2026 Info: Version: 0.1 SN: S1
	// Mon Nov 23 10:20:00 2026 Info: Time offset from UTC: 0 seconds
	// Mon Nov 23 10:20:00 2026 Info: User admin logged out of CLI session
}
