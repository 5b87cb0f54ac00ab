// Package configcmd implements the configuration commands other than
// listenerconfig: destconfig, bounceconfig, smtproutes, dnsconfig,
// policyconfig, tdcconfig, userconfig, sshconfig, metricsconfig.
package configcmd

import "seg/shell"

// Commands returns the configuration commands of this package.
func Commands() []*shell.Command {
	return nil
}
