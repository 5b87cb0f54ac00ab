package smtpd

import (
	"strings"

	"seg/internal/msgheader"
)

// dropOwnAuthResults removes the Authentication-Results fields that
// claim seg's authserv-id (the hostname seg writes in its own) from the
// message in buf (readMessage's layout: headerRoom octets, then the
// data): RFC 8601 section 5 requires a border MTA to remove them, or a
// sender could forge verdicts that recipients' agents trust as seg's.
// seg adds its own afresh on every pass, so an earlier one of its own
// (mail that loops back through seg) is stale at best. Fields of other
// authserv-ids stay. Without such a field buf and its data come back as
// they are, with no copy.
func (s *session) dropOwnAuthResults(buf []byte) (newBuf, data []byte) {
	data = buf[headerRoom:]
	var drop []msgheader.Field
	msgheader.Each(data, func(f msgheader.Field) bool {
		if f.Is("Authentication-Results") && strings.EqualFold(authservID(f.Value()), s.info.hostname) {
			drop = append(drop, f)
		}
		return true
	})
	if len(drop) == 0 {
		return buf, data
	}
	nb := make([]byte, headerRoom, headerRoom+len(data))
	off := 0
	for _, f := range drop {
		nb = append(nb, data[off:f.Start]...)
		off = f.Start + len(f.Raw)
	}
	nb = append(nb, data[off:]...)
	s.log().Info("MID %d removed %d Authentication-Results header(s) claiming this host's authserv-id %s (RFC 8601 section 5)",
		s.mid, len(drop), logSafe(s.info.hostname))
	return nb, nb[headerRoom:]
}

// authservID is the authserv-id an Authentication-Results value starts
// with (RFC 8601 section 2.2: CFWS, then a value, a token or a quoted
// string), "" when there is none.
func authservID(v string) string {
	v = skipCFWS(v)
	if strings.HasPrefix(v, `"`) {
		if end := strings.IndexByte(v[1:], '"'); end >= 0 {
			return v[1 : 1+end]
		}
		return ""
	}
	end := strings.IndexAny(v, " \t;(")
	if end < 0 {
		return v
	}
	return v[:end]
}

// skipCFWS drops leading white space and comments (nested, RFC 5322
// section 3.2.2).
func skipCFWS(v string) string {
	depth := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '\\' && depth > 0:
			i++
		case depth == 0 && c != ' ' && c != '\t':
			return v[i:]
		}
	}
	return ""
}
