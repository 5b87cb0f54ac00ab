// Command soak runs `seg run` under an hour (-time) of mixed traffic and
// checks that it stays flat and loses nothing (issue 15; `make soak`).
//
// Traffic, all on loopback: relay from 127.0.0.1 (RELAYLIST) to a sink;
// inbound mail from 127.0.0.5 and 127.0.0.6 (sender group INBOUND,
// $ACCEPTED) to in.test (RAT ACCEPT) with TDC on, so each message is
// also journaled through the.tdc.queue to an intake sink; recipients the
// sink refuses with 550, so seg sends DSNs back to the sender's own
// sink; a destination (flap.test) whose sink goes down and comes back
// every -flap/2, so mail queues and drains; and a `seg cli` commit every
// -commit (an address list, then the INBOUND sender group).
//
// Every 10 s it reads seg's Prometheus endpoint: RSS, goroutines, open
// files and the recipients queued (seg_queue_active_recipients summed
// over domains), into PREFIX.csv; the plot goes to PREFIX.png and what
// it prints to PREFIX.log. After the load it brings the flapping sink up
// and waits (-drain at most) for the queue to empty and every
// acknowledged message to be accounted for; then it prints the verdict
// (exit 1 on FAIL).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	segBin := flag.String("seg", "bin/seg", "the seg binary")
	dur := flag.Duration("time", time.Hour, "how long the load runs (SOAK_TIME)")
	drain := flag.Duration("drain", 5*time.Minute, "how long to wait, at most, after the load for the queue to empty")
	rate := flag.Float64("rate", 20, "messages a second offered")
	workers := flag.Int("workers", 8, "client sessions at once (even: relay, odd: inbound)")
	flap := flag.Duration("flap", 2*time.Minute, "the flapping sink is down for half of each period")
	commitEvery := flag.Duration("commit", time.Minute, "an admin commit this often")
	prefix := flag.String("out", "bench/results/soak", "output files PREFIX.csv, PREFIX.png, PREFIX.log")
	keep := flag.Bool("keep", false, "keep seg's data directory (it is kept anyway on FAIL)")
	flag.Parse()
	if err := run(*segBin, *dur, *drain, *rate, *workers, *flap, *commitEvery, *prefix, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func segCli(bin, dir, cmds string) (string, error) {
	cmd := exec.Command(bin, "cli", "--data", dir, cmds)
	cmd.Env = append(os.Environ(), "SEG_ADMIN_PASSWORD=soak-password")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("seg cli %q: %v\n%s", cmds, err, out)
	}
	return string(out), nil
}

