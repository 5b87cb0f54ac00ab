package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"seg/internal/ctl"
	"seg/internal/metricsd"
	"seg/internal/sshd"
	"seg/mta/metrics"
	"seg/mta/tracking"
	"seg/shell/commands"
	"seg/store"
)

// gcPercent is seg run's GOGC unless the environment sets one.
const gcPercent = 200

// cmdRun is `seg run`: the appliance in the foreground (SPEC 1).
func cmdRun(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs, data := newFlags("run", stderr)
	hostname := fs.String("hostname", "", "hostname for the default configuration (first start only)")
	console := fs.Bool("console", false, "also run the interactive shell on this terminal")
	cpuprofile := fs.String("cpuprofile", "", "write a Go CPU profile to this file until the appliance stops (benchmarks)")
	if rc := parseFlags(fs, args); rc >= 0 {
		return rc
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "seg run: unexpected argument %q\n%s", fs.Arg(0), usage)
		return exitUsage
	}
	if *console && !isTerminal(stdin) {
		fmt.Fprintln(stderr, "seg run: --console needs a terminal on standard input")
		return exitUsage
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "seg: "+format+"\n", args...) }
	fail := func(err error) int {
		logf("%v", err)
		return exitFail
	}

	// Signals first: a SIGTERM during start-up must not kill the process
	// with the store half-open.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)

	if os.Getenv("GOGC") == "" {
		// Mail is allocation-heavy (every body is read, copied and
		// written); with Go's default of 100 a relayed message spent a
		// tenth of its CPU in the collector. The appliance trades some
		// memory for it. GOGC in the environment still decides.
		debug.SetGCPercent(gcPercent)
	}
	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			return fail(err)
		}
		defer stop()
	}

	started := time.Now()
	d, err := prepareDataDir(*data)
	if err != nil {
		return fail(err)
	}
	st, created, err := d.openStore(*hostname, stdout, logf)
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	snap, err := st.Current()
	if err != nil {
		return fail(err)
	}
	initialPW := newInitialPassword(d, logf)
	initialPW.check(snap.Config)
	if !created && *hostname != "" && *hostname != snap.Config.System.Hostname {
		logf("--hostname %s ignored: the configuration exists (hostname %s)", *hostname, snap.Config.System.Hostname)
	}
	// Message tracking's index catches up with mail_logs before the
	// subscriptions open it, then follows it line by line (mta/tracking);
	// it is closed after the logs (deferred first), so that it sees their
	// last lines.
	ix, err := tracking.Open(d.file("logs"), tracking.Options{Logf: logf})
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := ix.Close(); err != nil {
			logf("closing the tracking index: %v", err)
		}
	}()
	logs := newLogSet(d, logf, ix)
	defer func() {
		if err := logs.close(); err != nil {
			logf("closing logs: %v", err)
		}
	}()
	if err := logs.apply(snap.Config); err != nil {
		return fail(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lockTime, err := testLockTime()
	if err != nil {
		return fail(err)
	}
	cliMinute, err := testDuration("SEG_TEST_CLI_MINUTE")
	if err != nil {
		return fail(err)
	}
	// The SSH server exists before the mail system, which takes its
	// password check for SMTP AUTH; it runs (and opens sessions on a)
	// only once both are up.
	go logs.follow(ctx, st, logf)
	clog := &cliLog{log: logs.writer(store.LogCLILogs), auth: logs.writer(store.LogAuthentication)}
	var a *admin
	sshSrv := &sshd.Server{
		Store:    st,
		HostKey:  d.hostKey,
		Lockouts: st,
		LockTime: lockTime,
		Open: func(user, source string, stdout, stderr io.Writer) (sshd.Shell, error) {
			s, err := a.newSession(user, source, stdout, stderr)
			if err != nil {
				return nil, err
			}
			initialPW.loggedIn(s.s.User)
			return s, nil
		},
		AuthFailed: clog.authFailed,
		Logf:       logf,
	}
	authenticate := func(user, password string) error {
		_, err := sshSrv.Authenticate(user, password)
		clog.smtpAuth(user, err)
		return err
	}
	mail, stopMTA, err := startMTA(ctx, mtaDeps{DataDir: d.path, Store: st, Logs: logs, Tracking: ix, Logf: logf, Authenticate: authenticate})
	if err != nil {
		return fail(fmt.Errorf("starting the mail system: %w", err))
	}
	defer stopMTA()
	go logs.status(ctx, mail.StatusLogLine)

	sys := newAppliance(d, started)
	a = &admin{dir: d, store: st, cluster: st, mail: clusterMail{mail, st}, sys: sys, cmds: commands.Registry(), log: clog, logs: logs.m,
		sessions: &sessionTable{}, timeoutMinute: cliMinute}
	a.checkPassword = func(user, source, password string) error {
		why, err := sshSrv.Authenticate(user, password)
		if err != nil {
			clog.authFailed(user, source, "passwd: "+why)
		}
		return err
	}
	go initialPW.watch(ctx, st)
	// Before any session can start: sessions show where the services
	// really listen, and commits that move them are tried first.
	// The Prometheus endpoint (SPEC 13) on the metricsconfig address.
	metricsSrv := &metricsd.Server{Store: st, Handler: metrics.Handler(mail.Metrics()), Logf: logf}
	ends := endpoints{mta: mail, ssh: sshSrv, metrics: metricsSrv}
	a.ends = ends
	st.SetCommitCheck(bindCheck(ends.held))
	// What this machine publishes to its cluster under its lease.
	st.SetAddress(publishedAddress(ends))
	st.SetStats(peerStatsProvider(mail, st))

	// SSH has tried its address before the control socket appears, as
	// the listeners have: a client that finds the socket finds the
	// whole appliance up.
	sshDone := make(chan error, 1)
	go func() { sshDone <- sshSrv.Run(ctx) }()
	<-sshSrv.Ready()
	metricsDone := make(chan error, 1)
	go func() { metricsDone <- metricsSrv.Run(ctx) }()
	<-metricsSrv.Ready()

	ln, err := ctl.Listen(d.file("seg.sock"))
	if err != nil {
		return fail(err)
	}
	ctlSrv := &ctl.Server{
		Open: func(h ctl.Hello, stdout, stderr io.Writer) (ctl.Shell, error) {
			s, err := a.newSession(h.User, "socket", stdout, stderr)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		Logf: logf,
	}
	ctlDone := make(chan error, 1)
	go func() { ctlDone <- ctlSrv.Serve(ln) }()

	fmt.Fprintln(stdout, startupLine(snap.Config.System.Hostname, d.path, ends.Endpoints(), d.file("seg.sock")))

	var con *consoleSession
	if *console {
		con, err = startConsole(a, stdin, stdout)
		if err != nil {
			logf("console: %v", err)
		}
	}
	var consoleDone <-chan struct{}
	if con != nil {
		consoleDone = con.done
	}

	restart, stopRequested := false, false
loop:
	for {
		select {
		case restart = <-sys.stops:
			// shutdown or reboot: the shell has suspended receiving
			// and delivery; the same clean stop as SIGTERM follows.
			stopRequested = true
			break loop
		case s := <-sigs:
			if s == syscall.SIGHUP {
				if err := logs.reopen(); err != nil {
					logf("reopening logs: %v", err)
				}
				continue
			}
			break loop
		case err := <-ctlDone:
			logf("control socket stopped: %v", err)
			ctlDone = nil
		case <-consoleDone:
			consoleDone = nil
			fmt.Fprintln(stdout, "Console session ended; seg keeps running (Ctrl-C or SIGTERM stops it).")
		}
	}

	// Stop taking new admin sessions, end the open ones, then the mail
	// system; the deferred calls close the logs and the store last.
	if con != nil {
		con.stop()
	}
	if stopRequested {
		// The session that asked (`seg cli shutdown`, `ssh admin@host
		// reboot`) gets its last lines and exit status before the
		// control socket and SSH close.
		dctx, dcancel := context.WithTimeout(context.Background(), drainGrace)
		drained := make(chan struct{})
		go func() {
			sshSrv.Drain(dctx)
			close(drained)
		}()
		ctlSrv.Drain(dctx)
		<-drained
		dcancel()
	}
	cancel()
	ctlSrv.Close()
	if err := <-sshDone; err != nil {
		logf("SSH: %v", err)
	}
	if err := <-metricsDone; err != nil {
		logf("metrics: %v", err)
	}
	if restart {
		// The deferred calls stop the mail system and close the logs
		// and the store before main runs the binary again.
		fmt.Fprintln(stdout, "seg rebooting: stopping cleanly, then starting again")
		return exitRestart
	}
	return exitOK
}

// testLockTime is the SSH lockout time from $SEG_TEST_LOCK_TIME (a Go
// duration), 0 (the default, five minutes) when unset. Only the
// end-to-end tests set it, to see a lock expire without waiting five
// minutes; it is not part of the appliance's interface.
func testLockTime() (time.Duration, error) { return testDuration("SEG_TEST_LOCK_TIME") }

// testDuration reads a test-only duration from the environment variable
// name, 0 when unset: SEG_TEST_LOCK_TIME above, and SEG_TEST_CLI_MINUTE,
// how long one minute of the CLI inactivity timeout lasts, so that the
// end-to-end tests see an idle session closed without waiting minutes.
func testDuration(name string) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: not a positive duration", name, v)
	}
	return d, nil
}
