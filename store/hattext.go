package store

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// The HAT text format (SPEC 4.3, reference 2.5) is what hostaccess PRINT
// shows, EXPORT writes and IMPORT reads:
//
//	$THROTTLED
//	    ACCEPT {
//	        max_msgs_per_session = 10
//	        tls = "off"
//	    }
//	$BLOCKED
//	    REJECT
//	BLOCKED_LIST:
//	    $BLOCKED (Spammers are rejected)
//	    192.0.2.0/24
//	ALL
//	    $ACCEPTED
//
// Policies come first, then the sender groups in match order, then ALL.
// The listener's default policy parameters are not part of the text (as
// in AsyncOS): importing keeps the listener's current defaults.

// LineErrors lists every problem found in an imported file, each as
// "NAME:LINE: message".
type LineErrors struct {
	Problems []string
}

func (e *LineErrors) Error() string { return strings.Join(e.Problems, "\n") }

// FormatHAT writes h in the HAT text format: policies with their
// overrides in HATParams order (strings quoted, numbers bare), then the
// sender groups with their policy, comment and members (canonical forms),
// then ALL.
func FormatHAT(h HAT) string {
	var b strings.Builder
	for _, p := range h.Policies {
		b.WriteString(p.Name + "\n")
		writeBehavior(&b, p.Behavior, p.Params)
	}
	for _, g := range h.SenderGroups {
		if g.Name == "ALL" {
			b.WriteString("ALL\n")
		} else {
			b.WriteString(g.Name + ":\n")
		}
		b.WriteString("    " + g.Policy)
		if g.Comment != "" {
			b.WriteString(" (" + g.Comment + ")")
		}
		b.WriteString("\n")
		if g.Name == "ALL" {
			continue
		}
		for _, m := range g.Members {
			b.WriteString("    " + m + "\n")
		}
	}
	return b.String()
}

func writeBehavior(b *strings.Builder, behavior string, params Params) {
	if len(params) == 0 {
		b.WriteString("    " + behavior + "\n")
		return
	}
	b.WriteString("    " + behavior + " {\n")
	for _, k := range hatKeyOrder(params) {
		b.WriteString("        " + k + " = " + hatValue(k, params[k]) + "\n")
	}
	b.WriteString("    }\n")
}

// hatKeyOrder lists the keys of p in HATParams order, unknown keys last
// (sorted), so output is deterministic.
func hatKeyOrder(p Params) []string {
	var out []string
	for _, s := range HATParams.Specs {
		if p.Has(s.Name) {
			out = append(out, s.Name)
		}
	}
	for _, k := range p.Keys() {
		if _, ok := HATParams.index[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// hatValue writes a value as the HAT text does: numbers bare, the rest
// double-quoted.
func hatValue(key, v string) string {
	if s, ok := HATParams.Lookup(key); ok && !s.Kind.Quoted() {
		return v
	}
	return `"` + v + `"`
}

// CheckPolicyName validates a mail flow policy name: "$" then 1 to 64
// letters, digits, '_' or '-'.
func CheckPolicyName(name string) error {
	if len(name) > 1+MaxNameLength {
		return fmt.Errorf("Invalid policy name %s: at most %d characters follow the $", shortName(name), MaxNameLength)
	}
	if len(name) < 2 || name[0] != '$' || !nameChars(name[1:]) {
		return fmt.Errorf("Invalid policy name %s: a policy name is $ followed by letters, digits, _ or -", Excerpt(name))
	}
	return nil
}

// CheckSenderGroupName validates a sender group name: 1 to 64 letters,
// digits, '_', '-' or '.', and not "ALL" (the last row's reserved name).
func CheckSenderGroupName(name string) error {
	if strings.EqualFold(name, "ALL") {
		return fmt.Errorf("The name ALL is reserved for the last row of the table")
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("Invalid sender group name %s: at most %d characters", shortName(name), MaxNameLength)
	}
	if name == "" || !nameChars(strings.ReplaceAll(name, ".", "")) || strings.HasPrefix(name, ".") {
		return fmt.Errorf("Invalid sender group name %s: use letters, digits, _, - or .", Excerpt(name))
	}
	return nil
}

func nameChars(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// CheckComment validates a sender group comment (one line, no
// parentheses imbalance worries: the text format takes everything between
// the first "(" and the last ")") and returns it trimmed.
func CheckComment(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("A comment must be on one line")
	}
	return s, nil
}

// CanonBehavior returns the canonical (upper-case) connection behaviour.
func CanonBehavior(s string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, b := range Behaviors {
		if b == u {
			return u, nil
		}
	}
	return "", fmt.Errorf("Unknown behavior %s: choose %s", Excerpt(s), strings.Join(Behaviors, ", "))
}

// hatRow is one sender group (or ALL row) as read, with line numbers for
// the checks done once the whole file is read.
type hatRow struct {
	group      SenderGroup
	line       int // of the header
	policyLine int // of the $POLICY or inline behaviour line; 0: none
	all        bool
}

type hatPolicy struct {
	p    FlowPolicy
	line int
}

type hatParser struct {
	name     string
	limit    int         // problems reported in full
	errs     []lineError // the limit lowest-numbered problems
	more     int         // problems beyond them
	policies []hatPolicy
	rows     []hatRow
	adhoc    map[int]bool // line numbers of generated names (policy or group)
	lastLine int          // of the last non-blank, non-comment line
}

type lineError struct {
	line int
	msg  string
}

// errorf records a problem. Only the limit lowest-numbered ones are
// kept (checks made once the whole file is read report earlier lines),
// the others counted: a large file of bad lines costs no memory.
func (p *hatParser) errorf(line int, format string, a ...any) {
	e := lineError{line, fmt.Sprintf("%s:%d: %s", p.name, line, fmt.Sprintf(format, a...))}
	if len(p.errs) < p.limit {
		p.errs = append(p.errs, e)
		return
	}
	p.more++
	worst := 0
	for i, k := range p.errs {
		if k.line >= p.errs[worst].line {
			worst = i
		}
	}
	if line < p.errs[worst].line {
		p.errs = append(p.errs[:worst], p.errs[worst+1:]...)
		p.errs = append(p.errs, e)
	}
}

// problems returns the kept errors in line order (checks made once the
// whole file is read come out beside the line they are about) and a
// count of the others.
func (p *hatParser) problems() []string {
	sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].line < p.errs[j].line })
	out := make([]string, 0, len(p.errs)+1)
	for _, e := range p.errs {
		out = append(out, e.msg)
	}
	if p.more > 0 {
		out = append(out, moreProblems(p.more))
	}
	return out
}

// ParseHAT reads a HAT in the text format of FormatHAT (name is used in
// error messages). The result has defaults as its Defaults (nil: the
// public-listener defaults): the text does not carry them.
//
// It also reads files exported by AsyncOS: "#" comment lines, blank lines,
// any indentation (4 or 8 spaces, tabs), members in any form ParseMember
// takes (stored in canonical form), several members on a line separated
// by commas or blanks, and ad-hoc rows. An ad-hoc row is a member list at
// column 0 followed by an indented "$POLICY (comment)" or an inline
// behaviour "REJECT (comment)" (optionally with a { } parameter block);
// it becomes a sender group named ADHOC_<line>. An inline behaviour, in
// an ad-hoc row or in a named group or ALL, becomes a policy named
// $ADHOC_<line> (the line of the behaviour). A generated name that is
// already taken gets a _2, _3... suffix.
//
// Problems are reported as "NAME:LINE: message", in line order, in a
// *LineErrors: the first MaxProblems, then how many more there are.
func ParseHAT(name string, r io.Reader, defaults Params) (HAT, error) {
	return parseHAT(name, r, defaults, MaxProblems)
}

