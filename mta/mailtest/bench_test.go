package mailtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"seg/internal/aslog"
	"seg/internal/segtest"
	"seg/mta"
	"seg/store"
)

// BenchmarkRelay is bench/relay.sh's seg round inside the test process,
// for profiling (go test -bench Relay -cpuprofile): the MTA with the
// real queue and mail_logs in a temporary directory, relaying b.N
// messages of 4 kB from Postfix's smtp-source (20 sessions, as from
// RELAYLIST) over an SMTP route to smtp-sink. Both tools run as
// processes of their own, so the profile and the CPU figure are the
// MTA's alone. Reports messages per second (until the last one is
// delivered) and CPU milliseconds per message.
func BenchmarkRelay(b *testing.B) {
	for _, tool := range []string{"smtp-source", "smtp-sink"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Fatalf("%s is not installed (Debian package postfix): %v", tool, err)
		}
	}
	dir := b.TempDir()
	sinkAddr := fmt.Sprintf("127.0.0.1:%d", segtest.FreePort(b))
	sinkArgs := []string{"-m", "512", sinkAddr, "1024"}
	if os.Geteuid() == 0 {
		sinkArgs = append([]string{"-u", "postfix"}, sinkArgs...)
	}
	sink := exec.Command("smtp-sink", sinkArgs...)
	if err := sink.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sink.Process.Kill(); sink.Wait() })
	if !segtest.Poll(5*time.Second, func() bool { return banner(sinkAddr) != "" }) {
		b.Fatalf("smtp-sink does not answer on %s", sinkAddr)
	}

	cfg := store.Default("bench.test", "")
	port := segtest.FreePort(b)
	cfg.Listeners[0].Port = port
	cfg.System.Routes = append(cfg.System.Routes, store.SMTPRoute{Domain: "example.test", Hosts: []string{sinkAddr}})
	log, err := aslog.Open(filepath.Join(dir, "logs"), "mail_logs", aslog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	m, err := mta.Start(mta.Options{DataDir: dir, Store: store.NewMemory(cfg), Log: log, LogDir: filepath.Join(dir, "logs")})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(context.Background())

	delivered := func() int {
		var out bytes.Buffer
		if err := m.Command("status", nil, &out); err != nil {
			b.Fatal(err)
		}
		r := regexp.MustCompile(`(?m)^ +Delivered Recipients +([\d,]+)`).FindStringSubmatch(out.String())
		if r == nil {
			b.Fatalf("status without Delivered Recipients:\n%s", &out)
		}
		return num(r[1])
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}

	b.ResetTimer()
	start, cpu0 := time.Now(), cpu()
	src := exec.Command("smtp-source", "-s", "20", "-m", strconv.Itoa(b.N), "-l", "4096",
		"-M", "client.test", "-f", "sender@client.test", "-t", "rcpt@example.test", fmt.Sprintf("127.0.0.1:%d", port))
	if out, err := src.CombinedOutput(); err != nil {
		b.Fatalf("smtp-source: %v\n%s", err, out)
	}
	if !segtest.Poll(5*time.Minute, func() bool { return delivered() >= b.N }) {
		b.Fatalf("%d of %d messages delivered after 5 minutes", delivered(), b.N)
	}
	elapsed, used := time.Since(start), cpu()-cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(used.Microseconds())/1000/float64(b.N), "cpu-ms/msg")
}
