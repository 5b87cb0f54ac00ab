package shell

// SessionCommands returns help, commit, clear, rollbackconfig,
// showchanges, showconfig, saveconfig, loadconfig, quit.
func SessionCommands() []*Command { return nil }

// MailCommands returns the commands served by the running MTA (tophosts,
// hoststatus, status, workqueue, the queue commands, findevent, tail, grep).
func MailCommands() []*Command { return nil }