func run(segBin string, dur, drain time.Duration, rate float64, workers int, flapPeriod, commitEvery time.Duration, prefix string, keep bool) error {
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return err
	}
	logf, err := os.Create(prefix + ".log")
	if err != nil {
		return err
	}
	defer logf.Close()
	out := io.MultiWriter(os.Stdout, logf)
	say := func(format string, a ...any) {
		fmt.Fprintf(out, time.Now().UTC().Format("15:04:05 ")+format+"\n", a...)
	}

	// The sinks: relay.test and in.test; flap.test; the TDC intake; the
	// senders' own server (client.test), which receives the DSNs.
	mainSink, err := newSink("main", func(r string) bool { return strings.HasPrefix(r, "reject-") })
	if err != nil {
		return err
	}
	flapSink, err := newSink("flap", nil)
	if err != nil {
		return err
	}
	tdcSink, err := newSink("tdc", nil)
	if err != nil {
		return err
	}
	senders, err := newSink("senders", nil)
	if err != nil {
		return err
	}
	defer func() { mainSink.close(); flapSink.close(); tdcSink.close(); senders.close() }()

	dir, err := os.MkdirTemp("", "seg-soak-")
	if err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	smtpPort, _ := freePort()
	sshPort, _ := freePort()
	metPort, _ := freePort()
	metrics := fmt.Sprintf("127.0.0.1:%d", metPort)
	smtpAddr := fmt.Sprintf("127.0.0.1:%d", smtpPort)
	L := "listenerconfig edit IncomingMail "
	setup := []string{
		fmt.Sprintf(L+"setup --port %d", smtpPort),
		fmt.Sprintf("sshconfig setup --port %d", sshPort),
		"metricsconfig setup --address " + metrics,
		"smtproutes new relay.test " + mainSink.addr,
		"smtproutes new in.test " + mainSink.addr,
		"smtproutes new flap.test " + flapSink.addr,
		"smtproutes new intake.test " + tdcSink.addr,
		"smtproutes new client.test " + senders.addr,
		L + "hostaccess new sendergroup INBOUND 127.0.0.5,127.0.0.6 $ACCEPTED",
		L + "rcptaccess new in.test ACCEPT",
		"tdcconfig setup --enable yes --intake journal@intake.test",
		"policyconfig incoming edit DEFAULT --tdc default",
		// Mail for the flapping destination is retried within a minute
		// of its coming back, so the queue drains inside -drain.
		"bounceconfig edit Default --initial_retry=10 --max_retry_timeout=60",
		"addresslistconfig new SOAKLIST --addresses @x0.test",
		"commit soak setup",
	}
	if o, err := segCli(segBin, data, strings.Join(setup, " ; ")); err != nil {
		return fmt.Errorf("configuring: %v", err)
	} else {
		fmt.Fprint(logf, o)
	}
	segOut, err := os.Create(filepath.Join(dir, "seg.out"))
	if err != nil {
		return err
	}
	seg := exec.Command(segBin, "run", "--data", data)
	seg.Stdout, seg.Stderr = segOut, segOut
	if err := seg.Start(); err != nil {
		return err
	}
	segDone := make(chan error, 1)
	go func() { segDone <- seg.Wait() }()
	defer func() {
		_ = seg.Process.Signal(os.Interrupt)
		select {
		case <-segDone:
		case <-time.After(30 * time.Second):
			_ = seg.Process.Kill()
			<-segDone
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if _, err := scrape(metrics); err == nil {
			if c, err := net.Dial("tcp", smtpAddr); err == nil {
				c.Close()
				break
			}
		} else if time.Now().After(deadline) {
			return fmt.Errorf("seg did not come up (data %s): %v", dir, err)
		}
	}
	say("seg pid %d, data %s, SMTP %s, metrics %s; load %s at %.0f msgs/s over %d sessions, flap every %s, commit every %s",
		seg.Process.Pid, dir, smtpAddr, metrics, dur, rate, workers, flapPeriod, commitEvery)

	start := time.Now()
	var (
		mu      sync.Mutex
		samples []sample
		phase   = "load"
		flapUp  = true
		commits int
		cfails  []string
		maxCli  time.Duration
	)
	l := &ledger{}
	stopAll := make(chan struct{})
	var bg sync.WaitGroup

	// The sampler, every 10 s until stopAll.
	csvf, err := os.Create(prefix + ".csv")
	if err != nil {
		return err
	}
	defer csvf.Close()
	fmt.Fprintln(csvf, csvHeader)
	takeSample := func() {
		m, err := scrape(metrics)
		if err != nil {
			say("sample: %v", err)
			return
		}
		_, byKind, _, _ := l.snapshot()
		n := 0
		for _, v := range byKind {
			n += v
		}
		mu.Lock()
		s := sample{t: time.Since(start), phase: phase, rss: m.rss, goroutines: m.goroutines, fds: m.fds, queue: m.queue, cpu: m.cpu, tdcQueue: m.tdcQueue, connsOut: m.connsOut, load1: loadavg1(), acked: n, flapUp: flapUp, commits: commits}
		samples = append(samples, s)
		mu.Unlock()
		fmt.Fprintln(csvf, s.csv())
		say("t=%4ds %s rss=%.1fMiB goroutines=%d fds=%d queue=%d (tdc %d) conns_out=%d acked=%d flap_up=%v commits=%d cpu=%.1fs load=%.2f",
			int(s.t.Seconds()), s.phase, s.rss/(1<<20), int(s.goroutines), int(s.fds), int(s.queue), int(s.tdcQueue), int(s.connsOut), n, s.flapUp, s.commits, s.cpu, s.load1)
	}
	bg.Add(1)
	go func() {
		defer bg.Done()
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		takeSample()
		for {
			select {
			case <-stopAll:
				return
			case <-t.C:
				takeSample()
			}
		}
	}()

	// SIGINT or SIGTERM ends the load early: the drain and the verdict
	// follow and seg is stopped (the windows stay those of -time).
	sigCtx, stopSig := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSig()
	loadCtx, stopLoad := context.WithTimeout(sigCtx, dur)
	defer stopLoad()

	// The flapping destination: down for the first half of each period
	// after the first, so warm-up sees it up and down alike.
	bg.Add(1)
	go func() {
		defer bg.Done()
		t := time.NewTicker(flapPeriod / 2)
		defer t.Stop()
		for {
			select {
			case <-loadCtx.Done():
				if err := flapSink.up(); err != nil {
					say("flap sink up: %v", err)
				}
				mu.Lock()
				flapUp = true
				mu.Unlock()
				return
			case <-t.C:
				mu.Lock()
				up := flapUp
				mu.Unlock()
				if up {
					flapSink.down()
				} else if err := flapSink.up(); err != nil {
					say("flap sink up: %v", err)
					continue
				}
				mu.Lock()
				flapUp = !up
				mu.Unlock()
			}
		}
	}()

	// An admin commit every minute, alternating an address list change
	// and an INBOUND sender group member (127.0.0.9, which sends nothing).
	bg.Add(1)
	go func() {
		defer bg.Done()
		t := time.NewTicker(commitEvery)
		defer t.Stop()
		for i := 1; ; i++ {
			select {
			case <-loadCtx.Done():
				return
			case <-t.C:
			}
			var c string
			switch i % 4 {
			case 1, 3:
				c = fmt.Sprintf("addresslistconfig edit SOAKLIST --addresses @x%d.test,192.0.2.%d", i, i%250+1)
			case 2:
				c = L + "hostaccess edit sendergroup INBOUND --add 127.0.0.9"
			case 0:
				c = L + "hostaccess edit sendergroup INBOUND --remove 127.0.0.9"
			}
			t0 := time.Now()
			_, err := segCli(segBin, data, c+fmt.Sprintf(" ; commit soak %d", i))
			took := time.Since(t0)
			mu.Lock()
			commits++
			maxCli = max(maxCli, took)
			if err != nil {
				cfails = append(cfails, err.Error())
			}
			mu.Unlock()
			if err != nil {
				say("commit %d failed: %v", i, err)
			}
		}
	}()

	load(loadCtx, smtpAddr, rate, workers, l)
	loadEnd := time.Since(start)
	mu.Lock()
	phase = "drain"
	mu.Unlock()
	if err := flapSink.up(); err != nil {
		say("flap sink up: %v", err)
	}
	acked, byKind, refused, connErrs := l.snapshot()
	say("load ended after %s: %d acknowledged (relay %d, bounce %d, flap %d, inbound %d), %d refused, %d connection errors",
		loadEnd.Round(time.Second), len(acked), byKind[kRelay], byKind[kBounce], byKind[kFlap], byKind[kInbound], refused, connErrs)

	// Drain: until the queue is empty and every message is accounted
	// for, or -drain.
	var lo loss
	var q float64
	drained := false
	drainStart := time.Now()
	for time.Since(drainStart) < drain {
		m, err := scrape(metrics)
		if err == nil {
			q = m.queue
			lo = checkLoss(acked, mainSink, flapSink, tdcSink, senders)
			if q == 0 && lo.missingTotal() == 0 {
				drained = true
				break
			}
		}
		select {
		case err := <-segDone:
			segDone <- err
			return fmt.Errorf("seg exited during the drain: %v (data %s)", err, dir)
		case <-time.After(2 * time.Second):
		}
	}
	drainTook := time.Since(drainStart)
	takeSample()
	close(stopAll)
	bg.Wait()
	lo = checkLoss(acked, mainSink, flapSink, tdcSink, senders)
	final, _ := scrape(metrics)
	q = final.queue

	segAlive := true
	select {
	case err := <-segDone:
		segDone <- err
		segAlive = false
	default:
	}

	// The verdict.
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintln(out)
	fmt.Fprintf(out, "== soak verdict (load %s, %d samples; CSV %s.csv, plot %s.png)\n", loadEnd.Round(time.Second), len(samples), prefix, prefix)
	w0, w1, l0 := windows(dur)
	fmt.Fprintf(out, "flatness: median of %s-%s (after warm-up) against median of %s-%s (the end of the load),\n", mins(w0), mins(w1), mins(l0), mins(dur))
	fmt.Fprintf(out, "  over the samples with fewer than %d TDC copies queued (held copies keep connections open: load, not leak)\n", steadyTDC)
	pass := segAlive
	for _, f := range checkFlat(samples, dur) {
		verdict := "flat"
		if !f.ok {
			verdict, pass = "GROWING", false
		}
		unit, div := "", 1.0
		if f.name == "rss_bytes" {
			unit, div = " MiB", 1<<20
		}
		fmt.Fprintf(out, "  %-11s warm %8.1f%s  last %8.1f%s  limit %8.1f%s  %s  (samples %d/%d; all samples: warm %.1f last %.1f)\n",
			f.name, f.warm/div, unit, f.last/div, unit, f.limit/div, unit, verdict, f.nWarm, f.nLast, f.allWarm/div, f.allLast/div)
	}
	fmt.Fprintf(out, "queue after the load: %d recipients after %s of drain (limit %s) with the flapping sink up: %s\n",
		int(q), drainTook.Round(time.Second), drain, map[bool]string{true: "drained", false: "NOT DRAINED"}[drained && q == 0])
	if !(drained && q == 0) {
		pass = false
	}
	lo.print(out)
	if lo.missingTotal() > 0 {
		pass = false
	}
	for _, s := range []*sink{mainSink, flapSink, tdcSink, senders} {
		total, noID := s.stats()
		fmt.Fprintf(out, "  sink %-7s accepted %d messages (%d without a soak Message-ID)\n", s.name, total, noID)
	}
	fmt.Fprintf(out, "clients: %d refused before the 250, %d connection errors (not acknowledged: not counted)\n", refused, connErrs)
	if len(samples) > 0 && len(acked) > 0 {
		// Everything seg did (receive, TDC copies, DSNs, deliveries,
		// commits, idle) over the acknowledged messages.
		fmt.Fprintf(out, "seg CPU: %.1f s in all, %.2f ms per acknowledged message\n", final.cpu, final.cpu*1000/float64(len(acked)))
	}
	fmt.Fprintf(out, "admin commits: %d, %d failed, slowest %s\n", commits, len(cfails), maxCli.Round(time.Millisecond))
	if len(cfails) > 0 {
		pass = false
	}
	if !segAlive {
		fmt.Fprintf(out, "seg EXITED before the end (data %s)\n", dir)
	}
	if err := drawPlot(prefix+".png", samples, dur.Minutes()); err != nil {
		fmt.Fprintf(out, "plot: %v\n", err)
	}
	if loadEnd < dur-time.Second {
		// The windows are -time's: a short load cannot show a trend.
		fmt.Fprintf(out, "VERDICT: INCOMPLETE (the load was interrupted after %s of %s)\n", loadEnd.Round(time.Second), dur)
		return fmt.Errorf("interrupted")
	}
	if pass {
		fmt.Fprintln(out, "VERDICT: PASS")
		if !keep {
			_ = seg.Process.Signal(os.Interrupt)
			<-segDone
			segDone <- nil
			os.RemoveAll(dir)
		}
		return nil
	}
	fmt.Fprintf(out, "VERDICT: FAIL (seg's data and output kept in %s)\n", dir)
	return fmt.Errorf("FAIL")
}

func mins(d time.Duration) string { return fmt.Sprintf("%gmin", d.Minutes()) }

func durationOfMinutes(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }
