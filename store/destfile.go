package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The destconfig import/export file (SPEC 5; AsyncOS User Guide, "Importing
// and Exporting Destination Control Configurations"): ini-like, a
// [DEFAULT] section (a parameter it leaves out takes its factory
// default: FillDestDefaults), then one [domain] section per entry holding only what
// that entry overrides. Keys are DestParams names; values are written in
// canonical form and read through DestParams' Canon, so AsyncOS's numeric
// spellings (limit_type = 0, use_tls = 2, ...) are accepted on import.
//
//	[DEFAULT]
//	ip_sort_pref = PREFER_V4
//	max_host_concurrency = 500
//	...
//
//	[example.com]
//	max_host_concurrency = 100
//	use_tls = required

// DestDefaultSection is the section name of destconfig's DEFAULT entry.
const DestDefaultSection = "DEFAULT"

// FillDestDefaults gives [DEFAULT] the factory default (DestParams) of
// every parameter it leaves out, and returns the names it filled, in
// DestParams order. AsyncOS's User Guide says every parameter but
// bounce_profile is required there, but exports from releases older
// than a parameter lack it (no dane line before DANE existed): such a
// file is taken, each missing key at its default, and the importer says
// which. bounce_profile is filled and not named: AsyncOS's export never
// writes it, and its default is the Default profile. The Optional
// parameters (the recipient limit, source_ip) stay absent: absent is
// their default.
func FillDestDefaults(def Params) []string {
	var filled []string
	for i := range DestParams.Specs {
		s := &DestParams.Specs[i]
		if s.Optional || def.Has(s.Name) {
			continue
		}
		def[s.Name] = s.Default
		if s.Name != "bounce_profile" {
			filled = append(filled, s.Name)
		}
	}
	return filled
}

// DestFileError lists every problem found in a destconfig file, each as
// "FILE:LINE: message".
type DestFileError struct {
	Problems []string
}

func (e *DestFileError) Error() string { return strings.Join(e.Problems, "\n") }

// FormatDestFile writes the DEFAULT parameters and the per-domain entries
// in the import/export format. Keys appear in DestParams order; the output
// reads back through ParseDestFile to the same values.
func FormatDestFile(def Params, dests []Destination) string {
	var b strings.Builder
	writeDestSection(&b, DestDefaultSection, def)
	for _, d := range dests {
		b.WriteString("\n")
		writeDestSection(&b, d.Domain, d.Params)
	}
	return b.String()
}

func writeDestSection(b *strings.Builder, name string, p Params) {
	fmt.Fprintf(b, "[%s]\n", name)
	known := map[string]bool{}
	for _, k := range DestParams.Names() {
		known[k] = true
		if v, ok := p[k]; ok {
			fmt.Fprintf(b, "%s = %s\n", k, v)
		}
	}
	// Keys outside the table are not expected; writing them keeps the
	// export honest, and import will name them.
	for _, k := range p.Keys() {
		if !known[k] {
			fmt.Fprintf(b, "%s = %s\n", k, p[k])
		}
	}
}

// maxDestLine bounds one line of an import file.
const maxDestLine = 64 << 10

// ParseDestFile reads a destconfig file. name is used in messages only.
// It reports the problems it finds (a *DestFileError), not just the
// first: MaxProblems of them, then how many more; on error the results
// are nil.
func ParseDestFile(name string, r io.Reader) (Params, []Destination, error) {
	return parseDestFile(name, r, MaxProblems)
}

// parseDestFile is ParseDestFile reporting up to limit problems in full.
func parseDestFile(name string, r io.Reader, limit int) (Params, []Destination, error) {
	p := &destParser{name: name, seen: map[string]bool{}, problems: Problems{Limit: limit}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxDestLine)
	for sc.Scan() {
		p.line++
		p.parseLine(sc.Text())
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			p.errorf(p.line+1, "line longer than %d bytes", maxDestLine)
		} else {
			p.errorf(p.line+1, "reading: %v", err)
		}
	}
	p.finish()
	if p.problems.Len() > 0 {
		return nil, nil, &DestFileError{Problems: p.problems.List()}
	}
	return p.def, p.dests, nil
}

type destSection struct {
	name   string // "" for DEFAULT
	line   int
	params Params
	lines  map[string]int // key -> line it was set on
}

