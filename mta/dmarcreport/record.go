// Package dmarcreport collects the DMARC evaluations of received mail
// and sends the aggregate reports of RFC 7489 section 7.2 (appendix C
// XML, gzip) once a day to each reporting domain's rua addresses,
// through the queue (SPEC 12).
package dmarcreport

import "time"

// Record is one message's DMARC evaluation: one row of an aggregate
// report (RFC 7489 appendix C, "RecordType"). The inbound side
// (mta/smtpd) makes it when a policy has dmarc_send_reports on and the
// From: domain publishes a DMARC record.
type Record struct {
	Time time.Time // when the message was received
	MID  int64

	// PolicyDomain is the domain whose _dmarc record applied (the From:
	// domain or its organizational domain): the report is about it.
	PolicyDomain string
	// RUA are the record's rua= URIs as published ("mailto:a@b.example!10m").
	RUA []string
	// Published is the policy as published (RFC 7489 "PolicyPublishedType").
	Published Published

	SourceIP     string // the connecting client
	HeaderFrom   string // the From: domain
	EnvelopeFrom string // the MAIL FROM domain ("" for <>; the HELO name is then the SPF domain)

	// Disposition is what seg did: "none", "quarantine" or "reject".
	Disposition string
	// DKIMAligned and SPFAligned are the policy_evaluated results: an
	// aligned identifier passed.
	DKIMAligned, SPFAligned bool

	DKIM []DKIMResult // one per signature evaluated
	SPF  SPFResult
}

// Published is a DMARC record's policy (RFC 7489 section 6.3).
type Published struct {
	Domain string
	ADKIM  string // "r" or "s"
	ASPF   string // "r" or "s"
	P      string // none, quarantine, reject
	SP     string // "" when absent
	Pct    int    // 100 when absent
	FO     string // the fo= failure reporting options; "" when absent (RFC 7489 default "0")
}

// DKIMResult is one signature's result (RFC 7489 "DKIMAuthResultType").
type DKIMResult struct {
	Domain   string
	Selector string
	Result   string // none, pass, fail, policy, neutral, temperror, permerror
}

// SPFResult is the SPF result (RFC 7489 "SPFAuthResultType").
type SPFResult struct {
	Domain string
	Scope  string // "mfrom" or "helo"
	Result string // none, neutral, pass, fail, softfail, temperror, permerror
}
