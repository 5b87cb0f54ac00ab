package store

// The parameter tables. Order is the order of HAT text output, of
// interactive prompts and of help text.

var onOff = KindOnOff

// HATParams are the mail flow policy parameters (SPEC 4.2). Aliases are
// AsyncOS's batch option names (max_size, max_conn, ...).
var HATParams = newTable("HAT", []ParamSpec{
	{Name: "max_message_size", Kind: KindSize, Min: 1024, Help: "maximum message size in bytes", Aliases: []string{"max_size"}},
	{Name: "max_concurrency", Kind: KindInt, Min: 1, Max: 1000, Help: "maximum concurrent connections from a single IP", Aliases: []string{"max_conn"}},
	{Name: "max_msgs_per_session", Kind: KindInt, Min: 1, Help: "maximum messages per connection", Aliases: []string{"max_msgs"}},
	{Name: "max_rcpts_per_msg", Kind: KindInt, Min: 1, Help: "maximum recipients per message", Aliases: []string{"max_rcpt"}},
	{Name: "smtp_banner_code", Kind: KindCode, Min: 200, Max: 299, Help: "SMTP greeting code (220 is the standard code)", Aliases: []string{"acc_code"}},
	{Name: "smtp_banner_text", Kind: KindString, Help: "SMTP greeting text ($Hostname, $RemoteIP, $RemoteHost); empty for \"HOSTNAME ESMTP\"", Aliases: []string{"cust_acc"}},
	{Name: "use_override_hostname", Kind: onOff, Help: "override the hostname in the SMTP banner"},
	{Name: "override_hostname", Kind: KindString, Help: "hostname to use in the SMTP banner", Aliases: []string{"override"}},
	{Name: "reject_banner_code", Kind: KindCode, Min: 400, Max: 599, Help: "SMTP rejection code (554 is the standard code)", Aliases: []string{"rej_code"}},
	{Name: "reject_banner_text", Kind: KindString, Help: "SMTP rejection text", Aliases: []string{"cust_rej"}},
	{Name: "max_rcpts_per_hour", Kind: KindInt, Min: -1, Help: "maximum recipients per hour from a remote host (-1 unlimited)", Aliases: []string{"rate_lim"}},
	{Name: "max_rcpts_per_hour_code", Kind: KindCode, Min: 400, Max: 599, Help: "reply code when the hourly limit is exceeded (452 is the standard code)", Aliases: []string{"lim_code"}},
	{Name: "max_rcpts_per_hour_text", Kind: KindString, Help: "reply text when the hourly limit is exceeded", Aliases: []string{"cust_lim"}},
	{Name: "sender_rate_limit", Kind: KindInt, Min: -1, Help: "maximum recipients per interval per envelope sender (-1 unlimited)"},
	{Name: "sender_rate_minutes", Kind: KindInt, Min: 1, Max: 1440, Help: "interval in minutes for envelope sender rate limiting"},
	{Name: "sender_rate_code", Kind: KindCode, Min: 400, Max: 599, Help: "reply code when the sender limit is exceeded"},
	{Name: "sender_rate_text", Kind: KindString, Help: "reply text when the sender limit is exceeded"},
	{Name: "sender_rate_exceptions", Kind: KindList, Help: "envelope senders exempt from sender rate limiting"},
	{Name: "use_sb", Kind: onOff, Help: "use SenderBase reputation (sbrs) for flow control"},
	{Name: "sig_bits", Kind: KindInt, Min: 0, Max: 32, Help: "significant bits of the client IP for rate counters (only with use_sb off)"},
	{Name: "dhap_limit", Kind: KindInt, Min: 0, Help: "maximum invalid recipients per hour from a remote host (0 off)", Aliases: []string{"dhap"}},
	{Name: "dhap_drop", Kind: onOff, Help: "drop the connection when the DHAP limit is exceeded"},
	{Name: "dhap_code", Kind: KindCode, Min: 400, Max: 599, Help: "reply code for DHAP (550 is the standard code)"},
	{Name: "dhap_text", Kind: KindString, Help: "reply text for DHAP"},
	{Name: "spam_check", Kind: onOff, Help: "anti-spam scanning (kept for compatibility: seg has no spam engine)", Aliases: []string{"as_scan"}},
	{Name: "virus_check", Kind: onOff, Help: "anti-virus scanning (kept for compatibility: seg has no virus engine)", Aliases: []string{"av_scan"}},
	{Name: "tls", Kind: KindEnum, Enum: []string{"off", "preferred", "required"}, EnumAlias: map[string]string{"no": "off", "on": "preferred", "yes": "preferred"}, Help: "STARTTLS: off, preferred or required"},
	{Name: "tls_verify_client", Kind: onOff, Help: "verify client certificates"},
	{Name: "smtpauth_allow", Kind: KindEnum, Enum: []string{"off", "on", "required"}, EnumAlias: map[string]string{"no": "off", "yes": "on"}, Help: "SMTP AUTH: off, on or required"},
	{Name: "smtpauth_requiretls", Kind: onOff, Help: "offer SMTP AUTH only after STARTTLS"},
	{Name: "spf", Kind: onOff, Help: "SPF/SIDF verification"},
	{Name: "spf_conformance", Kind: KindEnum, Enum: []string{"spf", "sidf", "sidf_compatible"}, Help: "SPF conformance level"},
	{Name: "spf_downgrade_pra", Kind: onOff, Help: "downgrade PRA verification result"},
	{Name: "spf_helo_test", Kind: onOff, Help: "perform the HELO identity check"},
	{Name: "dkim_verification", Kind: onOff, Help: "DKIM verification"},
	{Name: "dkim_signing", Kind: onOff, Help: "DKIM signing"},
	{Name: "dmarc_verification", Kind: onOff, Help: "DMARC verification"},
	{Name: "dmarc_profile", Kind: KindString, Help: "DMARC verification profile"},
	{Name: "dmarc_send_reports", Kind: onOff, Help: "send DMARC aggregate reports"},
	{Name: "sender_verification", Kind: onOff, Help: "envelope sender DNS verification"},
	{Name: "sender_malformed_code", Kind: KindCode, Min: 400, Max: 599, Help: "reply code for malformed envelope senders (553 is the standard code)"},
	{Name: "sender_nxdomain_code", Kind: KindCode, Min: 400, Max: 599, Help: "reply code for senders whose domain does not exist"},
	{Name: "sender_tempfail_code", Kind: KindCode, Min: 400, Max: 599, Help: "reply code for senders whose domain does not resolve temporarily"},
	{Name: "sender_verification_exceptions", Kind: KindList, Help: "domain exception table for sender verification"},
	{Name: "accept_untagged_bounces", Kind: onOff, Help: "accept untagged bounces (bounce verification)"},
})

