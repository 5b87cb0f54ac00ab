// Package report formats the mail system's AsyncOS reports (tophosts,
// hoststatus, status) from a counters snapshot. Pure functions: the
// layouts are tested with golden files.
package report

import (
	"time"

	"seg/internal/mailapi"
)

// The number and time forms live in internal/mailapi, where the shell's
// cluster sums (status --cluster, tophosts --cluster) use them too.

// Ctime formats t as AsyncOS does: C's ctime with the day of month padded
// with a space ("Mon Nov  2 09:05:01 2026").
func Ctime(t time.Time) string { return mailapi.Ctime(t) }

// Stamp is Ctime plus the time zone abbreviation, as report headers show it.
func Stamp(t time.Time) string { return mailapi.Stamp(t) }

// Comma writes n with thousands separators (7,055).
func Comma(n int64) string { return mailapi.Comma(n) }

// Age formats a duration as AsyncOS's uptime: "12d 3h 4m 5s".
func Age(d time.Duration) string { return mailapi.Age(d) }
