package store

import (
	"reflect"
	"strings"
	"testing"
)

func TestValidateDMARC(t *testing.T) {
	ok := testConfig()
	ok.DMARC = DMARC{
		Profiles:   []DMARCProfile{{Name: "strict", RejectAction: "reject", QuarantineAction: "none", Code: 451, Text: "try later"}},
		ReportFrom: "dmarc@example.com", OrgName: "Example Org", ReportTime: "23:59",
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid dmarcconfig refused: %v", err)
	}
	for _, c := range []struct {
		edit func(*DMARC)
		want string
	}{
		{func(d *DMARC) { d.Profiles[0].RejectAction = "drop" }, "the action for p=reject must be reject, quarantine or none"},
		{func(d *DMARC) { d.Profiles[0].QuarantineAction = "reject" }, "the action for p=quarantine must be quarantine or none"},
		{func(d *DMARC) { d.Profiles[0].Code = 250 }, "the rejection code 250 is not a 4xx or 5xx"},
		{func(d *DMARC) { d.Profiles[0].Code = 600 }, "the rejection code 600"},
		{func(d *DMARC) { d.Profiles[0].Text = "a\r\nb" }, "the rejection text must be one line"},
		{func(d *DMARC) { d.Profiles[0].Text = "" }, "the rejection text must be one line"},
		{func(d *DMARC) { d.Profiles[0].Name = "1x" }, "dmarc profile \"1x\": a profile name is"},
		{func(d *DMARC) { d.Profiles = append(d.Profiles, d.Profiles[0]); d.Profiles[1].Name = "STRICT" }, "the name is used twice"},
		{func(d *DMARC) { d.ReportFrom = "not an address" }, "dmarc setup: report-from: \"not an address\" is not a valid email address"},
		{func(d *DMARC) { d.ReportFrom = "a@" }, "report-from"},
		{func(d *DMARC) { d.OrgName = "two\nlines" }, "dmarc setup: org-name"},
		{func(d *DMARC) { d.ReportTime = "24:00" }, "dmarc setup: report-time: \"24:00\" is not a time of day"},
		{func(d *DMARC) { d.ReportTime = "7:05" }, "report-time"},
		{func(d *DMARC) { d.ReportTime = "07:60" }, "report-time"},
		{func(d *DMARC) { d.ReportTime = "+1:00" }, "report-time"},
	} {
		cfg := ok.Clone()
		c.edit(&cfg.DMARC)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate = %v, want %q", err, c.want)
		}
	}
}

func TestParseReportTime(t *testing.T) {
	h, m, err := ParseReportTime("07:30")
	if err != nil || h != 7 || m != 30 {
		t.Fatalf("ParseReportTime(07:30) = %d, %d, %v", h, m, err)
	}
	var d DMARC
	if d.ReportTimeOrDefault() != "00:00" {
		t.Fatalf("default report time %q", d.ReportTimeOrDefault())
	}
}

func TestDMARCProfileUsers(t *testing.T) {
	cfg := testConfig()
	cfg.Listeners[0].HAT.Policies = append(cfg.Listeners[0].HAT.Policies, FlowPolicy{Name: "$P", Behavior: BehaviorAccept, Params: Params{"dmarc_profile": "Strict"}})
	got := cfg.DMARCProfileUsers("strict")
	if want := []string{"listener IncomingMail policy $P"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("users = %v, want %v", got, want)
	}
	if got := cfg.DMARCProfileUsers("other"); got != nil {
		t.Fatalf("users of an unused profile = %v", got)
	}
}

func TestChangesAndMergeDMARC(t *testing.T) {
	base := testConfig()
	base.DMARC.Profiles = []DMARCProfile{{Name: "a", RejectAction: "reject", QuarantineAction: "none", Code: 550, Text: "x"}}
	mine, theirs := base.Clone(), base.Clone()
	mine.DMARC.ReportFrom = "r@example.com"
	mine.DMARC.Profiles = append(mine.DMARC.Profiles, DMARCProfile{Name: "b", RejectAction: "none", QuarantineAction: "none", Code: 550, Text: "x"})
	theirs.DMARC.Profiles[0].Code = 551
	if got, want := Changes(base, mine), []Change{{"dmarc profile b", ChangeAdded}, {"dmarc setup", ChangeModified}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Changes = %v, want %v", got, want)
	}
	got, conflicts := Merge(base, mine, theirs)
	if len(conflicts) != 0 {
		t.Fatalf("conflicts = %v", conflicts)
	}
	if got.DMARC.ReportFrom != "r@example.com" || len(got.DMARC.Profiles) != 2 || got.DMARC.Profiles[0].Code != 551 {
		t.Fatalf("merged DMARC = %+v", got.DMARC)
	}
	// Both change the setup: a conflict on that object.
	theirs.DMARC.ReportFrom = "t@example.com"
	if _, conflicts := Merge(base, mine, theirs); !reflect.DeepEqual(conflicts, []string{"dmarc setup"}) {
		t.Fatalf("conflicts = %v, want [dmarc setup]", conflicts)
	}
}