// parseHAT is ParseHAT reporting up to limit problems in full.
func parseHAT(name string, r io.Reader, defaults Params, limit int) (HAT, error) {
	p := &hatParser{name: name, limit: limit, adhoc: map[int]bool{}}
	lines, err := readLines(r)
	if err != nil {
		return HAT{}, fmt.Errorf("%s: %v", name, err)
	}
	if n := len(lines); n > 0 {
		p.lastLine = lines[n-1].n
	}
	p.parse(lines)
	h := p.build()
	if defaults == nil {
		defaults = DefaultHATParams()
	}
	h.Defaults = defaults.Clone()
	if len(p.errs) > 0 {
		return HAT{}, &LineErrors{Problems: p.problems()}
	}
	return h, nil
}

type textLine struct {
	n      int
	indent bool
	text   string // trimmed
}

func readLines(r io.Reader) ([]textLine, error) {
	var out []textLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		raw := strings.TrimRight(sc.Text(), " \t\r")
		t := strings.TrimSpace(raw)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		out = append(out, textLine{n: n, indent: raw[0] == ' ' || raw[0] == '\t', text: t})
	}
	return out, sc.Err()
}

func (p *hatParser) parse(lines []textLine) {
	for i := 0; i < len(lines); {
		l := lines[i]
		if l.indent {
			p.errorf(l.n, "indented line outside a policy or sender group: %s", Excerpt(l.text))
			i++
			continue
		}
		// The item's body: the indented lines that follow.
		j := i + 1
		for j < len(lines) && lines[j].indent {
			j++
		}
		body := lines[i+1 : j]
		switch {
		case strings.HasPrefix(l.text, "$"):
			p.parsePolicy(l, body)
		case strings.EqualFold(l.text, "ALL") || strings.EqualFold(l.text, "ALL:"):
			p.parseRow(hatRow{group: SenderGroup{Name: "ALL", Members: []string{"ALL"}}, line: l.n, all: true}, body)
		case strings.HasSuffix(l.text, ":") && !strings.Contains(l.text[:len(l.text)-1], ":"):
			g := strings.TrimSpace(l.text[:len(l.text)-1])
			if err := CheckSenderGroupName(g); err != nil {
				p.errorf(l.n, "%v", err)
			}
			p.parseRow(hatRow{group: SenderGroup{Name: g}, line: l.n}, body)
		default:
			row := hatRow{group: SenderGroup{Name: fmt.Sprintf("ADHOC_%d", l.n)}, line: l.n}
			p.adhoc[l.n] = true
			row.group.Members = p.members(l)
			p.parseRow(row, body)
		}
		i = j
	}
}

// members parses a member line, reporting bad members.
func (p *hatParser) members(l textLine) []string {
	var out []string
	for _, f := range strings.FieldsFunc(l.text, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		m, err := ParseMember(f)
		if err != nil {
			p.errorf(l.n, "%v", err)
			continue
		}
		if m.Kind == MemberAll {
			p.errorf(l.n, "ALL may only be used in the last row of the table")
			continue
		}
		out = append(out, m.String())
	}
	return out
}

func (p *hatParser) parsePolicy(head textLine, body []textLine) {
	name := head.text
	if err := CheckPolicyName(name); err != nil {
		p.errorf(head.n, "%v", err)
	}
	if len(body) == 0 {
		p.errorf(head.n, "policy %s has no behavior line (ACCEPT, REJECT, TCPREFUSE, RELAY or CONTINUE)", ExcerptBare(name))
		return
	}
	behavior, rest, params, used := p.behaviorBlock(body)
	if rest != "" {
		p.errorf(body[0].n, "unexpected %s after the behavior of policy %s", Excerpt(rest), ExcerptBare(name))
	}
	for _, l := range body[used:] {
		p.errorf(l.n, "unexpected line after policy %s: %s", ExcerptBare(name), Excerpt(l.text))
	}
	p.policies = append(p.policies, hatPolicy{p: FlowPolicy{Name: name, Behavior: behavior, Params: params}, line: head.n})
}

