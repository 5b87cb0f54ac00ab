package configcmd

import (
	"strings"
	"testing"
)

func TestDmarcconfigBatch(t *testing.T) {
	b := newBatch(t)
	if got := b.ok("dmarcconfig print"); !strings.Contains(got, "DEFAULT  reject    quarantine    550") || !strings.Contains(got, "not set: no aggregate reports are sent") {
		t.Errorf("print: %q", got)
	}
	b.ok("dmarcconfig profile new strict --reject-action quarantine --quarantine-action none --code 451 --text 'try later'")
	p, ok := b.cfg().DMARC.Profile("STRICT")
	if !ok || p.RejectAction != "quarantine" || p.QuarantineAction != "none" || p.Code != 451 || p.Text != "try later" {
		t.Fatalf("strict = %+v", p)
	}
	b.ok("dmarcconfig profile new loose --reject-action none --quarantine-action none")
	if p, _ := b.cfg().DMARC.Profile("loose"); p.Code != 550 || p.Text != "#5.7.1 DMARC unauthenticated mail is prohibited" {
		t.Errorf("loose takes DEFAULT's reply: %+v", p)
	}
	b.ok("dmarcconfig profile edit DEFAULT --reject-action quarantine")
	if p, _ := b.cfg().DMARC.Profile("DEFAULT"); p.RejectAction != "quarantine" || p.QuarantineAction != "quarantine" {
		t.Errorf("DEFAULT after edit = %+v", p)
	}
	b.ok("dmarcconfig setup --report-from dmarc@example.com --org-name 'Example Org'")
	if d := b.cfg().DMARC; d.ReportFrom != "dmarc@example.com" || d.OrgName != "Example Org" || d.ReportTimeOrDefault() != "00:00" {
		t.Errorf("setup = %+v", d)
	}
	b.ok("dmarcconfig setup --report-from dmarc@example.com --org-name Ex --report-time 06:30")
	// Left out, the report time stays.
	b.ok("dmarcconfig setup --report-from r@example.com --org-name Ex")
	if d := b.cfg().DMARC; d.ReportTime != "06:30" || d.ReportFrom != "r@example.com" {
		t.Errorf("setup without --report-time = %+v", d)
	}
	b.commit()
	b.fail("dmarcconfig profile new Strict --reject-action reject --quarantine-action none", "A DMARC verification profile named Strict already exists.")
	b.fail("dmarcconfig profile new x --reject-action drop --quarantine-action none", "the action for p=reject must be reject, quarantine or none")
	b.fail("dmarcconfig profile new x --reject-action reject --quarantine-action reject", "the action for p=quarantine must be quarantine or none")
	b.fail("dmarcconfig profile new x --reject-action reject --quarantine-action none --code 250", "not a 4xx or 5xx SMTP code")
	b.fail("dmarcconfig profile new x --reject-action reject --quarantine-action none --code x", "--code must be an SMTP code")
	b.fail("dmarcconfig profile new x --reject-action reject", "Usage: dmarcconfig profile new")
	b.fail("dmarcconfig profile new 1x --reject-action reject --quarantine-action none", "not a valid profile name")
	b.fail("dmarcconfig profile edit nope --code 550", "No DMARC verification profile named nope.")
	b.fail("dmarcconfig profile edit strict", "Usage: dmarcconfig profile edit")
	b.fail("dmarcconfig profile delete DEFAULT", "The DEFAULT profile cannot be deleted")
	b.fail("dmarcconfig profile delete nope", "No DMARC verification profile named nope.")
	b.fail("dmarcconfig setup --report-from nobody --org-name O", "--report-from: \"nobody\" is not a valid email address")
	b.fail("dmarcconfig setup --report-from a@b.test --org-name O --report-time 25:00", "--report-time: \"25:00\" is not a time of day")
	b.fail("dmarcconfig setup --report-from a@b.test", "Usage: dmarcconfig setup")
	b.fail("dmarcconfig report", "The mail system is not running.")
	b.fail("dmarcconfig bogus", "Unknown dmarcconfig operation \"bogus\"")
	// A profile a mail flow policy names cannot be deleted.
	// (listenerconfig is not in this package: the candidate is edited
	// as its hostaccess edit policy --dmarc_profile=strict would.)
	b.ok("dmarcconfig profile edit strict --code 452")
	pol := &b.cfg().Listeners[0].HAT.Policies[0]
	pol.Params = pol.Params.Overlay(map[string]string{"dmarc_profile": "strict"})
	polName := pol.Name
	b.fail("dmarcconfig profile delete strict", "The profile strict is in use (dmarc_profile of listener IncomingMail policy "+polName+")")
	b.ok("dmarcconfig profile delete loose")
	if _, ok := b.cfg().DMARC.Profile("loose"); ok {
		t.Error("loose still there after delete")
	}
	cmd := dmarcconfigCommand()
	if got := cmd.Complete(b.ctx(), []string{"profile", "delete", ""}); !contains(got, "strict") || !contains(got, "DEFAULT") {
		t.Errorf("completion: %v", got)
	}
	b.commit()
}

func TestDmarcconfigTranscript(t *testing.T) {
	transcript(t, "dmarcconfig.txt")
}
