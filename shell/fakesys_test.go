package shell_test

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"seg/internal/mailapi"
	"seg/shell"
)

// The system commands' requests on fakeMail (shell/syscmds.go), printed
// in their batch form like the others.

func (f *fakeMail) TopIn(w io.Writer, o mailapi.TopInOrder) error {
	return f.got(w, fmt.Sprintf("TopIn(%d)", o), "topin", strconv.Itoa(int(o)))
}

func (f *fakeMail) HostSample(d string) (mailapi.HostSample, error) {
	f.calls = append(f.calls, fmt.Sprintf("HostSample(%q)", d))
	n := int64(len(f.calls))
	// Each sample has one more delivered recipient than the one before.
	return mailapi.HostSample{Status: "up", ConnOut: 1, Active: 5, Delivered: n}, nil
}

func (f *fakeMail) DNSStatus(w io.Writer) error { return f.got(w, "DNSStatus()", "dnsstatus") }

func (f *fakeMail) NSLookup(w io.Writer, name string, t mailapi.LookupType) error {
	return f.got(w, fmt.Sprintf("NSLookup(%q, %s)", name, t), "nslookup", name, string(t))
}

func (f *fakeMail) Telnet(w io.Writer, host string, port int) error {
	return f.got(w, fmt.Sprintf("Telnet(%q, %d)", host, port), "telnet", host, strconv.Itoa(port))
}

func (f *fakeMail) Suspend(w io.Writer, d time.Duration) error {
	return f.got(w, fmt.Sprintf("Suspend(%s)", d), "suspend", strconv.Itoa(int(d/time.Second)))
}

func (f *fakeMail) Resume(w io.Writer) error { return f.got(w, "Resume()", "resume") }

// fakeSystem is a shell.System that records Stop.
type fakeSystem struct{ stops []bool }

func (f *fakeSystem) Version() shell.VersionInfo {
	return shell.VersionInfo{
		Version: "0.1.0-0123456789ab", BuildDate: "2026-12-01 10:00:00", GoVersion: "go1.24 linux/amd64",
		Installed: time.Date(2026, 11, 2, 9, 5, 1, 0, time.UTC), Started: time.Date(2026, 11, 23, 21, 20, 20, 0, time.UTC), // shelltest.FixedTime - 1h2m3s
		Serial: "0A1B2C3D4E5F-60718293", Uptime: "1h 2m 3s",
	}
}

func (f *fakeSystem) Stop(restart bool) error {
	f.stops = append(f.stops, restart)
	return nil
}