type destParser struct {
	name     string
	line     int
	problems Problems
	cur      *destSection // nil before the first section and after a bad header
	sections []*destSection
	seen     map[string]bool // lower-case section names
	def      Params
	dests    []Destination
}

func (p *destParser) errorf(line int, format string, a ...any) {
	p.problems.Addf("%s:%d: %s", p.name, line, fmt.Sprintf(format, a...))
}

func (p *destParser) parseLine(raw string) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "" || s[0] == '#' || s[0] == ';':
		return
	case s[0] == '[':
		p.parseHeader(s)
		return
	}
	key, val, ok := strings.Cut(s, "=")
	if !ok {
		p.errorf(p.line, "expected [SECTION] or KEY = VALUE, got %s", Excerpt(s))
		return
	}
	key, val = strings.TrimSpace(key), strings.TrimSpace(val)
	if p.cur == nil {
		if len(p.sections) == 0 {
			p.errorf(p.line, "%s is outside a section: start with [DEFAULT]", Excerpt(key))
		}
		return // under a bad header: already reported
	}
	k, v, err := DestParams.Canon(key, val)
	if err != nil {
		p.errorf(p.line, "%v", err)
		return
	}
	if k == "bounce_profile" {
		if err := CheckBounceProfileName(v); err != nil {
			p.errorf(p.line, "bounce_profile: %v", err)
			return
		}
	}
	if first, dup := p.cur.lines[k]; dup {
		p.errorf(p.line, "%s is set twice in [%s] (first on line %d)", k, ExcerptBare(p.cur.display()), first)
		return
	}
	p.cur.params[k] = v
	p.cur.lines[k] = p.line
}

func (s *destSection) display() string {
	if s.name == "" {
		return DestDefaultSection
	}
	return s.name
}

func (p *destParser) parseHeader(s string) {
	p.cur = nil
	if !strings.HasSuffix(s, "]") {
		p.errorf(p.line, "section header %s has no closing ]", Excerpt(s))
		return
	}
	name := strings.TrimSpace(s[1 : len(s)-1])
	sec := &destSection{name: strings.ToLower(name), line: p.line, params: Params{}, lines: map[string]int{}}
	if strings.EqualFold(name, DestDefaultSection) {
		sec.name = ""
	} else if !ValidDomain(name) {
		p.errorf(p.line, "[%s]: not a valid domain (sections are [DEFAULT] and [example.com])", ExcerptBare(name))
		return
	}
	if p.seen[sec.name] {
		p.errorf(p.line, "section [%s] appears twice", ExcerptBare(sec.display()))
		return
	}
	p.seen[sec.name] = true
	p.sections = append(p.sections, sec)
	p.cur = sec
}

// finish checks what needs the whole file: a DEFAULT section, and
// recipient limits that have an interval to be measured over.
func (p *destParser) finish() {
	var def *destSection
	for _, s := range p.sections {
		if s.name == "" {
			def = s
		}
	}
	if def == nil {
		p.errorf(1, "no [DEFAULT] section: a destconfig file starts with [DEFAULT]")
		return
	}
	for _, s := range p.sections {
		if err := CheckRecipientLimit(s.params, def.params); err != nil {
			p.errorf(s.lines["recipient_limit"], "%v in [%s] or [DEFAULT]", err, ExcerptBare(s.display()))
		}
	}
	if p.problems.Len() > 0 {
		return
	}
	p.def = def.params
	p.dests = []Destination{}
	for _, s := range p.sections {
		if s.name != "" {
			p.dests = append(p.dests, Destination{Domain: s.name, Params: s.params})
		}
	}
}

// CheckBounceProfileName checks a bounce profile name as AsyncOS does: a
// letter or underscore, then letters, digits, '_', '-' or '.'.
func CheckBounceProfileName(name string) error {
	if name == "" {
		return errors.New("The bounce profile name must not be empty.")
	}
	if c := name[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return errors.New("The bounce profile name must start with a letter or underscore.")
	}
	if len(name) > 64 {
		return errors.New("The bounce profile name must be at most 64 characters long.")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("The bounce profile name may contain only letters, digits, '_', '-' and '.' (not %s).", Excerpt(string([]byte{c})))
		}
	}
	return nil
}
