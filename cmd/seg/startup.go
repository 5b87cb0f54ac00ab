package main

import (
	"fmt"
	"strings"

	"seg/shell"
)

// startupLine is what `seg run` prints once it serves: where to reach
// each service, every SMTP listener included, so that a newcomer knows
// where to send mail and where to log in without reading the
// configuration.
func startupLine(hostname, data string, eps []shell.Endpoint, sock string) string {
	parts := []string{"hostname " + hostname, "data " + data}
	var smtp, others []string
	for _, ep := range eps {
		where := ep.Listening
		if where == "" {
			where = "not listening (configured " + ep.Configured + ")"
		}
		switch {
		case strings.HasPrefix(ep.Service, "listener "):
			smtp = append(smtp, "SMTP "+strings.TrimPrefix(ep.Service, "listener ")+" "+where)
		case ep.Service == "ssh":
			others = append(others, "SSH "+where)
		case ep.Service == "metrics": // present when configured or still listening
			others = append(others, "metrics "+where)
		}
	}
	if len(smtp) == 0 {
		smtp = []string{"no SMTP listener"}
	}
	parts = append(append(append(parts, smtp...), others...), "control socket "+sock)
	return fmt.Sprintf("seg %s running: %s", version, strings.Join(parts, ", "))
}
