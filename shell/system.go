package shell

import "time"

// System is what the shell needs from the appliance process rather than
// from the mail system: what it is (version) and its power switch
// (shutdown, reboot). cmd/seg implements it; it is nil offline.
type System interface {
	// Version describes the running binary and appliance.
	Version() VersionInfo
	// Stop asks the process for a clean stop: the admin sessions end,
	// the listeners close, deliveries in flight finish or stay queued,
	// the queue and logs are closed. With restart the same binary then
	// runs again in its place with the same arguments (reboot). Stop
	// returns at once; the process stops after.
	Stop(restart bool) error
}

// VersionInfo is what version prints.
type VersionInfo struct {
	Version   string // release and build, e.g. "0.1.0-3f2a9c1d0b7e"
	BuildDate string // "" when the binary does not say
	GoVersion string // the Go toolchain and platform
	// Installed is when the data directory was set up (its SSH host
	// key was made); Started when this process started.
	Installed, Started time.Time
	Serial             string // as the log headers' "SN:" shows it
	// Uptime is the time since Started as AsyncOS shows it
	// ("1d 2h 3m 4s").
	Uptime string
}
