package logsub

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"seg/internal/aslog"
	"seg/internal/segtest"
	"seg/store"
)

var zone = time.FixedZone("CET", 3600)

func newManager(t *testing.T, c *segtest.Clock, onRotate func(aslog.Rotation)) (*Manager, string) {
	t.Helper()
	dir := t.TempDir()
	m := New(Options{Dir: dir, File: aslog.Options{Now: c.Now, Version: "v", Serial: "s"}, OnRotate: onRotate,
		Logf: func(f string, a ...any) { t.Logf(f, a...) }})
	t.Cleanup(func() { m.Close() })
	return m, dir
}

func syslogSub(name, level, proto, addr, facility string) store.LogSubscription {
	return store.LogSubscription{Name: name, Type: store.LogMailLogs, Level: level, Method: store.LogMethodSyslog,
		SyslogHost: addr, SyslogProtocol: proto, SyslogFacility: facility}
}

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// Syslog push to real receivers on loopback, UDP and TCP: RFC 3164
// frames with PRI = facility*8 + severity, the local timestamp with a
// space-padded day, the hostname and the subscription's name as TAG;
// each subscription takes the lines at or above its level, and a file
// subscription of the same type filters the same way.
func TestSyslogFramesAndLevels(t *testing.T) {
	c := segtest.NewClock(time.Date(2026, time.November, 2, 9, 5, 1, 0, zone))
	udp := segtest.NewSyslog(t, "udp", "127.0.0.5:0")
	tcp := segtest.NewSyslog(t, "tcp", "127.0.0.6:0")
	m, dir := newManager(t, c, nil)
	warnFile := store.NewFileLog("mail_warn", store.LogMailLogs)
	warnFile.Level = "warning"
	err := m.Apply([]store.LogSubscription{
		syslogSub("siem_udp", "info", "udp", udp.Addr, "mail"),
		syslogSub("siem_tcp", "warning", "tcp", tcp.Addr, "local3"),
		warnFile,
	}, "seg.example.com")
	if err != nil {
		t.Fatal(err)
	}
	w := m.Writer(store.LogMailLogs)
	w.Info("ICID %d close", 7)
	w.Warning("MID 5 could not record delivery results")
	w.Print(aslog.Critical, "disk full")
	w.Debug("a debug line")
	w.Print(aslog.Trace, "a trace line")
	m.Writer(store.LogCLILogs).Info("not a mail_logs line")
	wantUDP := []string{
		"<22>Nov  2 09:05:01 seg.example.com siem_udp: Info: ICID 7 close",
		"<20>Nov  2 09:05:01 seg.example.com siem_udp: Warning: MID 5 could not record delivery results",
		"<18>Nov  2 09:05:01 seg.example.com siem_udp: Critical: disk full",
	}
	wantTCP := []string{
		"<156>Nov  2 09:05:01 seg.example.com siem_tcp: Warning: MID 5 could not record delivery results",
		"<154>Nov  2 09:05:01 seg.example.com siem_tcp: Critical: disk full",
	}
	for _, r := range []struct {
		rcv  *segtest.Syslog
		want []string
	}{{udp, wantUDP}, {tcp, wantTCP}} {
		segtest.Wait(t, 5*time.Second, r.rcv.Proto+" frames", func() bool { return len(r.rcv.Frames()) >= len(r.want) })
		if got := r.rcv.Frames(); strings.Join(got, "\n") != strings.Join(r.want, "\n") {
			t.Errorf("%s frames:\n%s\nwant:\n%s", r.rcv.Proto, strings.Join(got, "\n"), strings.Join(r.want, "\n"))
		}
	}
	if err := m.Flush("mail_warn"); err != nil {
		t.Fatal(err)
	}
	got := fileLines(t, filepath.Join(dir, "mail_warn"))[3:] // after the header
	want := []string{
		"Mon Nov  2 09:05:01 2026 Warning: MID 5 could not record delivery results",
		"Mon Nov  2 09:05:01 2026 Critical: disk full",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mail_warn at level warning:\n%s", strings.Join(got, "\n"))
	}
	// A Debug line is sent with severity 7 once the level takes it.
	m.Apply([]store.LogSubscription{syslogSub("siem_udp", "trace", "udp", udp.Addr, "local7")}, "seg.example.com")
	w.Print(aslog.Trace, "a trace line")
	if f := udp.WaitFrame(t, "a trace line", 5*time.Second); f != "<191>Nov  2 09:05:01 seg.example.com siem_udp: Trace: a trace line" {
		t.Errorf("trace frame %q", f)
	}
}