// DestParams are the destconfig parameters (SPEC 5).
var DestParams = newTable("destconfig", []ParamSpec{
	{Name: "ip_sort_pref", Kind: KindEnum, Enum: []string{"PREFER_V4", "PREFER_V6", "REQUIRE_V4", "REQUIRE_V6"}, Help: "how to sort IP addresses within an MX preference level"},
	{Name: "max_host_concurrency", Kind: KindInt, Min: 1, Max: 1000, Help: "maximum concurrent connections to the destination"},
	{Name: "max_messages_per_connection", Kind: KindInt, Min: 1, Max: 1000, Help: "maximum messages per connection"},
	{Name: "recipient_minutes", Kind: KindInt, Min: 1, Max: 60, Help: "minutes over which the recipient limit is measured"},
	{Name: "recipient_limit", Kind: KindInt, Min: 0, Help: "maximum recipients per recipient_minutes (0 or absent: no limit)"},
	{Name: "limit_type", Kind: KindEnum, Enum: []string{"host", "MXIP"}, EnumAlias: map[string]string{"0": "host", "1": "MXIP", "domain": "host"}, Help: "host: one limit for the whole domain; MXIP: per mail exchanger IP"},
	{Name: "limit_apply", Kind: KindEnum, Enum: []string{"system", "VG"}, EnumAlias: map[string]string{"0": "system", "1": "VG"}, Help: "system: system wide; VG: per source interface"},
	{Name: "use_tls", Kind: KindEnum, Enum: []string{"off", "on", "required", "on_verify", "require_verify"}, EnumAlias: map[string]string{"0": "off", "1": "on", "2": "required", "3": "on_verify", "4": "require_verify", "no": "off", "preferred": "on", "require": "required"}, Help: "TLS: off, on (preferred), required, on_verify, require_verify"},
	{Name: "dane", Kind: KindEnum, Enum: []string{"off", "opportunistic", "mandatory"}, Help: "DANE support (not applied where an SMTP route exists)"},
	{Name: "bounce_validation", Kind: onOff, Help: "bounce verification address tagging"},
	{Name: "bounce_profile", Kind: KindString, Help: "bounce profile name"},
})

