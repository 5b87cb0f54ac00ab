package store

// DMARC is dmarcconfig (SPEC 12): the verification profiles a HAT policy
// names in dmarc_profile, and the aggregate reports' settings.
type DMARC struct {
	// Profiles are the profiles besides DEFAULT, which is built in
	// (DefaultDMARCProfile) and may be overridden by one of that name.
	Profiles []DMARCProfile `json:"profiles,omitempty"`

	// Aggregate reports (RFC 7489 section 7.2), sent when a policy has
	// dmarc_send_reports on: the From: address of the reports, the
	// org_name they carry, and the time of day (UTC, "HH:MM") they go out.
	ReportFrom string `json:"report_from,omitempty"`
	OrgName    string `json:"org_name,omitempty"`
	ReportTime string `json:"report_time,omitempty"`
}

// DMARC profile actions.
const (
	DMARCActionNone       = "none"
	DMARCActionQuarantine = "quarantine"
	DMARCActionReject     = "reject"
)

// DMARCProfile is what seg does with mail that fails DMARC under the
// domain's published policy (RFC 7489 section 6.3 "p"): RejectAction for
// p=reject (reject, quarantine or none), QuarantineAction for
// p=quarantine (quarantine or none). Quarantine delivers the message with
// an X-DMARC-Quarantine: yes header: seg has no quarantine store. Code
// and Text are the reply of a rejection.
type DMARCProfile struct {
	Name             string `json:"name"`
	RejectAction     string `json:"reject_action"`
	QuarantineAction string `json:"quarantine_action"`
	Code             int    `json:"code"`
	Text             string `json:"text"`
}

// DefaultDMARCProfile is the DEFAULT profile: it does what the domain's
// policy asks, with AsyncOS's rejection reply.
var DefaultDMARCProfile = DMARCProfile{
	Name:             "DEFAULT",
	RejectAction:     DMARCActionReject,
	QuarantineAction: DMARCActionQuarantine,
	Code:             550,
	Text:             "#5.7.1 DMARC unauthenticated mail is prohibited",
}

// Profile returns the named profile (case-insensitive), DEFAULT when the
// name is DEFAULT and no stored profile overrides it; ok is false when
// there is no such profile.
func (d *DMARC) Profile(name string) (DMARCProfile, bool) {
	for _, p := range d.Profiles {
		if equalFold(p.Name, name) {
			return p, true
		}
	}
	if equalFold(name, DefaultDMARCProfile.Name) {
		return DefaultDMARCProfile, true
	}
	return DMARCProfile{}, false
}
