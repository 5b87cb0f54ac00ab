package store

import (
	"strings"
	"time"
)

// The typed form of the parameters the MTA acts on. Params maps stay the
// stored form (config.db); these structs are derived from validated
// Params, once per snapshot, and the MTA reads their fields, never a
// parameter by its name. A parameter seg enforces is a tagged field of
// one of them; one it does not is marked Inert in its table
// (settings_test.go checks both).

// FlowSettings are the mail flow policy parameters smtpd applies (SPEC
// 4.2): a policy's values, the listener defaults under its overrides.
type FlowSettings struct {
	MaxMessageSize      int64  `param:"max_message_size"`     // bytes
	MaxConcurrency      int64  `param:"max_concurrency"`      // connections from one IP
	MaxMsgsPerSession   int64  `param:"max_msgs_per_session"` // messages per connection
	MaxRcptsPerMsg      int64  `param:"max_rcpts_per_msg"`
	BannerCode          int    `param:"smtp_banner_code"`
	BannerText          string `param:"smtp_banner_text"` // "": "$Hostname ESMTP"
	UseOverrideHostname bool   `param:"use_override_hostname"`
	OverrideHostname    string `param:"override_hostname"`
	RejectCode          int    `param:"reject_banner_code"`
	RejectText          string `param:"reject_banner_text"`
	// UseSB off: the client has no reputation score (SPEC 10) and the
	// HAT log line says "SBRS not enabled".
	UseSB bool `param:"use_sb"`
	// TLS is "off", "preferred" or "required" (SPEC 10); TLSVerifyClient
	// asks the client for a certificate and refuses an invalid one.
	TLS             string `param:"tls"`
	TLSVerifyClient bool   `param:"tls_verify_client"`
	// Rate limits and directory harvest prevention (SPEC 10): counted by
	// mta/ratelimit across listeners and commits.
	MaxRcptsPerHour      int64    `param:"max_rcpts_per_hour"` // -1: unlimited
	MaxRcptsPerHourCode  int      `param:"max_rcpts_per_hour_code"`
	MaxRcptsPerHourText  string   `param:"max_rcpts_per_hour_text"`
	SigBits              int      `param:"sig_bits"`            // with UseSB off: counter per CIDR block
	SenderRateLimit      int64    `param:"sender_rate_limit"`   // -1: unlimited
	SenderRateMinutes    int64    `param:"sender_rate_minutes"` // the window
	SenderRateCode       int      `param:"sender_rate_code"`
	SenderRateText       string   `param:"sender_rate_text"`
	SenderRateExceptions []string `param:"sender_rate_exceptions"` // address list names
	DHAPLimit            int64    `param:"dhap_limit"`             // 0: off
	DHAPDrop             bool     `param:"dhap_drop"`
	DHAPCode             int      `param:"dhap_code"`
	DHAPText             string   `param:"dhap_text"`
	// SMTP AUTH (SPEC 10, RFC 4954): mta/smtpd/auth.go.
	SMTPAuthAllow      string `param:"smtpauth_allow"` // off, on, required
	SMTPAuthRequireTLS bool   `param:"smtpauth_requiretls"`
	SMTPAuthRelay      bool   `param:"smtpauth_relay"`
	// AcceptUntaggedBounces lets a <> message to an untagged recipient in
	// when bounce verification keys exist (SPEC 10).
	AcceptUntaggedBounces bool `param:"accept_untagged_bounces"`
	// Envelope sender verification (SPEC 10; mta/smtpd/senderverify.go).
	SenderVerify        bool   `param:"sender_verification"`
	SenderMalformedCode int    `param:"sender_malformed_code"`
	SenderMalformedText string `param:"sender_malformed_text"`
	SenderNXDomainCode  int    `param:"sender_nxdomain_code"`
	SenderNXDomainText  string `param:"sender_nxdomain_text"`
	SenderTempfailCode  int    `param:"sender_tempfail_code"`
	SenderTempfailText  string `param:"sender_tempfail_text"`
	UseSenderExceptions bool   `param:"sender_verification_exceptions"`
	// SPF/SIDF verification (SPEC 12; mta/smtpd/spf.go, mta/spf).
	SPF             bool   `param:"spf"`
	SPFConformance  string `param:"spf_conformance"` // SPFOnly, SIDFStrict, SIDFCompatible
	SPFDowngradePRA bool   `param:"spf_downgrade_pra"`
	SPFHELOTest     bool   `param:"spf_helo_test"`
	SPFFailAction   string `param:"spf_fail_action"` // "accept", SPFFailReject
	// DKIMSigning signs mail relayed under the policy with the domainkeys
	// profile of its From: address (SPEC 12; mta/smtpd/dkimsign.go).
	DKIMSigning bool `param:"dkim_signing"`
	// DKIM verification and DMARC (SPEC 12; mta/smtpd/dkimverify.go,
	// dmarc.go). DMARCProfile names a dmarcconfig profile (DMARC.Profile);
	// DMARCSendReports hands each evaluation to the aggregate reports.
	DKIMVerify       bool   `param:"dkim_verification"`
	DMARCVerify      bool   `param:"dmarc_verification"`
	DMARCProfile     string `param:"dmarc_profile"`
	DMARCSendReports bool   `param:"dmarc_send_reports"`
}

