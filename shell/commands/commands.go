// Package commands assembles the full command table.
package commands

import (
	"seg/shell"
	"seg/shell/configcmd"
	"seg/shell/listenercmd"
)

// Registry returns every shell command.
func Registry() *shell.Registry {
	var all []*shell.Command
	all = append(all, shell.SessionCommands()...)
	all = append(all, shell.MailCommands()...)
	all = append(all, shell.SystemCommands()...)
	all = append(all, shell.LogCommands()...)
	all = append(all, shell.UserCommands()...)
	all = append(all, shell.ClusterCommands()...)
	all = append(all, listenercmd.Commands()...)
	all = append(all, configcmd.Commands()...)
	return shell.NewRegistry(all...)
}