// A commit changes the subscriptions without a restart: an unchanged one
// keeps its file open, a changed one continues the same file (no second
// header), a removed one gets no more lines, and a new one starts.
func TestApplyHotReload(t *testing.T) {
	c := segtest.NewClock(time.Date(2026, time.November, 2, 9, 5, 1, 0, zone))
	m, dir := newManager(t, c, nil)
	ml, bl := store.NewFileLog("mail_logs", store.LogMailLogs), store.NewFileLog("bounces", store.LogBounces)
	if err := m.Apply([]store.LogSubscription{ml, bl}, "h"); err != nil {
		t.Fatal(err)
	}
	m.Writer(store.LogMailLogs).Info("one")
	m.Writer(store.LogBounces).Info("b1")
	ml.Level = "warning"
	extra := store.NewFileLog("mail_copy", store.LogMailLogs)
	if err := m.Apply([]store.LogSubscription{ml, extra}, "h"); err != nil {
		t.Fatal(err)
	}
	m.Writer(store.LogMailLogs).Info("two (info, filtered out now)")
	m.Writer(store.LogMailLogs).Warning("three")
	m.Writer(store.LogBounces).Info("b2")
	m.Flush("")
	if got := strings.Join(fileLines(t, filepath.Join(dir, "mail_logs"))[3:], "\n"); got != "Mon Nov  2 09:05:01 2026 Info: one\nMon Nov  2 09:05:01 2026 Warning: three" {
		t.Errorf("mail_logs:\n%s", got)
	}
	if got := fileLines(t, filepath.Join(dir, "bounces")); len(got) != 4 || !strings.HasSuffix(got[3], "Info: b1") {
		t.Errorf("bounces after removal: %q", got)
	}
	if got := fileLines(t, filepath.Join(dir, "mail_copy")); len(got) != 5 || !strings.HasSuffix(got[3], "Info: two (info, filtered out now)") {
		t.Errorf("mail_copy: %q", got)
	}
	if m.Wants(store.LogBounces, aslog.Critical) {
		t.Error("a removed type still wanted")
	}
	// A subscription that cannot start leaves the running ones alone.
	os.Mkdir(filepath.Join(dir, "dirlog"), 0o700)
	if err := m.Apply([]store.LogSubscription{store.NewFileLog("dirlog", store.LogMailLogs)}, "h"); err == nil {
		t.Fatal("a directory opened as a log file")
	}
	if !m.Wants(store.LogMailLogs, aslog.Info) {
		t.Error("the failed apply stopped mail_copy")
	}
}

// rollovernow through the Manager, and the rotation hook message
// tracking uses.
func TestRolloverAndHook(t *testing.T) {
	c := segtest.NewClock(time.Date(2026, time.November, 2, 9, 5, 1, 0, zone))
	var got []aslog.Rotation
	m, dir := newManager(t, c, func(r aslog.Rotation) { got = append(got, r) })
	m.Apply([]store.LogSubscription{store.NewFileLog("mail_logs", store.LogMailLogs), store.NewFileLog("cli_logs", store.LogCLILogs),
		syslogSub("siem", "info", "udp", "127.0.0.5:9", "mail")}, "h")
	if err := m.Rollover("MAIL_LOGS"); err != nil {
		t.Fatal(err)
	}
	want := aslog.Rotation{Name: "mail_logs", From: filepath.Join(dir, "mail_logs"), To: filepath.Join(dir, "mail_logs.@20261102T090501.s")}
	if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Fatalf("rotations %+v, want %+v", got, want)
	}
	c.Advance(time.Second)
	if err := m.Rollover(""); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].Name != "mail_logs" || got[2].Name != "cli_logs" {
		t.Errorf("rollover of all: %+v", got)
	}
	if err := m.Rollover("siem"); err == nil || err.Error() != "Log siem is pushed to syslog: it has no file." {
		t.Errorf("rollover of a syslog subscription: %v", err)
	}
	if err := m.Rollover("nope"); err == nil || err.Error() != "No log subscription named nope." {
		t.Errorf("rollover of nothing: %v", err)
	}
}

