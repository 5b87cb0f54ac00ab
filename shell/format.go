package shell

import (
	"fmt"
	"strconv"
	"strings"
)

// Small formatting and parsing helpers of the configuration commands.

// FormatTable lays out rows under headers, columns two spaces apart, with
// a line of '=' under each header.
func FormatTable(headers []string, rows [][]string) string {
	w := make([]int, len(headers))
	for i, h := range headers {
		w[i] = len(h)
	}
	for _, r := range rows {
		for i, v := range r {
			w[i] = max(w[i], len(v))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, v := range cells {
			if i > 0 {
				l.WriteString("  ")
			}
			fmt.Fprintf(&l, "%-*s", w[i], v)
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	line(headers)
	under := make([]string, len(headers))
	for i := range headers {
		under[i] = strings.Repeat("=", w[i])
	}
	line(under)
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// SplitList splits a list separated by commas, blanks or tabs, dropping
// empty items.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// Plural returns "1 thing" or "N things".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// OnOff is the stored form of an on/off parameter.
func OnOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