// behaviorBlock reads "BEHAVIOR [rest] [{" and a following { } block.
// It returns the behaviour, the text between it and the "{" (a comment,
// for rows), the parameters and how many lines it used.
func (p *hatParser) behaviorBlock(body []textLine) (string, string, Params, int) {
	first := body[0]
	word, rest, _ := strings.Cut(first.text, " ")
	rest = strings.TrimSpace(rest)
	open := false
	if strings.HasSuffix(word, "{") {
		word, open = strings.TrimSuffix(word, "{"), true
		if rest != "" {
			p.errorf(first.n, "unexpected %s after {", Excerpt(rest))
			rest = ""
		}
	}
	if strings.HasSuffix(rest, "{") {
		rest, open = strings.TrimSpace(strings.TrimSuffix(rest, "{")), true
	}
	behavior, err := CanonBehavior(word)
	if err != nil {
		p.errorf(first.n, "%v", err)
	}
	used := 1
	if !open && len(body) > 1 && body[1].text == "{" {
		open, used = true, 2
	}
	if !open {
		return behavior, rest, nil, used
	}
	params := Params{}
	seen := map[string]int{}
	for ; used < len(body); used++ {
		l := body[used]
		if l.text == "}" {
			return behavior, rest, params, used + 1
		}
		k, v, ok := strings.Cut(l.text, "=")
		if !ok {
			p.errorf(l.n, "expected key = value or }, got %s", Excerpt(l.text))
			continue
		}
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, `"`) {
			if len(v) < 2 || !strings.HasSuffix(v, `"`) {
				p.errorf(l.n, "unterminated string %s", ExcerptBare(v))
				continue
			}
			v = v[1 : len(v)-1]
		}
		ck, cv, err := HATParams.Canon(strings.TrimSpace(k), v)
		if err != nil {
			p.errorf(l.n, "%v", err)
			continue
		}
		if prev, dup := seen[ck]; dup {
			p.errorf(l.n, "%s set twice (first on line %d)", ck, prev)
			continue
		}
		seen[ck] = l.n
		params[ck] = cv
	}
	p.errorf(body[len(body)-1].n, "missing } to close the parameter block")
	return behavior, rest, params, used
}

// parseRow reads a sender group's (or ALL's) body: one policy line
// ("$POLICY (comment)" or an inline behaviour) and member lines.
func (p *hatParser) parseRow(row hatRow, body []textLine) {
	for i := 0; i < len(body); i++ {
		l := body[i]
		word, rest, _ := strings.Cut(l.text, " ")
		word = strings.TrimSuffix(word, "{")
		_, berr := CanonBehavior(word)
		switch {
		case strings.HasPrefix(l.text, "$") || berr == nil:
			if row.policyLine != 0 {
				p.errorf(l.n, "sender group %s already has a policy (line %d)", ExcerptBare(row.group.Name), row.policyLine)
			}
			row.policyLine = l.n
			if strings.HasPrefix(l.text, "$") {
				row.group.Policy = word
				rest = strings.TrimSpace(rest)
			} else {
				behavior, r, params, used := p.behaviorBlock(body[i:])
				i += used - 1
				pol := FlowPolicy{Name: fmt.Sprintf("$ADHOC_%d", l.n), Behavior: behavior, Params: params}
				p.adhoc[l.n] = true
				p.policies = append(p.policies, hatPolicy{p: pol, line: l.n})
				row.group.Policy = pol.Name
				rest = r
			}
			if rest != "" {
				if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
					p.errorf(l.n, "expected a (comment) after the policy, got %s", Excerpt(rest))
				} else {
					row.group.Comment = strings.TrimSpace(rest[1 : len(rest)-1])
				}
			}
		case row.all:
			p.errorf(l.n, "the ALL row takes only a policy line, not members (%s)", Excerpt(l.text))
		default:
			row.group.Members = append(row.group.Members, p.members(l)...)
		}
	}
	if row.policyLine == 0 {
		p.errorf(row.line, "sender group %s has no policy line ($POLICY (comment))", ExcerptBare(row.group.Name))
	}
	p.rows = append(p.rows, row)
}

