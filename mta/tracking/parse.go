package tracking

import (
	"strconv"
	"strings"
	"time"
)

// ctimeLayout is aslog's line stamp (C's ctime, day space-padded).
const ctimeLayout = "Mon Jan _2 15:04:05 2006"

// facts is what one mail_logs line says that the index keeps.
type facts struct {
	mids, icids, dcids []int64
	// start: "Start MID n ICID i" begins message n on connection i.
	start bool
	// The envelope and header values of mids[0], when the line gives one.
	from, to, subject, messageID string
	hasFrom                      bool
	// parent > 0: child was generated from parent, as "MID n was
	// generated for bounce of MID m" and "MID n was generated based on
	// MID m by ..." say. A split ("MID m was split creating MID n") is
	// not followed: the part is a message of its own, to other
	// recipients; the split line, which names both, is in m's life.
	parent, child int64
}

// parseLine reads the message part of a line (after "Level: ").
func parseLine(msg string) facts {
	var f facts
	// IDs are read before any quoted text or remote reply: a subject or
	// a peer's reply that says "MID 9" names no message.
	head := msg
	if i := strings.IndexAny(head, `'"`); i >= 0 {
		head = head[:i]
	}
	if i := strings.Index(head, " Response "); i >= 0 {
		head = head[:i]
	}
	f.mids = ids(head, "MID")
	f.icids = ids(head, "ICID")
	f.dcids = ids(head, "DCID")
	if len(f.mids) == 0 {
		return f
	}
	switch {
	case strings.HasPrefix(msg, "Start MID "):
		f.start = true
	case strings.Contains(msg, " was generated ") && len(f.mids) >= 2 && f.mids[0] > 0 && f.mids[len(f.mids)-1] > 0:
		// MIDs start at 1: a line naming MID 0 links nothing (found
		// by FuzzParseLine).
		f.parent, f.child = f.mids[len(f.mids)-1], f.mids[0]
	}
	if !strings.HasPrefix(msg, "MID ") {
		return f
	}
	if i := strings.Index(msg, " From: <"); i > 0 && !strings.Contains(msg[:i], " To:") {
		f.from, f.hasFrom = angle(msg[i+len(" From: <"):]), true
	} else if i := strings.Index(msg, " To: <"); i > 0 && strings.Contains(msg[:i], " RID ") && !strings.HasSuffix(msg, "Rejected by RAT") {
		f.to = angle(msg[i+len(" To: <"):])
	} else if rest, ok := afterID(msg, " Message-ID "); ok {
		f.messageID = Unrepr(rest)
	} else if rest, ok := afterID(msg, " Subject "); ok {
		f.subject = Unrepr(rest)
	}
	return f
}

// afterID returns what follows "MID n"+key when msg is exactly that form.
func afterID(msg, key string) (string, bool) {
	sp := strings.IndexByte(msg[4:], ' ')
	if sp < 0 {
		return "", false
	}
	rest := msg[4+sp:]
	if !strings.HasPrefix(rest, key) {
		return "", false
	}
	return rest[len(key):], true
}

// angle returns the address up to the closing '>' ("" for "<>").
func angle(s string) string {
	if i := strings.LastIndexByte(s, '>'); i >= 0 {
		return s[:i]
	}
	return s
}

// ids returns the numbers that follow word (as a whole word, then a space
// or ": ") in msg: ids(" MID 5 ... MID 7", "MID") = [5 7].
func ids(msg, word string) []int64 {
	var out []int64
	for i := 0; ; {
		j := strings.Index(msg[i:], word)
		if j < 0 {
			return out
		}
		j += i
		i = j + len(word)
		if j > 0 && isWordByte(msg[j-1]) {
			continue
		}
		k := i
		if k < len(msg) && msg[k] == ':' {
			k++
		}
		if k >= len(msg) || msg[k] != ' ' {
			continue
		}
		k++
		e := k
		for e < len(msg) && msg[e] >= '0' && msg[e] <= '9' {
			e++
		}
		if e == k || e < len(msg) && isWordByte(msg[e]) {
			continue
		}
		n, err := strconv.ParseInt(msg[k:e], 10, 64)
		if err != nil {
			continue
		}
		out = appendUnique(out, n)
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func appendUnique(s []int64, n int64) []int64 {
	for _, x := range s {
		if x == n {
			return s
		}
	}
	return append(s, n)
}

// splitLine splits a whole file line into its stamp and its message (the
// text after "Level: "); ok is false for a line of another form.
func splitLine(line string, loc *time.Location) (t time.Time, msg string, ok bool) {
	if len(line) < len(ctimeLayout)+3 {
		return t, "", false
	}
	t, err := time.ParseInLocation(ctimeLayout, line[:len(ctimeLayout)], loc)
	if err != nil {
		return t, "", false
	}
	rest := line[len(ctimeLayout)+1:]
	i := strings.Index(rest, ": ")
	if i < 0 {
		return t, "", false
	}
	return t, rest[i+2:], true
}

// Unrepr undoes mta/maillog.Repr (Python's repr of a str): the quotes go,
// and \\, \', \", \t, \r, \n and \xNN become the characters. Text that
// is not quoted is returned as is.
func Unrepr(s string) string {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return s
	}
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		case 'x':
			if i+2 < len(s) {
				if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
					b.WriteByte(byte(n))
					i += 2
					continue
				}
			}
			b.WriteString(`\x`)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
