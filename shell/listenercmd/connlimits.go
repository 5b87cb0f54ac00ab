package listenercmd

import (
	"fmt"
	"strconv"

	"seg/shell"
	"seg/store"
)

// A listener's connection limits (store.ConnLimits): shown by PRINT and
// LIMITS, asked by LIMITS, set in batch by "edit NAME setup --OPTION N".

// connLimitLabels are the PRINT labels, by option name.
var connLimitLabels = map[string]string{
	"idle_timeout":        "Idle Timeout",
	"max_connection_time": "Maximum Connection Time",
	"data_timeout":        "DATA Timeout",
	"min_data_rate":       "Minimum DATA Rate",
	"data_rate_interval":  "DATA Rate Interval",
	"pressure_idle":       "Busy Listener Idle Limit",
	"reserved_percent":    "Reserved For RELAY Clients",
}

// connLimitOptions are the batch option names of the limits.
func connLimitOptions() []string {
	var names []string
	for _, s := range store.ConnLimitParams.Specs {
		names = append(names, s.Name)
	}
	return names
}

// connLimitUsage is the part of usage that explains the options.
func connLimitUsage() []string {
	u := []string{"Connection limits (listenerconfig edit NAME setup --OPTION N; seconds also take 30s, 5m, 1h):"}
	for _, s := range store.ConnLimitParams.Specs {
		u = append(u, fmt.Sprintf("  --%s: %s, in %s (default %s)", s.Name, s.Help, s.Unit, s.Default))
	}
	return u
}

// limitValue is a limit as PRINT shows it.
func limitValue(s *store.ParamSpec, v, max int) string {
	if v == 0 && s.Min == 0 {
		return "off"
	}
	out := strconv.Itoa(v) + " " + s.Unit
	if s.Name == "reserved_percent" {
		r := (store.ConnLimits{ReservedPercent: v}).Reserved(max)
		out += fmt.Sprintf(", %d of %d connections", r, max)
	}
	return out
}

func printConnLimits(c *shell.Ctx, l *store.Listener) {
	c.Printf("\nConnection Limits:\n")
	for i := range store.ConnLimitParams.Specs {
		s := &store.ConnLimitParams.Specs[i]
		c.Printf("%s: %s (%s)\n", connLimitLabels[s.Name], limitValue(s, *l.ConnLimits.Field(s.Name), l.MaxConcurrency), s.Name)
	}
}

// parseConnLimits reads the limit options among named into a copy of
// cur; nothing is changed when one is wrong.
func parseConnLimits(named map[string]string, cur store.ConnLimits) (store.ConnLimits, error) {
	for i := range store.ConnLimitParams.Specs {
		s := &store.ConnLimitParams.Specs[i]
		v, ok := named[s.Name]
		if !ok {
			continue
		}
		n, err := s.Parse(v)
		if err != nil {
			return cur, shell.AsUser(err)
		}
		*cur.Field(s.Name) = n
	}
	return cur, nil
}

// askConnLimits asks for each limit in turn, the current value as the
// default.
func askConnLimits(c *shell.Ctx, l *store.Listener) error {
	next := l.ConnLimits
	for i := range store.ConnLimitParams.Specs {
		s := &store.ConnLimitParams.Specs[i]
		q := fmt.Sprintf("Enter the %s, in %s from %d to %d.", s.Help, s.Unit, s.Min, s.Max)
		v, err := shell.Ask(c, q, strconv.Itoa(*next.Field(s.Name)), checker(func(in string) (string, error) {
			n, err := s.Parse(in)
			return strconv.Itoa(n), err
		}))
		if err != nil {
			return err
		}
		*next.Field(s.Name), _ = strconv.Atoi(v)
	}
	l.ConnLimits = next
	return nil
}
