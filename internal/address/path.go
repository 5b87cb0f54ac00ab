package address

import "strings"

// Path is the argument of MAIL FROM: or RCPT TO: after the colon: a path
// and the ESMTP parameters after it (RFC 5321 section 4.1.2).
type Path struct {
	Mailbox Mailbox
	Null    bool    // MAIL FROM:<>, the null reverse-path
	Params  []Param // in the order given
}

// Param is one esmtp-param: esmtp-keyword ["=" esmtp-value].
type Param struct {
	Keyword string // as given; keywords compare case-insensitively
	Value   string // "" when the parameter has none
}

// ParseReversePath parses what follows "MAIL FROM:": "<>" (the null
// path) or a path, then parameters.
func ParseReversePath(arg string) (Path, error) { return parsePath(arg, true) }

// ParseForwardPath parses what follows "RCPT TO:": a path, then
// parameters.
func ParseForwardPath(arg string) (Path, error) { return parsePath(arg, false) }

// parsePath reads "<" [ A-d-l ":" ] Mailbox ">" and the parameters. It is
// lenient where common clients are and no ambiguity follows: blanks
// around the path, and a path without angle brackets. The path ends at
// the first '>' outside a quoted string; nothing in a quoted local part
// can end it, so nothing in it can become a parameter.
func parsePath(arg string, nullOK bool) (Path, error) {
	if err := scan(arg); err != nil {
		return Path{}, err
	}
	p := &parser{s: strings.Trim(arg, " \t")}
	var path Path
	bracket := p.accept('<')
	switch {
	case bracket && p.accept('>'):
		if !nullOK {
			return Path{}, fail("empty path")
		}
		path.Null = true
	default:
		if bracket && p.peek() == '@' {
			// RFC 5321 section 4.1.1.3 and appendix C: a source route
			// is accepted and ignored.
			if err := p.sourceRoute(); err != nil {
				return Path{}, err
			}
		}
		m, err := p.mailbox()
		if err != nil {
			return Path{}, err
		}
		if bracket && !p.accept('>') {
			return Path{}, fail("invalid character in address or missing '>'")
		}
		path.Mailbox = m
	}
	params, err := parseParams(p.s[p.i:])
	if err != nil {
		return Path{}, err
	}
	path.Params = params
	return path, nil
}

// sourceRoute reads A-d-l ":": At-domain *( "," At-domain ).
func (p *parser) sourceRoute() error {
	for {
		if !p.accept('@') {
			return fail("invalid source route")
		}
		if _, err := p.domain(); err != nil {
			return fail("invalid source route")
		}
		if p.accept(':') {
			return nil
		}
		if !p.accept(',') {
			return fail("invalid source route")
		}
	}
}

// parseParams reads *( SP esmtp-param ), spaces runs allowed.
func parseParams(s string) ([]Param, error) {
	if s == "" {
		return nil, nil
	}
	if s[0] != ' ' {
		return nil, fail("invalid character after the path")
	}
	var out []Param
	for _, f := range strings.Split(s, " ") {
		if f == "" {
			continue
		}
		k, v, hasValue := strings.Cut(f, "=")
		if !validKeyword(k) || hasValue && !validValue(v) {
			return nil, &Error{Reason: "invalid ESMTP parameter", Param: true}
		}
		out = append(out, Param{Keyword: k, Value: v})
	}
	return out, nil
}

// validKeyword: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
func validKeyword(k string) bool {
	if k == "" || k[0] == '-' {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !isLDH(k[i]) {
			return false
		}
	}
	return true
}

// validValue: esmtp-value = 1*(%d33-60 / %d62-126), printable ASCII but
// '=' and space.
func validValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 33 || v[i] > 126 || v[i] == '=' {
			return false
		}
	}
	return true
}