// A TCP receiver that is down: the mail path does not wait (5000 lines
// logged at once), at most sendBuffer frames (+1 in hand) wait, the rest
// are dropped and counted, and once the receiver is up it first gets a
// Warning saying how many were dropped, then the buffered lines in order.
func TestTCPReceiverDownThenUp(t *testing.T) {
	c := segtest.NewClock(time.Date(2026, time.November, 2, 9, 5, 1, 0, zone))
	addr := fmt.Sprintf("127.0.0.7:%d", segtest.FreePort(t))
	m, _ := newManager(t, c, nil)
	m.Apply([]store.LogSubscription{syslogSub("siem", "info", "tcp", addr, "mail")}, "h")
	w := m.Writer(store.LogMailLogs)
	start := time.Now()
	const n = 5000
	for i := 1; i <= n; i++ {
		w.Info("line %d", i)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("logging %d lines with the receiver down took %v", n, d)
	}
	dropped := m.Dropped("siem")
	if dropped < n-sendBuffer-1 || dropped > n-sendBuffer {
		t.Fatalf("dropped %d, want %d or %d", dropped, n-sendBuffer-1, n-sendBuffer)
	}
	rcv := segtest.NewSyslog(t, "tcp", addr)
	kept := n - int(dropped)
	segtest.Wait(t, 20*time.Second, "the buffered frames", func() bool { return len(rcv.Frames()) >= kept+1 })
	f := rcv.Frames()
	if want := fmt.Sprintf("<20>Nov  2 09:05:01 h siem: Warning: %d log lines were dropped while the syslog receiver was unreachable", dropped); f[0] != want {
		t.Errorf("first frame %q, want %q", f[0], want)
	}
	for i := 1; i <= kept; i++ {
		if want := fmt.Sprintf("<22>Nov  2 09:05:01 h siem: Info: line %d", i); f[i] != want {
			t.Fatalf("frame %d = %q, want %q", i, f[i], want)
		}
	}
}

// The follower behind tail: lines appended, then a rotation: the rest of
// the old file, then the new file from its start.
func TestFollowerAcrossRotation(t *testing.T) {
	c := segtest.NewClock(time.Date(2026, time.November, 2, 9, 5, 1, 0, zone))
	m, dir := newManager(t, c, nil)
	m.Apply([]store.LogSubscription{store.NewFileLog("bounces", store.LogBounces)}, "h")
	w := m.Writer(store.LogBounces)
	w.Info("before")
	m.Flush("")
	fl, err := NewFollower(dir, "bounces")
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	var out bytes.Buffer
	w.Info("one")
	m.Flush("")
	fl.Poll(&out)
	w.Info("two")
	m.Rollover("bounces")
	w.Info("three")
	m.Flush("")
	fl.Poll(&out)
	want := []string{"Info: one", "Info: two", "Info: Logfile rolled over", "Info: End Logfile",
		"Info: Begin Logfile", "Info: Version: v SN: s", "Info: Time offset from UTC: 3600 seconds", "Info: three"}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("followed:\n%s", out.String())
	}
	for i := range want {
		if !strings.HasSuffix(got[i], want[i]) {
			t.Errorf("line %d = %q, want ...%q", i, got[i], want[i])
		}
	}
	last, _ := Last(dir, "bounces", 2)
	if len(last) != 2 || !strings.HasSuffix(last[1], "Info: three") {
		t.Errorf("Last: %q", last)
	}
}

// Closing with a TCP receiver down does not wait for it (an offline
// `seg cli` run ends at once).
func TestCloseWithReceiverDown(t *testing.T) {
	c := segtest.NewClock(time.Date(2026, time.November, 2, 9, 5, 1, 0, zone))
	m, _ := newManager(t, c, nil)
	m.Apply([]store.LogSubscription{syslogSub("siem", "info", "tcp", fmt.Sprintf("127.0.0.7:%d", segtest.FreePort(t)), "mail")}, "h")
	m.Writer(store.LogMailLogs).Info("lost")
	start := time.Now()
	m.Close()
	if d := time.Since(start); d >= closeGrace {
		t.Errorf("Close took %v with the receiver down", d)
	}
}

// A TCP receiver that goes away while connected and comes back on the
// same address: the sender reconnects by itself and the lines logged
// once it is back arrive. (A frame written into the connection after the
// receiver closed it, before TCP reports the reset, is lost: the count
// of Dropped cannot see it.)
func TestTCPReconnectsAfterReceiverRestart(t *testing.T) {
	c := segtest.NewClock(time.Date(2026, time.November, 2, 9, 5, 1, 0, zone))
	addr := fmt.Sprintf("127.0.0.7:%d", segtest.FreePort(t))
	rcv := segtest.NewSyslog(t, "tcp", addr)
	m, _ := newManager(t, c, nil)
	m.Apply([]store.LogSubscription{syslogSub("siem", "info", "tcp", addr, "mail")}, "h")
	w := m.Writer(store.LogMailLogs)
	w.Info("first")
	rcv.WaitFrame(t, "Info: first", 5*time.Second)
	rcv.Close()
	rcv2 := segtest.NewSyslog(t, "tcp", addr)
	i := 0
	segtest.Wait(t, 20*time.Second, "a line on the restarted receiver", func() bool {
		i++
		w.Info("again %d", i)
		return len(rcv2.Frames()) > 0
	})
	f := rcv2.Frames()
	if !strings.HasPrefix(f[0], "<") || !strings.Contains(f[0], " h siem: ") {
		t.Errorf("first frame after the restart %q", f[0])
	}
}