// build checks the names and references and assembles the HAT, giving
// generated names that collide a numeric suffix.
func (p *hatParser) build() HAT {
	taken := map[string]bool{}
	for _, hp := range p.policies {
		if !p.adhoc[hp.line] {
			taken[strings.ToLower(hp.p.Name)] = true
		}
	}
	for _, r := range p.rows {
		if !p.adhoc[r.line] {
			taken[strings.ToLower(r.group.Name)] = true
		}
	}
	rename := map[string]string{}
	unique := func(n string) string {
		base, i := n, 2
		for taken[strings.ToLower(n)] {
			n = fmt.Sprintf("%s_%d", base, i)
			i++
		}
		taken[strings.ToLower(n)] = true
		return n
	}
	var h HAT
	seenPol := map[string]int{}     // lower-case name -> line
	canonPol := map[string]string{} // lower-case name -> name as defined
	for _, hp := range p.policies {
		if p.adhoc[hp.line] {
			n := unique(hp.p.Name)
			rename[hp.p.Name] = n
			hp.p.Name = n
		}
		k := strings.ToLower(hp.p.Name)
		if prev, dup := seenPol[k]; dup {
			p.errorf(hp.line, "policy %s is defined twice (first on line %d)", ExcerptBare(hp.p.Name), prev)
			continue
		}
		seenPol[k] = hp.line
		canonPol[k] = hp.p.Name
		h.Policies = append(h.Policies, hp.p)
	}
	seenGroup := map[string]int{}
	allLine := 0
	for _, r := range p.rows {
		g := r.group
		if p.adhoc[r.line] {
			g.Name = unique(g.Name)
		}
		if n, ok := rename[g.Policy]; ok && p.adhoc[r.policyLine] {
			g.Policy = n
		}
		if allLine != 0 {
			p.errorf(r.line, "sender group %s follows ALL: ALL must be the last row", ExcerptBare(g.Name))
		}
		if r.all {
			allLine = r.line
		}
		k := strings.ToLower(g.Name)
		if prev, dup := seenGroup[k]; dup && !r.all {
			p.errorf(r.line, "sender group %s is defined twice (first on line %d)", ExcerptBare(g.Name), prev)
			continue
		}
		seenGroup[k] = r.line
		if r.policyLine != 0 && g.Policy != "" {
			if n, ok := canonPol[strings.ToLower(g.Policy)]; ok {
				g.Policy = n
			} else {
				p.errorf(r.policyLine, "unknown policy %s (defined policies: %s)", ExcerptBare(g.Policy), policyNames(h.Policies))
			}
		}
		seenMember := map[string]bool{}
		var members []string
		for _, m := range g.Members {
			if seenMember[m] {
				p.errorf(r.line, "sender group %s lists %s twice", ExcerptBare(g.Name), ExcerptBare(m))
				continue
			}
			seenMember[m] = true
			members = append(members, m)
		}
		g.Members = members
		h.SenderGroups = append(h.SenderGroups, g)
	}
	if allLine == 0 {
		p.errorf(max(p.lastLine, 1), "the table has no ALL row: it must end with ALL and its policy")
	}
	return h
}

// policyNames lists the defined policies for a message: a few, each
// excerpted (they come from the file).
func policyNames(ps []FlowPolicy) string {
	const most = 5
	if len(ps) == 0 {
		return "none"
	}
	var n []string
	for i, p := range ps {
		if i == most {
			n = append(n, fmt.Sprintf("and %d more", len(ps)-most))
			break
		}
		n = append(n, ExcerptBare(p.Name))
	}
	return strings.Join(n, ", ")
}
