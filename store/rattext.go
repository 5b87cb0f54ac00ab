package store

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// The RAT text format (reference 2.8) is what rcptaccess PRINT shows,
// EXPORT writes and IMPORT reads: "#" comment lines, then one entry per
// line, "ENTRY ACCEPT|REJECT [params]", the last line "ALL ACCEPT|REJECT"
// (the default access). Params are written
//
//	smtp_response_code=550 smtp_response_text="No such user" bypass_receiving_control=yes
//
// and only when set.

// RAT entry parameter names (AsyncOS rat_params).
const (
	ratCode   = "smtp_response_code"
	ratText   = "smtp_response_text"
	ratBypass = "bypass_receiving_control"
)

// FormatRAT writes the RAT text, one entry per line.
func FormatRAT(rat []RATEntry) string {
	var b strings.Builder
	for _, e := range rat {
		b.WriteString(e.Entry + " " + e.Action)
		if e.Code != 0 {
			b.WriteString(" " + ratCode + "=" + strconv.Itoa(e.Code))
		}
		if e.Text != "" {
			b.WriteString(" " + ratText + `="` + e.Text + `"`)
		}
		if e.BypassReceivingControl {
			b.WriteString(" " + ratBypass + "=yes")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ParseRAT reads the RAT text format. Entries are stored in canonical
// form (CanonRATEntry). A file without an ALL line gets "ALL REJECT"
// appended: AsyncOS's default access, so an import never opens a relay by
// omission. Every problem is reported as "NAME:LINE: message" in a
// *LineErrors.
func ParseRAT(name string, r io.Reader) ([]RATEntry, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var errs Problems
	errorf := func(n int, format string, a ...any) {
		errs.Addf("%s:%d: %s", name, n, fmt.Sprintf(format, a...))
	}
	var out []RATEntry
	seen := map[string]int{}
	allLine := 0
	for _, l := range lines {
		e, err := ParseRATLine(l.text)
		if err != nil {
			errorf(l.n, "%v", err)
			continue
		}
		if allLine != 0 {
			errorf(l.n, "entry %s follows ALL: ALL must be the last entry", ExcerptBare(e.Entry))
			continue
		}
		if prev, dup := seen[e.Entry]; dup {
			errorf(l.n, "%s is listed twice (first on line %d)", ExcerptBare(e.Entry), prev)
			continue
		}
		seen[e.Entry] = l.n
		if e.Entry == "ALL" {
			allLine = l.n
		}
		out = append(out, e)
	}
	if errs.Len() > 0 {
		return nil, &LineErrors{Problems: errs.List()}
	}
	if allLine == 0 {
		out = append(out, RATEntry{Entry: "ALL", Action: RATReject})
	}
	return out, nil
}

// ParseRATLine parses one "ENTRY ACTION [params]" line.
func ParseRATLine(line string) (RATEntry, error) {
	words, err := ratWords(line)
	if err != nil {
		return RATEntry{}, err
	}
	if len(words) < 2 {
		return RATEntry{}, fmt.Errorf("expected ENTRY ACCEPT|REJECT [params], got %s", Excerpt(line))
	}
	var e RATEntry
	if e.Entry, err = CanonRATEntry(words[0]); err != nil {
		return RATEntry{}, err
	}
	if e.Action, err = CanonRATAction(words[1]); err != nil {
		return RATEntry{}, err
	}
	seen := map[string]bool{}
	for _, w := range words[2:] {
		k, v, ok := strings.Cut(w, "=")
		k = strings.ToLower(k)
		if !ok && k == ratBypass {
			v, ok = "yes", true
		}
		if !ok {
			return RATEntry{}, fmt.Errorf("expected name=value, got %s", Excerpt(w))
		}
		if seen[k] {
			return RATEntry{}, fmt.Errorf("%s given twice", ExcerptBare(k))
		}
		seen[k] = true
		switch k {
		case ratCode:
			n, err := strconv.Atoi(v)
			if err != nil {
				return RATEntry{}, fmt.Errorf("%s: %s is not a number", k, Excerpt(v))
			}
			e.Code = n
		case ratText:
			e.Text = v
		case ratBypass:
			on, err := (&ParamSpec{Kind: KindOnOff}).Canon(v)
			if err != nil {
				return RATEntry{}, fmt.Errorf("%s: %s must be yes or no", k, Excerpt(v))
			}
			e.BypassReceivingControl = on == "on"
		default:
			return RATEntry{}, fmt.Errorf("unknown parameter %s (accepted: %s, %s, %s)", Excerpt(k), ratCode, ratText, ratBypass)
		}
	}
	if err := CheckRATResponse(e.Action, e.Code, e.Text); err != nil {
		return RATEntry{}, err
	}
	return e, nil
}

// CheckRATResponse validates a custom SMTP response: 2xx for ACCEPT,
// 4xx/5xx for REJECT (0: the standard code), text on one line without
// double quotes.
func CheckRATResponse(action string, code int, text string) error {
	if code != 0 {
		if action == RATAccept && (code < 200 || code > 299) {
			return fmt.Errorf("The response code for ACCEPT must be from 200 to 299 (250 is the standard code)")
		}
		if action == RATReject && (code < 400 || code > 599) {
			return fmt.Errorf("The response code for REJECT must be from 400 to 599 (550 is the standard code)")
		}
	}
	if strings.ContainsAny(text, "\"\r\n") {
		return fmt.Errorf("The response text may not contain double quotes or line breaks")
	}
	if text != strings.TrimSpace(text) {
		return fmt.Errorf("The response text may not begin or end with blanks")
	}
	return nil
}

// CanonRATAction returns ACCEPT or REJECT.
func CanonRATAction(s string) (string, error) {
	switch strings.ToUpper(s) {
	case RATAccept:
		return RATAccept, nil
	case RATReject:
		return RATReject, nil
	}
	return "", fmt.Errorf("Unknown action %s: choose ACCEPT or REJECT", Excerpt(s))
}

// CanonRATEntry validates a recipient access entry and returns it in
// canonical (lower-case) form: user@domain, domain, .domain (all
// subdomains), user@ (that user at any domain), user@[IP] or [IP] (an
// address literal), or ALL.
func CanonRATEntry(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "ALL") {
		return "ALL", nil
	}
	bad := fmt.Errorf("Invalid recipient address %s: use user@domain, domain, .domain, user@ or ALL", Excerpt(s))
	l := strings.ToLower(s)
	local, domain, hasAt := strings.Cut(l, "@")
	if !hasAt {
		local, domain = "", l
	} else if !validLocal(local) {
		return "", bad
	}
	switch {
	case hasAt && domain == "":
	case strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]"):
		a, err := netip.ParseAddr(strings.TrimPrefix(domain[1:len(domain)-1], "ipv6:"))
		if err != nil || a.Zone() != "" {
			return "", bad
		}
		if a.Is6() {
			domain = "[ipv6:" + a.String() + "]"
		} else {
			domain = "[" + a.String() + "]"
		}
	case strings.HasPrefix(domain, "."):
		if !validHostname(strings.TrimSuffix(domain[1:], ".")) {
			return "", bad
		}
		domain = strings.TrimSuffix(domain, ".")
	default:
		domain = strings.TrimSuffix(domain, ".")
		if !validHostname(domain) {
			return "", bad
		}
	}
	if hasAt {
		return local + "@" + domain, nil
	}
	return domain, nil
}

// validLocal accepts a dot-atom local part (RFC 5321 section 4.1.2)
// without quoting.
func validLocal(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),:;<>@[\]`, r) {
			return false
		}
	}
	return true
}

// ratWords splits a line on blanks; double quotes group (k="a b").
func ratWords(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
			in = true
		case !quoted && (r == ' ' || r == '\t'):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote in %s", Excerpt(line))
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}
