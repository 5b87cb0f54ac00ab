package tracking

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"seg/internal/aslog"

	bolt "go.etcd.io/bbolt"
)

// clock is a fake clock advancing one second per call.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func newClock() *clock { return &clock{time.Date(2026, 12, 7, 10, 0, 0, 0, time.Local)} }

// setup opens an index and a mail_logs writer feeding it.
func setup(t *testing.T, dir string, c *clock, maxSize int64, maxFiles int) (*Index, *aslog.Log) {
	t.Helper()
	ix, err := Open(dir, Options{CommitInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	l, err := aslog.Open(dir, "mail_logs", aslog.Options{Now: c.now, MaxSize: maxSize, MaxFiles: maxFiles, Observer: ix,
		OnRotate: func(r aslog.Rotation) { rotated(ix, r) }})
	if err != nil {
		t.Fatal(err)
	}
	return ix, l
}

// rotated passes aslog's rotation to Renamed, as cmd/seg does.
func rotated(ix *Index, r aslog.Rotation) {
	ix.Renamed(r.From, r.To)
	for _, p := range r.Removed {
		ix.Renamed(p, "")
	}
}

// message logs one relayed message's life on its own connections
// (lifeLines).
func message(l *aslog.Log, mid, icid, dcid int, from, to, subject string) {
	for _, line := range lifeLines(mid, icid, dcid, from, to, subject) {
		l.Print(aslog.Info, line)
	}
}

// messages returns the message parts of lines.
func messages(lines []string) []string {
	var out []string
	for _, l := range lines {
		_, m, _ := splitLine(l, time.Local)
		out = append(out, m)
	}
	return out
}

func lifeOf(t *testing.T, ix *Index, mid int64) []string {
	t.Helper()
	life, err := ix.Life(mid, nil)
	if err != nil {
		t.Fatal(err)
	}
	return messages(life.Lines)
}

func wantLife(t *testing.T, ix *Index, mid int64, want []string) {
	t.Helper()
	got := lifeOf(t, ix, mid)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("life of MID %d:\n%s\nwant:\n%s", mid, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func lifeLines(mid, icid, dcid int, from, to, subject string) []string {
	return []string{
		fmt.Sprintf("New SMTP ICID %d interface Management (127.0.0.1) address 127.0.0.1 reverse dns host localhost verified yes", icid),
		fmt.Sprintf("ICID %d RELAY SG RELAYLIST match 127.0.0.1 SBRS None", icid),
		fmt.Sprintf("Start MID %d ICID %d", mid, icid),
		fmt.Sprintf("MID %d ICID %d From: <%s>", mid, icid, from),
		fmt.Sprintf("MID %d ICID %d RID 0 To: <%s>", mid, icid, to),
		fmt.Sprintf("MID %d Message-ID '<m%d@client.test>'", mid, mid),
		fmt.Sprintf("MID %d Subject '%s'", mid, subject),
		fmt.Sprintf("MID %d ready 100 bytes from <%s>", mid, from),
		fmt.Sprintf("MID %d queued for delivery", mid),
		fmt.Sprintf("ICID %d close", icid),
		fmt.Sprintf("New SMTP DCID %d interface 127.0.0.1 address 127.0.0.2 port 25", dcid),
		fmt.Sprintf("Delivery start DCID %d MID %d to RID [0]", dcid, mid),
		fmt.Sprintf("Message done DCID %d MID %d to RID [0]", dcid, mid),
		fmt.Sprintf("MID %d RID [0] Response 'ok'", mid),
		fmt.Sprintf("Message finished MID %d done", mid),
		fmt.Sprintf("DCID %d close", dcid),
	}
}

func TestLifeFindAndGenerated(t *testing.T) {
	dir := t.TempDir()
	ix, l := setup(t, dir, newClock(), -1, 0)
	defer ix.Close()
	defer l.Close()
	message(l, 1, 1, 1, "alice@a.test", "bob@b.test", "Hello")
	message(l, 2, 2, 2, "carol@a.test", "dave@b.test", "Quarterly report")
	// MID 2 bounces: its DSN is MID 3, its journal copy MID 4.
	l.Info("Bounced: DCID 2 MID 2 to RID 0 - 5.1.0 - Unknown address error ('550', ['no']) []")
	l.Info("MID 3 was generated for bounce of MID 2")
	l.Info("Start MID 4 ICID 0")
	l.Info("MID 4 was generated based on MID 2 by the Threat Defense Connector")
	l.Info("TDC: MID 4 successfully delivered for scanning with Cisco Secure Email Threat Defense.")
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	wantLife(t, ix, 1, lifeLines(1, 1, 1, "alice@a.test", "bob@b.test", "Hello"))
	// A split part is a message of its own: its split line is in the
	// original's life, its other lines are not.
	l.Info("MID 1 was split creating MID 9 due to a per-recipient policy P in the inbound table")
	l.Info("MID 9 queued for delivery")
	l.Flush()
	wantLife(t, ix, 1, append(lifeLines(1, 1, 1, "alice@a.test", "bob@b.test", "Hello"),
		"MID 1 was split creating MID 9 due to a per-recipient policy P in the inbound table"))
	want := append(lifeLines(2, 2, 2, "carol@a.test", "dave@b.test", "Quarterly report"),
		"Bounced: DCID 2 MID 2 to RID 0 - 5.1.0 - Unknown address error ('550', ['no']) []",
		"MID 3 was generated for bounce of MID 2",
		"Start MID 4 ICID 0",
		"MID 4 was generated based on MID 2 by the Threat Defense Connector",
		"TDC: MID 4 successfully delivered for scanning with Cisco Secure Email Threat Defense.")
	wantLife(t, ix, 2, want)
	life, _ := ix.Life(2, nil)
	if fmt.Sprint(life.MIDs) != "[2 3 4]" {
		t.Errorf("MIDs of 2's life: %v, want [2 3 4]", life.MIDs)
	}
	// The DSN's own story does not pull in its original's.
	wantLife(t, ix, 3, []string{"MID 3 was generated for bounce of MID 2"})

	find := func(q Query) string {
		t.Helper()
		ms, err := ix.Find(q)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, m := range ms {
			s = append(s, fmt.Sprintf("%d %s %v %q %s", m.MID, m.From, m.To, m.Subject, m.MessageID))
		}
		return strings.Join(s, "; ")
	}
	cases := []struct {
		q    Query
		want string
	}{
		{Query{MID: 2}, `2 carol@a.test [dave@b.test] "Quarterly report" <m2@client.test>`},
		{Query{MID: 99}, ``},
		{Query{From: regexp.MustCompile(`@A\.TEST$`)}, `1 alice@a.test [bob@b.test] "Hello" <m1@client.test>; 2 carol@a.test [dave@b.test] "Quarterly report" <m2@client.test>`},
		{Query{To: regexp.MustCompile(`^bob`)}, `1 alice@a.test [bob@b.test] "Hello" <m1@client.test>`},
		{Query{Subject: regexp.MustCompile(`quarterly`)}, `2 carol@a.test [dave@b.test] "Quarterly report" <m2@client.test>`},
		{Query{MessageID: "m1@client.test"}, `1 alice@a.test [bob@b.test] "Hello" <m1@client.test>`},
		{Query{MessageID: "<M2@client.test>"}, `2 carol@a.test [dave@b.test] "Quarterly report" <m2@client.test>`},
		// MID 1 began at 10:00:03 (the clock ticks a second a line),
		// MID 2 at 10:00:19.
		{Query{From: regexp.MustCompile(`.`), Since: time.Date(2026, 12, 7, 10, 0, 10, 0, time.Local)}, `2 carol@a.test [dave@b.test] "Quarterly report" <m2@client.test>`},
		{Query{From: regexp.MustCompile(`.`), Until: time.Date(2026, 12, 7, 10, 0, 10, 0, time.Local)}, `1 alice@a.test [bob@b.test] "Hello" <m1@client.test>`},
	}
	for _, c := range cases {
		if got := find(c.q); got != c.want {
			t.Errorf("Find(%+v) = %s, want %s", c.q, got, c.want)
		}
	}
}

// TestRestart: lines written while the index was closed (a crash before
// its commit, or no index at all) are indexed at the next Open.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	ix, l := setup(t, dir, c, -1, 0)
	message(l, 1, 1, 1, "a@a.test", "b@b.test", "one")
	l.Close()
	ix.Close()
	// Written with no index listening: the index must catch up.
	l, err := aslog.Open(dir, "mail_logs", aslog.Options{Now: c.now, MaxSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	message(l, 2, 2, 2, "a@a.test", "b@b.test", "two")
	l.Close()
	ix, l = setup(t, dir, c, -1, 0)
	message(l, 3, 3, 3, "a@a.test", "b@b.test", "three")
	l.Flush()
	for mid := 1; mid <= 3; mid++ {
		wantLife(t, ix, int64(mid), lifeLines(mid, mid, mid, "a@a.test", "b@b.test", []string{"", "one", "two", "three"}[mid]))
	}
	l.Close()
	ix.Close()

	// The index deleted: rebuilt from the log.
	os.Remove(filepath.Join(dir, "tracking.db"))
	ix, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	wantLife(t, ix, 2, lifeLines(2, 2, 2, "a@a.test", "b@b.test", "two"))
}

// TestCrashLostLogLines: the index holds lines the log lost (its buffer
// never reached the disk); after restart other lines take their offsets.
// Those entries are skipped, and the new lines are found.
func TestCrashLostLogLines(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	ix, l := setup(t, dir, c, -1, 0)
	message(l, 1, 1, 1, "a@a.test", "b@b.test", "one")
	l.Flush()
	st, _ := os.Stat(filepath.Join(dir, "mail_logs"))
	message(l, 2, 2, 2, "a@a.test", "b@b.test", "two")
	l.Flush()
	ix.Sync()
	l.Close()
	ix.Close()
	// The log loses MID 2's lines.
	if err := os.Truncate(filepath.Join(dir, "mail_logs"), st.Size()); err != nil {
		t.Fatal(err)
	}
	ix, l = setup(t, dir, c, -1, 0)
	defer ix.Close()
	defer l.Close()
	message(l, 3, 3, 3, "a@a.test", "b@b.test", "three")
	l.Flush()
	if got := lifeOf(t, ix, 2); len(got) != 0 {
		t.Errorf("MID 2's lines are lost, the index shows:\n%s", strings.Join(got, "\n"))
	}
	wantLife(t, ix, 1, lifeLines(1, 1, 1, "a@a.test", "b@b.test", "one"))
	wantLife(t, ix, 3, lifeLines(3, 3, 3, "a@a.test", "b@b.test", "three"))
}

// names returns the indexed files' names.
func names(t *testing.T, ix *Index) []string {
	t.Helper()
	fs, err := ix.Files()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func logNames(t *testing.T, dir string) []string {
	t.Helper()
	ix := &Index{dir: dir, opts: Options{Log: "mail_logs"}}
	return ix.logNames()
}

// TestRotation: a message whose lines span a rotation is told whole;
// the rotated file is found under its new name, also after a restart and
// after a rotation made while the index was closed.
func TestRotation(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	ix, l := setup(t, dir, c, 3000, 0)
	for i := 1; i <= 6; i++ {
		message(l, i, i, i, "a@a.test", "b@b.test", fmt.Sprint("s", i))
	}
	l.Flush()
	files := logNames(t, dir)
	if len(files) < 3 {
		t.Fatalf("want at least 2 rotations, have %v", files)
	}
	if got := names(t, ix); strings.Join(got, " ") != strings.Join(files, " ") {
		t.Errorf("indexed files %v, want %v", got, files)
	}
	check := func(ix *Index) {
		t.Helper()
		for i := 1; i <= 6; i++ {
			wantLife(t, ix, int64(i), lifeLines(i, i, i, "a@a.test", "b@b.test", fmt.Sprint("s", i)))
		}
	}
	check(ix)
	l.Close()
	ix.Close()

	// Restart: the names are kept.
	ix, l = setup(t, dir, c, 3000, 0)
	check(ix)
	l.Close()
	ix.Close()

	// Rotated while no index listened (renamed by hand, as an external
	// rotation would): found again by inode.
	cur := filepath.Join(dir, "mail_logs")
	moved := filepath.Join(dir, "mail_logs.@20990101T000000.s")
	if err := os.Rename(cur, moved); err != nil {
		t.Fatal(err)
	}
	ix, l = setup(t, dir, c, 3000, 0)
	defer ix.Close()
	defer l.Close()
	check(ix)
	if got := names(t, ix); got[len(got)-2] != filepath.Base(moved) || got[len(got)-1] != "mail_logs" {
		t.Errorf("indexed files %v: want ... %s mail_logs", got, filepath.Base(moved))
	}
}

// TestRenamedNotification: another rotator (time rollover) reports its
// rename through Renamed; the index follows without a restart.
func TestRenamedNotification(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	ix, l := setup(t, dir, c, -1, 0)
	defer ix.Close()
	message(l, 1, 1, 1, "a@a.test", "b@b.test", "one")
	l.Close()
	moved := filepath.Join(dir, "mail_logs.@20261207T100000.s")
	if err := os.Rename(filepath.Join(dir, "mail_logs"), moved); err != nil {
		t.Fatal(err)
	}
	ix.Renamed(filepath.Join(dir, "mail_logs"), moved)
	if got := names(t, ix); strings.Join(got, " ") != "mail_logs.@20261207T100000.s" {
		t.Errorf("indexed files after Renamed: %v", got)
	}
	l, err := aslog.Open(dir, "mail_logs", aslog.Options{Now: c.now, MaxSize: -1, Observer: ix})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	message(l, 2, 2, 2, "a@a.test", "b@b.test", "two")
	l.Flush()
	if got := names(t, ix); strings.Join(got, " ") != "mail_logs.@20261207T100000.s mail_logs" {
		t.Errorf("indexed files %v", got)
	}
	wantLife(t, ix, 1, lifeLines(1, 1, 1, "a@a.test", "b@b.test", "one"))
	wantLife(t, ix, 2, lifeLines(2, 2, 2, "a@a.test", "b@b.test", "two"))
	ms, _ := ix.Find(Query{MID: 1, Files: []string{"mail_logs"}})
	if len(ms) != 0 {
		t.Errorf("MID 1 found in the current file alone: %+v", ms)
	}
	// Removed, and said so: pruned at once.
	os.Remove(moved)
	ix.Renamed(moved, "")
	if got := names(t, ix); strings.Join(got, " ") != "mail_logs" {
		t.Errorf("indexed files after the removal: %v", got)
	}
}

// TestPrune: files removed by retention leave the index, with their
// entries.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	ix, l := setup(t, dir, c, 3000, 1)
	defer ix.Close()
	defer l.Close()
	for i := 1; i <= 8; i++ {
		message(l, i, i, i, "a@a.test", "b@b.test", fmt.Sprint("s", i))
	}
	l.Flush()
	files := logNames(t, dir)
	if len(files) != 2 {
		t.Fatalf("retention keeps 1 saved file and the current one: %v", files)
	}
	if got := names(t, ix); strings.Join(got, " ") != strings.Join(files, " ") {
		t.Errorf("indexed files %v, want %v", got, files)
	}
	ms, err := ix.Find(Query{From: regexp.MustCompile(`.`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].MID == 1 {
		t.Errorf("MID 1's file was removed; found %+v", ms)
	}
	if got := lifeOf(t, ix, 1); len(got) != 0 {
		t.Errorf("MID 1's file was removed; its life: %v", got)
	}
	wantLife(t, ix, 8, lifeLines(8, 8, 8, "a@a.test", "b@b.test", "s8"))
	// The pruned files' buckets are gone from the database.
	n := 0
	ix.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if name[0] == 'f' && string(name) != "files" {
				n++
			}
			return nil
		})
	})
	if n != len(files) {
		t.Errorf("%d file buckets in the database, want %d", n, len(files))
	}
}

func TestParseIDs(t *testing.T) {
	cases := []struct {
		msg  string
		want string
	}{
		{"Start MID 6 ICID 5", "[6] [5] []"},
		{"MID 3 was generated for bounce of MID 2", "[3 2] [] []"},
		{"TDC: Connection Error: DCID 4 domain: the.tdc.queue IP: 127.0.0.1 port: 25 details: x interface: 127.0.0.1 reason: connection refused", "[] [] [4]"},
		{"Connection Error: DCID: 7 IP: 1.2.3.4 details: x", "[] [] [7]"},
		{"SMTP Auth: (ICID 450) succeeded for user: u", "[] [450] []"},
		{"MID 6 Subject 'about MID 9 and XMID 8'", "[6] [] []"},
		{"MID 6 RID [0] Response 'queued as MID 77'", "[6] [] []"},
		{"Message done DCID 8 MID 6 to RID [0]", "[6] [] [8]"},
	}
	for _, c := range cases {
		f := parseLine(c.msg)
		if got := fmt.Sprint(f.mids, " ", f.icids, " ", f.dcids); got != c.want {
			t.Errorf("%q: %s, want %s", c.msg, got, c.want)
		}
	}
	if got := Unrepr(`"it's \\ \x01"`); got != "it's \\ \x01" {
		t.Errorf("Unrepr: %q", got)
	}
}
