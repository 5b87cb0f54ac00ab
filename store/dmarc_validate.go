package store

import (
	"fmt"
	"strconv"
	"strings"

	"seg/internal/address"
)

// Limits of dmarcconfig's free text.
const (
	MaxDMARCText    = 200 // a rejection's reply text
	MaxDMARCOrgName = 200 // org_name of the reports
)

// DefaultDMARCReportTime is when the daily aggregate reports go out when
// setup never chose a time (UTC).
const DefaultDMARCReportTime = "00:00"

// ReportTimeOrDefault is the daily report time, "HH:MM" UTC.
func (d *DMARC) ReportTimeOrDefault() string {
	if d.ReportTime == "" {
		return DefaultDMARCReportTime
	}
	return d.ReportTime
}

// ParseReportTime reads "HH:MM" (00:00 to 23:59) as hours and minutes.
func ParseReportTime(s string) (h, m int, err error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, 0, fmt.Errorf("%s is not a time of day as HH:MM (00:00 to 23:59)", Excerpt(s))
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || hh[0] == '+' || mm[0] == '+' {
		return 0, 0, fmt.Errorf("%s is not a time of day as HH:MM (00:00 to 23:59)", Excerpt(s))
	}
	return h, m, nil
}

// CheckDMARCProfile checks one profile's fields (not its name's
// uniqueness): the actions each policy allows, a reply code 4xx or 5xx
// and a one-line text.
func CheckDMARCProfile(p DMARCProfile) error {
	switch p.RejectAction {
	case DMARCActionReject, DMARCActionQuarantine, DMARCActionNone:
	default:
		return fmt.Errorf("the action for p=reject must be reject, quarantine or none, not %s", Excerpt(p.RejectAction))
	}
	switch p.QuarantineAction {
	case DMARCActionQuarantine, DMARCActionNone:
	default:
		return fmt.Errorf("the action for p=quarantine must be quarantine or none, not %s", Excerpt(p.QuarantineAction))
	}
	if p.Code < 400 || p.Code > 599 {
		return fmt.Errorf("the rejection code %d is not a 4xx or 5xx SMTP code", p.Code)
	}
	if p.Text == "" || len(p.Text) > MaxDMARCText || strings.ContainsFunc(p.Text, isControl) {
		return fmt.Errorf("the rejection text must be one line of 1 to %d printable characters", MaxDMARCText)
	}
	return nil
}

// CheckReportFrom checks the From: address of the aggregate reports.
func CheckReportFrom(s string) error {
	if _, err := address.Parse(s); err != nil {
		return fmt.Errorf("%s is not a valid email address (%v)", Excerpt(s), err)
	}
	return nil
}

// CheckOrgName checks the org_name of the aggregate reports.
func CheckOrgName(s string) error {
	if strings.TrimSpace(s) == "" || len(s) > MaxDMARCOrgName || strings.ContainsFunc(s, isControl) {
		return fmt.Errorf("the organization name must be one line of 1 to %d printable characters", MaxDMARCOrgName)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// DMARCProfileUsers names the HAT policies (and listener default
// parameters) whose dmarc_profile names the profile: it cannot be
// deleted while they do.
func (c *Config) DMARCProfileUsers(name string) []string {
	var out []string
	for _, l := range c.Listeners {
		if v, ok := l.HAT.Defaults["dmarc_profile"]; ok && equalFold(v, name) {
			out = append(out, "listener "+l.Name+" default policy parameters")
		}
		for _, p := range l.HAT.Policies {
			if v, ok := p.Params["dmarc_profile"]; ok && equalFold(v, name) {
				out = append(out, "listener "+l.Name+" policy "+p.Name)
			}
		}
	}
	return out
}

func (c *Config) validateDMARC(p *problems) {
	d := &c.DMARC
	seen := map[string]bool{}
	for _, pr := range d.Profiles {
		obj := "dmarc profile " + Excerpt(pr.Name)
		if !ValidAddressListName(pr.Name) {
			p.add("%s: a profile name is letters, digits, '_' and '-', at most 64, starting with a letter", obj)
		}
		if k := lowerASCII(pr.Name); seen[k] {
			p.add("%s: the name is used twice", obj)
		} else {
			seen[k] = true
		}
		if err := CheckDMARCProfile(pr); err != nil {
			p.add("%s: %v", obj, err)
		}
	}
	if d.ReportFrom != "" {
		if err := CheckReportFrom(d.ReportFrom); err != nil {
			p.add("dmarc setup: report-from: %v", err)
		}
	}
	if d.OrgName != "" {
		if err := CheckOrgName(d.OrgName); err != nil {
			p.add("dmarc setup: org-name: %v", err)
		}
	}
	if d.ReportTime != "" {
		if _, _, err := ParseReportTime(d.ReportTime); err != nil {
			p.add("dmarc setup: report-time: %v", err)
		}
	}
}
