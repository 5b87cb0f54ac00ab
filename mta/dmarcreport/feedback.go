package dmarcreport

import (
	"bytes"
	"encoding/xml"
	"net/netip"
	"slices"
	"strings"
)

// The aggregate report's XML (RFC 7489 section 7.2 and appendix C; the
// element order is the schema's, which is a sequence in places). No
// namespace: see testdata/README.md.

type feedback struct {
	XMLName  xml.Name        `xml:"feedback"`
	Metadata reportMetadata  `xml:"report_metadata"`
	Policy   policyPublished `xml:"policy_published"`
	Records  []xmlRecord     `xml:"record"`
}

type reportMetadata struct {
	OrgName  string    `xml:"org_name"`
	Email    string    `xml:"email"`
	ReportID string    `xml:"report_id"`
	Range    dateRange `xml:"date_range"`
}

type dateRange struct {
	Begin int64 `xml:"begin"`
	End   int64 `xml:"end"`
}

type policyPublished struct {
	Domain string `xml:"domain"`
	ADKIM  string `xml:"adkim"`
	ASPF   string `xml:"aspf"`
	P      string `xml:"p"`
	SP     string `xml:"sp"`
	Pct    int    `xml:"pct"`
	FO     string `xml:"fo"`
}

type xmlRecord struct {
	Row         row         `xml:"row"`
	Identifiers identifiers `xml:"identifiers"`
	AuthResults authResults `xml:"auth_results"`
}

type row struct {
	SourceIP  string          `xml:"source_ip"`
	Count     int             `xml:"count"`
	Evaluated policyEvaluated `xml:"policy_evaluated"`
}

type policyEvaluated struct {
	Disposition string `xml:"disposition"`
	DKIM        string `xml:"dkim"`
	SPF         string `xml:"spf"`
}

type identifiers struct {
	EnvelopeFrom string `xml:"envelope_from"`
	HeaderFrom   string `xml:"header_from"`
}

type authResults struct {
	DKIM []dkimResult `xml:"dkim"`
	SPF  []spfResult  `xml:"spf"`
}

type dkimResult struct {
	Domain   string `xml:"domain"`
	Selector string `xml:"selector,omitempty"`
	Result   string `xml:"result"`
}

type spfResult struct {
	Domain string `xml:"domain"`
	Scope  string `xml:"scope"`
	Result string `xml:"result"`
}

// Meta is a report's report_metadata.
type Meta struct {
	OrgName, Email, ReportID string
	Begin, End               int64 // seconds since the epoch, UTC
}

// group is one group of records: same source, disposition, results and
// identifiers, with its count.
type group struct {
	key string
	rec Record
	n   int
}

// groupRecords folds records that would give the same report row into
// one, counted, in the order of their first record.
func groupRecords(recs []Record) []group {
	var out []group
	at := map[string]int{}
	for _, r := range recs {
		k := rowKey(r)
		if i, ok := at[k]; ok {
			out[i].n++
			continue
		}
		at[k] = len(out)
		out = append(out, group{key: k, rec: r, n: 1})
	}
	return out
}

// rowKey is what makes two records one row: everything the row says.
func rowKey(r Record) string {
	var b strings.Builder
	w := func(s string) { b.WriteString(s); b.WriteByte(0) }
	w(sourceIP(r.SourceIP))
	w(disposition(r.Disposition))
	w(passFail(r.DKIMAligned))
	w(passFail(r.SPFAligned))
	w(strings.ToLower(r.HeaderFrom))
	w(strings.ToLower(r.EnvelopeFrom))
	for _, d := range r.DKIM {
		w(strings.ToLower(d.Domain))
		w(d.Selector)
		w(dkimWord(d.Result))
	}
	w("|")
	w(strings.ToLower(r.SPF.Domain))
	w(spfScope(r.SPF.Scope))
	w(spfWord(r.SPF.Result))
	return b.String()
}

// buildXML renders the aggregate report of records, all about one policy
// domain and its published policy p.
func buildXML(m Meta, p Published, recs []Record) ([]byte, error) {
	fb := feedback{
		Metadata: reportMetadata{OrgName: m.OrgName, Email: m.Email, ReportID: m.ReportID,
			Range: dateRange{Begin: m.Begin, End: m.End}},
		Policy: published(p),
	}
	for _, g := range groupRecords(recs) {
		r := g.rec
		x := xmlRecord{
			Row: row{SourceIP: sourceIP(r.SourceIP), Count: g.n, Evaluated: policyEvaluated{
				Disposition: disposition(r.Disposition), DKIM: passFail(r.DKIMAligned), SPF: passFail(r.SPFAligned)}},
			Identifiers: identifiers{EnvelopeFrom: strings.ToLower(r.EnvelopeFrom), HeaderFrom: strings.ToLower(r.HeaderFrom)},
		}
		for _, d := range r.DKIM {
			x.AuthResults.DKIM = append(x.AuthResults.DKIM, dkimResult{Domain: strings.ToLower(d.Domain), Selector: d.Selector, Result: dkimWord(d.Result)})
		}
		// "There will always be at least one SPF result" (appendix C).
		x.AuthResults.SPF = []spfResult{{Domain: strings.ToLower(r.SPF.Domain), Scope: spfScope(r.SPF.Scope), Result: spfWord(r.SPF.Result)}}
		fb.Records = append(fb.Records, x)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(fb); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// published is policy_published with RFC 7489 section 6.3's defaults for
// what the record left out: adkim and aspf "r", sp as p, fo "0".
func published(p Published) policyPublished {
	out := policyPublished{Domain: strings.ToLower(p.Domain), ADKIM: "r", ASPF: "r",
		P: disposition(p.P), Pct: p.Pct, FO: p.FO}
	if p.ADKIM == "s" {
		out.ADKIM = "s"
	}
	if p.ASPF == "s" {
		out.ASPF = "s"
	}
	out.SP = out.P
	if p.SP != "" {
		out.SP = disposition(p.SP)
	}
	if out.FO == "" {
		out.FO = "0"
	}
	return out
}

// sourceIP writes an IPv6 address in full: the schema's IPv6 pattern
// matches only eight groups of hex digits.
func sourceIP(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return s
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	return a.WithZone("").StringExpanded()
}

func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "fail"
}

// The words the schema allows; anything else from the verifier is
// reported as the nearest honest word.
var (
	dispositions = []string{"none", "quarantine", "reject"}
	dkimWords    = []string{"none", "pass", "fail", "policy", "neutral", "temperror", "permerror"}
	spfWords     = []string{"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"}
)

func disposition(s string) string { return word(s, dispositions, "none") }
func dkimWord(s string) string    { return word(s, dkimWords, "permerror") }
func spfWord(s string) string     { return word(s, spfWords, "permerror") }

func spfScope(s string) string {
	if strings.EqualFold(s, "helo") {
		return "helo"
	}
	return "mfrom"
}

func word(s string, allowed []string, other string) string {
	s = strings.ToLower(s)
	if slices.Contains(allowed, s) {
		return s
	}
	return other
}