// The values of spf_conformance and spf_fail_action the MTA tells apart.
const (
	SPFOnly        = "spf"
	SIDFStrict     = "sidf"
	SIDFCompatible = "sidf_compatible"
	SPFFailReject  = "reject"
)

// DestControls are the destconfig parameters delivery applies (SPEC 5)
// for one destination: its entry over DEFAULT.
type DestControls struct {
	IPSortPref               string `param:"ip_sort_pref"`
	MaxHostConcurrency       int    `param:"max_host_concurrency"`
	MaxMessagesPerConnection int    `param:"max_messages_per_connection"`
	UseTLS                   string `param:"use_tls"`        // off, on, required, on_verify, require_verify
	DANE                     string `param:"dane"`           // off, opportunistic, mandatory (RFC 7672)
	BounceProfile            string `param:"bounce_profile"` // as written; BounceSettings resolves it
	// BounceValidation tags the envelope sender of mail to the
	// destination with bvconfig's newest key (BATV prvs=, SPEC 11), so
	// that a bounce coming back can be told from backscatter.
	BounceValidation bool `param:"bounce_validation"`
	// LimitType "MXIP" applies MaxHostConcurrency and the recipient
	// limit to each mail exchanger IP address, "host" to the whole
	// destination (SPEC 11).
	LimitType string `param:"limit_type"`
	// LimitApply "VG" counts the limits per source address (SourceIP),
	// "system" over all of them.
	LimitApply string `param:"limit_apply"`
	// RecipientLimit recipients (0: no limit) in any window of
	// RecipientMinutes minutes.
	RecipientLimit   int `param:"recipient_limit"`
	RecipientMinutes int `param:"recipient_minutes"`
	// SourceIP are the local addresses outbound connections are bound
	// to, in canonical text (CheckSourceIP); empty: the system chooses.
	SourceIP []string `param:"source_ip"`
}

// BounceSettings are a bounce profile's parameters that delivery applies
// (SPEC 5): the profile's overrides over Default.
type BounceSettings struct {
	// Profile is the name of the profile the values come from: "Default"
	// for a name that does not exist.
	Profile          string
	MaxRetries       int           `param:"max_retries"`
	MaxQueueLifetime time.Duration `param:"max_queue_lifetime"`
	InitialRetry     time.Duration `param:"initial_retry"`
	MaxRetryTimeout  time.Duration `param:"max_retry_timeout"`
	SendBounces      bool          `param:"send_bounces"`
	BounceSubject    string        `param:"bounce_subject"`
	BounceAddress    string        `param:"bounce_address"` // "": the envelope sender
	// UseDSNFormat off sends bounces as one plain-text message, for
	// senders whose software cannot read RFC 3464 reports.
	UseDSNFormat bool `param:"use_dsn_bounce_format"`
	// SendWarnings sends the sender a delay warning (an RFC 3464
	// "delayed" DSN) about recipients still queued after a soft failure:
	// at most WarningsCount per recipient, WarningsInterval after arrival
	// and after the previous one.
	SendWarnings     bool          `param:"send_warnings"`
	WarningsCount    int           `param:"send_warnings_count"`
	WarningsInterval time.Duration `param:"send_warnings_interval"`
}

