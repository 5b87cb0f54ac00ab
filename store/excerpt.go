package store

import (
	"fmt"
	"strings"
)

// Error messages about imported files (hostaccess, rcptaccess, destconfig
// and smtproutes import, loadconfig) name the file, the line and the
// problem, and quote no more of the file than a short excerpt of the
// offending token. The file can be anything the operator names in the
// configuration directory, a private key or a password file included,
// and the message reaches the screen and logs/cli_logs (issue 8).

// ExcerptMax is the most characters of a file a message quotes.
const ExcerptMax = 24

// MaxProblems is the most problems an import reports; the rest are
// counted ("... and N more problems").
const MaxProblems = 10

// Excerpt quotes s for a message in place of %q: double-quoted, at most
// ExcerptMax printable ASCII characters (a quote or backslash escaped as
// %q does), any other byte shown as '?', and "..." after the closing
// quote when s was cut.
func Excerpt(s string) string {
	body, cut := excerpt(s, true)
	q := `"` + body + `"`
	if cut {
		q += "..."
	}
	return q
}

// ExcerptBare is Excerpt without the quotes, in place of %s for a name
// the file gave (a policy, a sender group, a domain).
func ExcerptBare(s string) string {
	body, cut := excerpt(s, false)
	if cut {
		body += "..."
	}
	return body
}

func excerpt(s string, escape bool) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i == ExcerptMax {
			return b.String(), true
		}
		switch c := s[i]; {
		case escape && (c == '"' || c == '\\'):
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			b.WriteByte('?')
		}
	}
	return b.String(), false
}

// Problems collects the problems of one import: the first Limit (0:
// MaxProblems) are kept, the others only counted, so that a large file
// of bad lines costs no memory for its messages.
type Problems struct {
	Limit int
	list  []string
	more  int
}

func (p *Problems) limit() int {
	if p.Limit > 0 {
		return p.Limit
	}
	return MaxProblems
}

// Add records one problem.
func (p *Problems) Add(msg string) {
	if len(p.list) < p.limit() {
		p.list = append(p.list, msg)
		return
	}
	p.more++
}

// Addf records one problem, formatted.
func (p *Problems) Addf(format string, a ...any) { p.Add(fmt.Sprintf(format, a...)) }

// Len is the number of problems found.
func (p *Problems) Len() int { return len(p.list) + p.more }

// List returns the kept problems and, when some were only counted, a
// last "... and N more problems" line.
func (p *Problems) List() []string {
	out := append([]string(nil), p.list...)
	if p.more > 0 {
		out = append(out, moreProblems(p.more))
	}
	return out
}

func moreProblems(n int) string {
	if n == 1 {
		return "... and 1 more problem"
	}
	return fmt.Sprintf("... and %d more problems", n)
}