// BounceParams are the bounce profile parameters (SPEC 5).
var BounceParams = newTable("bounceconfig", []ParamSpec{
	{Name: "max_retries", Kind: KindInt, Min: 0, Max: 10000, Help: "maximum number of retries"},
	{Name: "max_queue_lifetime", Kind: KindDuration, Min: 0, Max: 30 * 86400, Help: "maximum time a message stays in the queue (seconds)"},
	{Name: "initial_retry", Kind: KindDuration, Min: 1, Max: 86400, Help: "initial seconds to wait before retrying"},
	{Name: "max_retry_timeout", Kind: KindDuration, Min: 1, Max: 86400, Help: "maximum seconds to wait before retrying"},
	{Name: "send_bounces", Kind: onOff, Help: "send a message for each hard bounce"},
	{Name: "use_dsn_bounce_format", Kind: onOff, Help: "use the RFC 3464 DSN message format"},
	{Name: "bounce_subject", Kind: KindString, Help: "subject of bounce messages"},
	{Name: "send_warnings", Kind: onOff, Help: "send delay warning messages"},
	{Name: "send_warnings_count", Kind: KindInt, Min: 1, Max: 100, Help: "maximum number of delay warnings per recipient"},
	{Name: "send_warnings_interval", Kind: KindDuration, Min: 60, Max: 30 * 86400, Help: "seconds between delay warnings"},
	{Name: "bounce_address", Kind: KindString, Help: "send bounces to this address instead of the sender (empty: the sender)"},
})

// DefaultHATParams is the public-listener default policy (SPEC 4.2).
func DefaultHATParams() Params {
	return Params{
		"max_message_size":               "10485760",
		"max_concurrency":                "10",
		"max_msgs_per_session":           "10",
		"max_rcpts_per_msg":              "50",
		"smtp_banner_code":               "220",
		"smtp_banner_text":               "",
		"use_override_hostname":          "off",
		"override_hostname":              "",
		"reject_banner_code":             "554",
		"reject_banner_text":             "Access denied",
		"max_rcpts_per_hour":             "-1",
		"max_rcpts_per_hour_code":        "452",
		"max_rcpts_per_hour_text":        "Too many recipients received this hour",
		"sender_rate_limit":              "-1",
		"sender_rate_minutes":            "60",
		"sender_rate_code":               "452",
		"sender_rate_text":               "Too many recipients received from the sender",
		"sender_rate_exceptions":         "",
		"use_sb":                         "on",
		"sig_bits":                       "24",
		"dhap_limit":                     "0",
		"dhap_drop":                      "off",
		"dhap_code":                      "550",
		"dhap_text":                      "Too many invalid recipients",
		"spam_check":                     "on",
		"virus_check":                    "on",
		"tls":                            "off",
		"tls_verify_client":              "off",
		"smtpauth_allow":                 "off",
		"smtpauth_requiretls":            "on",
		"spf":                            "off",
		"spf_conformance":                "sidf_compatible",
		"spf_downgrade_pra":              "off",
		"spf_helo_test":                  "on",
		"dkim_verification":              "off",
		"dkim_signing":                   "off",
		"dmarc_verification":             "off",
		"dmarc_profile":                  "DEFAULT",
		"dmarc_send_reports":             "off",
		"sender_verification":            "off",
		"sender_malformed_code":          "553",
		"sender_nxdomain_code":           "553",
		"sender_tempfail_code":           "451",
		"sender_verification_exceptions": "",
		"accept_untagged_bounces":        "on",
	}
}

// DefaultPrivateHATParams is the private-listener default policy: larger
// limits, as AsyncOS ships private listeners.
func DefaultPrivateHATParams() Params {
	return DefaultHATParams().Overlay(Params{
		"max_concurrency":      "600",
		"max_msgs_per_session": "5000",
		"max_rcpts_per_msg":    "5000",
		"spam_check":           "off",
		"use_sb":               "off",
	})
}

// DefaultDestParams is destconfig DEFAULT as AsyncOS ships it.
func DefaultDestParams() Params {
	return Params{
		"ip_sort_pref":                "PREFER_V4",
		"max_host_concurrency":        "500",
		"max_messages_per_connection": "50",
		"limit_type":                  "host",
		"limit_apply":                 "system",
		"use_tls":                     "off",
		"dane":                        "off",
		"bounce_validation":           "off",
		"bounce_profile":              "Default",
	}
}

// DefaultBounceParams is the Default bounce profile.
func DefaultBounceParams() Params {
	return Params{
		"max_retries":            "100",
		"max_queue_lifetime":     "259200",
		"initial_retry":          "60",
		"max_retry_timeout":      "3600",
		"send_bounces":           "on",
		"use_dsn_bounce_format":  "on",
		"bounce_subject":         "Delivery Status Notification (Failure)",
		"send_warnings":          "off",
		"send_warnings_count":    "1",
		"send_warnings_interval": "14400",
		"bounce_address":         "",
	}
}
