package mailapi

import (
	"fmt"
	"strconv"
	"time"
)

// The number and time forms of the mail system's reports (status,
// tophosts, hoststatus): mta/report prints one machine's, the shell the
// sums of a cluster's (status --cluster), in the same forms.

// Ctime formats t as AsyncOS does: C's ctime with the day of month padded
// with a space ("Mon Nov  2 09:05:01 2026").
func Ctime(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }

// Stamp is Ctime plus the time zone abbreviation, as report headers show it.
func Stamp(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006 MST") }

// Comma writes n with thousands separators (7,055).
func Comma(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Age formats a duration as AsyncOS's uptime: "12d 3h 4m 5s".
func Age(d time.Duration) string {
	s := int64(d / time.Second)
	days, s := s/86400, s%86400
	h, s := s/3600, s%3600
	m, s := s/60, s%60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh %dm %ds", days, h, m, s)
	case h > 0:
		return fmt.Sprintf("%dh %dm %ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm %ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}
