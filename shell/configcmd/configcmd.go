// Package configcmd implements the configuration commands other than
// listenerconfig: destconfig, bounceconfig, smtproutes, dnsconfig,
// interfaceconfig, policyconfig, tdcconfig, userconfig, sshconfig,
// metricsconfig, addresslistconfig, bvconfig, exceptionconfig, domainkeys, dmarcconfig,
// alertconfig.
//
// Each command has the AsyncOS interactive form (state, then a menu of
// operations, until an empty line) and the batch forms of SPEC 3.1. Edits
// go to the command's working copy (c.Config()); the session keeps them
// only when Run returns nil.
package configcmd

import "seg/shell"

// Commands returns the configuration commands of this package.
func Commands() []*shell.Command {
	return []*shell.Command{
		destconfigCommand(),
		bounceconfigCommand(),
		smtproutesCommand(),
		dnsconfigCommand(),
		interfaceconfigCommand(),
		sbrsconfigCommand(),
		policyconfigCommand(),
		tdcconfigCommand(),
		userconfigCommand(),
		sshconfigCommand(),
		metricsconfigCommand(),
		certconfigCommand(),
		addresslistconfigCommand(),
		logconfigCommand(),
		bvconfigCommand(),
		exceptionconfigCommand(),
		domainkeysCommand(),
		dmarcconfigCommand(),
		alertconfigCommand(),
		adminaccessconfigCommand(),
	}
}
