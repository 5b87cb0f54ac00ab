// Package listenercmd implements listenerconfig: listeners, HAT and RAT.
package listenercmd

import "seg/shell"

// Commands returns listenerconfig.
func Commands() []*shell.Command {
	return []*shell.Command{{Name: "listenerconfig", Help: "Configure mail listeners (HAT, RAT).", Access: shell.AccessOperator,
		Run: func(c *shell.Ctx, args []string) error { return nil }}}
}
