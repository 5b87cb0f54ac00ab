package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"seg/mta/report"
	"seg/shell"
)

// buildRevision and buildDate describe the build when the Go toolchain
// did not stamp it (GOFLAGS=-buildvcs=false, a tarball): make build sets
// them with -ldflags "-X main.buildRevision=... -X 'main.buildDate=...'".
// Empty buildDate: version shows the binary file's modification time.
var buildRevision, buildDate string

// exitRestart is what cmdRun returns after reboot: main then runs the
// same binary again in this process (reexec). It is also the exit status
// when that fails, for a service manager to restart on (systemd:
// RestartForceExitStatus=75; 75 is EX_TEMPFAIL in sysexits.h).
const exitRestart = 75

// drainGrace bounds how long shutdown and reboot wait for control socket
// sessions to end by themselves (the one that asked ends at once; an
// interactive one is then closed).
const drainGrace = 5 * time.Second

// appliance is shell.System for `seg run`: what version shows, and the
// stop that shutdown and reboot ask of the run loop.
type appliance struct {
	serial    string
	installed time.Time
	started   time.Time
	stops     chan bool // restart? capacity 1: the first request wins
}

func newAppliance(d *dataDir, started time.Time) *appliance {
	a := &appliance{serial: d.serial, started: started, stops: make(chan bool, 1)}
	// The SSH host key is made on the data directory's first start:
	// its time is the install date.
	if fi, err := os.Stat(d.file("ssh_host_ed25519_key")); err == nil {
		a.installed = fi.ModTime()
	}
	return a
}

// Version implements shell.System.
func (a *appliance) Version() shell.VersionInfo {
	v := shell.VersionInfo{Version: fullVersion(), BuildDate: buildDate, Serial: a.serial,
		Installed: a.installed, Started: a.started, Uptime: report.Age(time.Since(a.started)),
		GoVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if v.BuildDate == "" {
		if exe, err := os.Executable(); err == nil {
			if fi, err := os.Stat(exe); err == nil {
				v.BuildDate = fi.ModTime().Format("2006-01-02 15:04:05")
			}
		}
	}
	return v
}

// Stop implements shell.System: the run loop takes the request.
func (a *appliance) Stop(restart bool) error {
	select {
	case a.stops <- restart:
		return nil
	default:
		return errors.New("The appliance is already stopping.")
	}
}

// fullVersion is the release and the build: the commit the binary was
// built from (Go stamps it when building in a git checkout), "-dirty"
// when the tree had uncommitted changes.
func fullVersion() string {
	rev, dirty := buildRevision, false
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return version + "-" + rev
}

// reexec runs this binary again in this process, with the same arguments
// and environment (reboot). The appliance has stopped cleanly by then:
// its store, queue and logs are closed, and every descriptor Go opened is
// close-on-exec. It returns only when exec fails, with exitRestart.
func reexec() int {
	exe, err := os.Executable()
	if err == nil {
		err = syscall.Exec(exe, os.Args, os.Environ())
	}
	fmt.Fprintf(os.Stderr, "seg: reboot: cannot run %s again: %v (exit %d: a service manager may restart seg)\n", exe, err, exitRestart)
	return exitRestart
}