// The field maps, made when the package loads (paramfields.go).
var (
	flowFields   = mapFields(&FlowSettings{}, HATParams)
	destFields   = mapFields(&DestControls{}, DestParams)
	bounceFields = mapFields(&BounceSettings{}, BounceParams)
)

// DecodeFlowSettings decodes complete mail flow policy parameters.
func DecodeFlowSettings(p Params) FlowSettings {
	var f FlowSettings
	flowFields.decode(&f, p)
	return f
}

// FlowSettings returns the settings of a policy of h (nil: the listener
// defaults alone). smtpd calls it when it compiles a listener's HAT for
// a new snapshot.
func (h *HAT) FlowSettings(p *FlowPolicy) FlowSettings {
	var f FlowSettings
	if p == nil {
		flowFields.decode(&f, h.Defaults)
	} else {
		flowFields.decode(&f, p.Params, h.Defaults)
	}
	return f
}

// decodedParams is a snapshot's destination controls and bounce
// profiles in typed form, keyed by lower-case domain and profile name.
type decodedParams struct {
	destDefault   DestControls
	dests         map[string]DestControls
	bounceDefault BounceSettings
	bounce        map[string]BounceSettings
}

// decodeParams gives a snapshot its typed view. The store calls it once
// for each snapshot it hands out (newCore, Commit); the snapshot is
// immutable, so the view never goes stale. A Config that is not a
// snapshot (a candidate, a tree built by a test) has none, and its
// accessors decode on each call.
func (c *Config) decodeParams() {
	d := &decodedParams{
		dests:  make(map[string]DestControls, len(c.Destinations)),
		bounce: make(map[string]BounceSettings, len(c.Bounce)),
	}
	d.destDefault = decodeDest(c.DestDefault, nil)
	d.bounceDefault = c.decodeBounce("")
	for _, e := range c.Destinations {
		if k := lowerASCII(e.Domain); !hasKey(d.dests, k) {
			d.dests[k] = decodeDest(c.DestDefault, e.Params)
		}
	}
	for _, b := range c.Bounce {
		if k := lowerASCII(b.Name); !hasKey(d.bounce, k) {
			d.bounce[k] = c.decodeBounce(b.Name)
		}
	}
	c.decoded = d
}

func hasKey[V any](m map[string]V, k string) bool { _, ok := m[k]; return ok }

// decodeDest decodes an entry's own parameters over DEFAULT's.
func decodeDest(def, own Params) DestControls {
	var d DestControls
	destFields.decode(&d, own, def)
	return d
}

// decodeBounce decodes a profile's overrides over Default's; a name that
// names no profile gives Default's.
func (c *Config) decodeBounce(name string) BounceSettings {
	b := BounceSettings{Profile: "Default"}
	var own, def Params
	if p := c.BounceProfile("Default"); p != nil {
		def = p.Params
	}
	if p := c.BounceProfile(name); p != nil {
		b.Profile, own = p.Name, p.Params
	}
	bounceFields.decode(&b, own, def)
	return b
}

// DestControls returns the destination controls of a domain: its
// destconfig entry over DEFAULT, or DEFAULT's.
func (c *Config) DestControls(domain string) DestControls {
	if d := c.decoded; d != nil {
		if v, ok := d.dests[lowerASCII(domain)]; ok {
			return v
		}
		return d.destDefault
	}
	var own Params
	if e := c.Destination(domain); e != nil {
		own = e.Params
	}
	return decodeDest(c.DestDefault, own)
}

// BounceSettings returns a bounce profile's settings; a name that names
// no profile ("" included) gives Default's.
func (c *Config) BounceSettings(name string) BounceSettings {
	if d := c.decoded; d != nil {
		if v, ok := d.bounce[lowerASCII(name)]; ok {
			return v
		}
		return d.bounceDefault
	}
	return c.decodeBounce(name)
}

// lowerASCII lowers ASCII letters only, as equalFold compares.
func lowerASCII(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
		return s
	}
	b := []byte(s)
	for i, x := range b {
		if 'A' <= x && x <= 'Z' {
			b[i] = x + 'a' - 'A'
		}
	}
	return string(b)
}
