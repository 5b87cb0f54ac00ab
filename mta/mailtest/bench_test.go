package mailtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
// messages of 4 kB from Postfix's smtp-source (20 sessions) over an SMTP
// route to smtp-sink. Both tools run as processes of their own, so the
// profile and the CPU figure are the MTA's alone. Reports messages per
// second (until the last one is delivered) and CPU milliseconds per
// message. The variants:
//
//	relay       from RELAYLIST (the outgoing table)
//	noscan      from ALLOWED_LIST, recipients accepted by the RAT, the
//	            incoming policy DEFAULT with TDC off
//	tdc-held    as noscan with TDC on, the machine reported busy: every
//	            copy is made and queued with its original and held back
//	            while the mail flows (the.tdc.queue's background
//	            priority), so the figures are what journaling costs the
//	            mail itself; the copies go after the timer stops
func BenchmarkRelay(b *testing.B) {
	for _, mode := range []string{"relay", "noscan", "tdc-held"} {
		b.Run(mode, func(b *testing.B) { benchRelay(b, mode) })
	}
}

// benchMTA starts the MTA in the test process with cfg, its queue and
// mail_logs under dir; it stops when the benchmark ends.
func benchMTA(b *testing.B, dir string, cfg *store.Config, busy func() bool) *mta.MTA {
	b.Helper()
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	log, err := aslog.Open(filepath.Join(dir, "logs"), "mail_logs", aslog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	m, err := mta.Start(mta.Options{DataDir: dir, Store: store.NewMemory(cfg), Log: log, LogDir: filepath.Join(dir, "logs"), Busy: busy})
	if err != nil {
		log.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		m.Close(context.Background())
		log.Close()
	})
	return m
}

func benchRelay(b *testing.B, mode string) {
	smtpSource, smtpSink := segtest.Tool(b, "smtp-source"), segtest.Tool(b, "smtp-sink")
	dir := b.TempDir()
	startSink := func() string {
		addr := fmt.Sprintf("127.0.0.1:%d", segtest.FreePort(b))
		args := []string{"-m", "512", addr, "1024"}
		if os.Geteuid() == 0 {
			args = append([]string{"-u", "postfix"}, args...)
		}
		sink := exec.Command(smtpSink, args...)
		if err := sink.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { sink.Process.Kill(); sink.Wait() })
		if !segtest.Poll(5*time.Second, func() bool { return banner(addr) != "" }) {
			b.Fatalf("smtp-sink does not answer on %s", addr)
		}
		return addr
	}
	sinkAddr := startSink()

	cfg := store.Default("bench.test", "")
	port := segtest.FreePort(b)
	lc := &cfg.Listeners[0]
	lc.Port = port
	cfg.System.Routes = append(cfg.System.Routes, store.SMTPRoute{Domain: "example.test", Hosts: []string{sinkAddr}})
	var busy func() bool
	if mode != "relay" {
		for i := range lc.HAT.SenderGroups {
			g := &lc.HAT.SenderGroups[i]
			switch g.Name {
			case "RELAYLIST":
				g.Members = slices.DeleteFunc(g.Members, func(s string) bool { return s == "127.0.0.1" })
			case "ALLOWED_LIST":
				g.Members = append(g.Members, "127.0.0.1")
			}
		}
		lc.RAT = append([]store.RATEntry{{Entry: "example.test", Action: store.RATAccept}}, lc.RAT...)
		for i := range cfg.Incoming {
			cfg.Incoming[i].TDC = store.TDCOff
		}
	}
	if mode == "tdc-held" {
		intake := startSink()
		cfg.System.Routes = append(cfg.System.Routes, store.SMTPRoute{Domain: "intake.test", Hosts: []string{intake}})
		cfg.TDC = store.TDC{Enabled: true, IntakeAddress: "journal@intake.test"}
		for i := range cfg.Incoming {
			cfg.Incoming[i].TDC = store.TDCDefault
		}
		busy = func() bool { return true }
	}
	m := benchMTA(b, dir, cfg, busy)

	// Delivered recipients of example.test: the mail, not its copies.
	delivered := func() int {
		var out bytes.Buffer
		if err := m.HostStatus(&out, "example.test"); err != nil {
			b.Fatal(err)
		}
		r := regexp.MustCompile(`(?m)^ +([\d,]+) +Delivered Recipients`).FindStringSubmatch(out.String())
		if r == nil {
			return 0 // no delivery yet: hoststatus knows no such host
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
	src := exec.Command(smtpSource, "-s", "20", "-m", strconv.Itoa(b.N), "-l", "4096",
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
