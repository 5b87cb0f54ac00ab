package store

// AdminAccess is adminaccessconfig: how the admin shell's sessions are
// kept. AsyncOS's command also sets the web interface's timeout and the
// IP access list; seg has no web interface, and the SSH address is
// sshconfig's.
type AdminAccess struct {
	// CLITimeout is the CLI inactivity timeout in minutes: an
	// interactive session (console, SSH, `seg cli`) that receives no
	// input for that long is closed. 0 means DefaultCLITimeout.
	CLITimeout int `json:"cli_timeout,omitempty"`
}

// CLI inactivity timeout bounds and default, in minutes, as AsyncOS's
// adminaccessconfig TIMEOUT takes them.
const (
	DefaultCLITimeout = 30
	MinCLITimeout     = 5
	MaxCLITimeout     = 1440
)

// CLITimeoutMinutes is the timeout in effect, in minutes.
func (a AdminAccess) CLITimeoutMinutes() int {
	if a.CLITimeout == 0 {
		return DefaultCLITimeout
	}
	return a.CLITimeout
}

func (c *Config) validateAdminAccess(p *problems) {
	if t := c.AdminAccess.CLITimeout; t != 0 && (t < MinCLITimeout || t > MaxCLITimeout) {
		p.add("adminaccess: CLI inactivity timeout %d must be from %d to %d minutes", t, MinCLITimeout, MaxCLITimeout)
	}
}
