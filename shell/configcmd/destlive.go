package configcmd

import (
	"fmt"
	"strings"

	"seg/internal/mailapi"
	"seg/shell"
)

// destLive is the live state destconfig detail shows beside one
// destination's settings, from the running MTA; "" when the mail system
// is not running (the settings alone are shown then).
func destLive(c *shell.Ctx, domain string) (string, error) {
	ms, err := c.Mail()
	if err != nil {
		return "", nil
	}
	st, err := ms.DestinationState(strings.ToLower(domain))
	if err != nil {
		return "", err
	}
	return formatDestLive(st), nil
}

func formatDestLive(st mailapi.DestState) string {
	var b strings.Builder
	row := func(label, v string) { fmt.Fprintf(&b, "    %-29s %s\n", label+":", v) }
	b.WriteString("\n    Live state:\n")
	if !st.Known {
		b.WriteString("    No mail queued or in delivery for this destination.\n")
		return b.String()
	}
	state := "up"
	switch {
	case st.Suspended:
		state = "suspended (suspenddel)"
	case st.Down:
		state = "down"
	}
	row("Delivery", state)
	row("Current connections", fmt.Sprint(st.Connections))
	row("Queued recipients", fmt.Sprint(st.Queued))
	window := "No recipient limit"
	if st.RecipientLimit > 0 {
		window = fmt.Sprintf("%d of %d recipients in the last %d minutes", st.WindowUsed, st.RecipientLimit, st.RecipientMinutes)
		if st.PerIP || st.PerSource {
			window += " (the busiest address)"
		}
	}
	row("Recipient limit window", window)
	row("Last TLS status", or(st.LastTLS, "none"))
	row("Last DANE status", or(st.LastDANE, "not checked"))
	if len(st.Addresses) > 0 && (st.PerIP || st.PerSource) {
		b.WriteString("    Per address:\n")
		for _, a := range st.Addresses {
			name := or(a.IP, "all MX addresses")
			if a.Source != "" {
				name += " from " + a.Source
			}
			fmt.Fprintf(&b, "        %s: %d connections", name, a.Connections)
			if st.RecipientLimit > 0 {
				fmt.Fprintf(&b, ", %d recipients in the window", a.WindowUsed)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
