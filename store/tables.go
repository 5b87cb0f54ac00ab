package store

// The parameter tables. Order is the order of HAT text output, of
// interactive prompts and of help text. Each spec holds its default and,
// for a parameter seg stores but does not act on, the reason (Inert);
// the test in settings_test.go keeps that list honest.

var onOff = KindOnOff

// HATParams are the mail flow policy parameters (SPEC 4.2). Aliases are
// AsyncOS's batch option names (max_size, max_conn, ...). Defaults are a
// public listener's; privateHATDefaults changes a few for private ones.
var HATParams = newTable("HAT", []ParamSpec{
	{Name: "max_message_size", Kind: KindSize, Min: 1024, Default: "10485760", Help: "maximum message size in bytes", Aliases: []string{"max_size"}},
	{Name: "max_concurrency", Kind: KindInt, Min: 1, Max: 1000, Default: "10", Help: "maximum concurrent connections from a single IP", Aliases: []string{"max_conn"}},
	{Name: "max_msgs_per_session", Kind: KindInt, Min: 1, Default: "10", Help: "maximum messages per connection", Aliases: []string{"max_msgs"}},
	{Name: "max_rcpts_per_msg", Kind: KindInt, Min: 1, Default: "50", Help: "maximum recipients per message", Aliases: []string{"max_rcpt"}},
	{Name: "smtp_banner_code", Kind: KindCode, Min: 200, Max: 299, Default: "220", Help: "SMTP greeting code (220 is the standard code)", Aliases: []string{"acc_code"}},
	{Name: "smtp_banner_text", Kind: KindString, Default: "", Help: "SMTP greeting text ($Hostname, $RemoteIP, $RemoteHost); empty for \"HOSTNAME ESMTP\"", Aliases: []string{"cust_acc"}},
	{Name: "use_override_hostname", Kind: onOff, Default: "off", Help: "override the hostname in the SMTP banner"},
	{Name: "override_hostname", Kind: KindString, Default: "", Help: "hostname to use in the SMTP banner", Aliases: []string{"override"}},
	{Name: "reject_banner_code", Kind: KindCode, Min: 400, Max: 599, Default: "554", Help: "SMTP rejection code (554 is the standard code)", Aliases: []string{"rej_code"}},
	{Name: "reject_banner_text", Kind: KindString, Default: "Access denied", Help: "SMTP rejection text", Aliases: []string{"cust_rej"}},
	{Name: "max_rcpts_per_hour", Kind: KindInt, Min: -1, Default: "-1", Help: "maximum recipients per hour from a remote host (-1 unlimited)", Aliases: []string{"rate_lim"}},
	{Name: "max_rcpts_per_hour_code", Kind: KindCode, Min: 400, Max: 599, Default: "452", Help: "reply code when the hourly limit is exceeded (452 is the standard code)", Aliases: []string{"lim_code"}},
	{Name: "max_rcpts_per_hour_text", Kind: KindString, Default: "Too many recipients received this hour", Help: "reply text when the hourly limit is exceeded", Aliases: []string{"cust_lim"}},
	{Name: "sender_rate_limit", Kind: KindInt, Min: -1, Default: "-1", Help: "maximum recipients per interval per envelope sender (-1 unlimited)"},
	{Name: "sender_rate_minutes", Kind: KindInt, Min: 1, Max: 1440, Default: "60", Help: "interval in minutes for envelope sender rate limiting"},
	{Name: "sender_rate_code", Kind: KindCode, Min: 400, Max: 599, Default: "452", Help: "reply code when the sender limit is exceeded"},
	{Name: "sender_rate_text", Kind: KindString, Default: "Too many recipients received from the sender", Help: "reply text when the sender limit is exceeded"},
	{Name: "sender_rate_exceptions", Kind: KindList, Default: "", Help: "address lists (addresslistconfig) of envelope senders and client IPs exempt from sender rate limiting"},
	// use_sb off: the host has no score (sbrs[none] matches it) and the
	// HAT log line says "SBRS not enabled" (scores: sbrsconfig).
	{Name: "use_sb", Kind: onOff, Default: "on", Help: "use the reputation score (sbrs, from sbrsconfig's DNS lists) for flow control"},
	{Name: "sig_bits", Kind: KindInt, Min: 0, Max: 32, Default: "24", Help: "significant bits of the client IP for rate counters (only with use_sb off)"},
	{Name: "dhap_limit", Kind: KindInt, Min: 0, Default: "0", Help: "maximum invalid recipients per hour from a remote host (0 off)", Aliases: []string{"dhap"}},
	{Name: "dhap_drop", Kind: onOff, Default: "off", Help: "drop the connection when the DHAP limit is exceeded"},
	{Name: "dhap_code", Kind: KindCode, Min: 400, Max: 599, Default: "550", Help: "reply code for DHAP (550 is the standard code)"},
	{Name: "dhap_text", Kind: KindString, Default: "Too many invalid recipients", Help: "reply text for DHAP"},
	{Name: "spam_check", Kind: onOff, Default: "on", Help: "anti-spam scanning", Aliases: []string{"as_scan"}, Inert: "seg has no spam engine"},
	{Name: "virus_check", Kind: onOff, Default: "on", Help: "anti-virus scanning", Aliases: []string{"av_scan"}, Inert: "seg has no virus engine"},
	{Name: "tls", Kind: KindEnum, Enum: []string{"off", "preferred", "required"}, EnumAlias: map[string]string{"no": "off", "on": "preferred", "yes": "preferred"}, Default: "off", Help: "STARTTLS: off, preferred or required"},
	{Name: "tls_verify_client", Kind: onOff, Default: "off", Help: "verify client certificates (against certconfig import-ca CAs)"},
	{Name: "smtpauth_allow", Kind: KindEnum, Enum: []string{"off", "on", "required"}, EnumAlias: map[string]string{"no": "off", "yes": "on"}, Default: "off", Help: "SMTP AUTH: off, on or required"},
	{Name: "smtpauth_requiretls", Kind: onOff, Default: "on", Help: "offer SMTP AUTH only after STARTTLS"},
	{Name: "smtpauth_relay", Kind: onOff, Default: "off", Help: "let authenticated clients relay (skip the RAT)"},
	{Name: "spf", Kind: onOff, Default: "off", Help: "SPF/SIDF verification"},
	{Name: "spf_conformance", Kind: KindEnum, Enum: []string{"spf", "sidf", "sidf_compatible"}, Default: "sidf_compatible", Help: "SPF conformance level"},
	{Name: "spf_downgrade_pra", Kind: onOff, Default: "off", Help: "downgrade a PRA Pass to None when the PRA came from Resent-Sender: or Resent-From: (sidf_compatible)"},
	{Name: "spf_helo_test", Kind: onOff, Default: "on", Help: "perform the HELO identity check"},
	{Name: "spf_fail_action", Kind: KindEnum, Enum: []string{"accept", "reject"}, Default: "accept", Help: "what to do with mail whose SPF/SIDF result is Fail: accept (with the header) or reject (550 5.7.1)"},
	{Name: "dkim_verification", Kind: onOff, Default: "off", Help: "DKIM verification"},
	{Name: "dkim_signing", Kind: onOff, Default: "off", Help: "DKIM signing"},
	{Name: "dmarc_verification", Kind: onOff, Default: "off", Help: "DMARC verification"},
	{Name: "dmarc_profile", Kind: KindString, Default: "DEFAULT", Help: "DMARC verification profile"},
	{Name: "dmarc_send_reports", Kind: onOff, Default: "off", Help: "send DMARC aggregate reports"},
	{Name: "sender_verification", Kind: onOff, Default: "off", Help: "envelope sender DNS verification at MAIL FROM (<> is never checked)"},
	{Name: "sender_malformed_code", Kind: KindCode, Min: 400, Max: 599, Default: "553", Help: "reply code for malformed envelope senders (553 is the standard code)"},
	{Name: "sender_malformed_text", Kind: KindString, Default: "#5.1.7 Malformed sender address <$EnvelopeSender>", Help: "reply text for malformed envelope senders: no domain, a single label, an all-numeric top-level domain or an address literal ($EnvelopeSender)"},
	{Name: "sender_nxdomain_code", Kind: KindCode, Min: 400, Max: 599, Default: "553", Help: "reply code for senders whose domain does not exist (no A, AAAA or MX; 553 is the standard code)"},
	{Name: "sender_nxdomain_text", Kind: KindString, Default: "#5.1.8 Domain of sender address <$EnvelopeSender> does not exist", Help: "reply text for senders whose domain does not exist ($EnvelopeSender)"},
	{Name: "sender_tempfail_code", Kind: KindCode, Min: 400, Max: 599, Default: "451", Help: "reply code for senders whose domain does not resolve for now (DNS failure or timeout; 451 is the standard code)"},
	{Name: "sender_tempfail_text", Kind: KindString, Default: "#4.1.8 Domain of sender address <$EnvelopeSender> does not resolve", Help: "reply text for senders whose domain does not resolve for now ($EnvelopeSender)"},
	{Name: "sender_verification_exceptions", Kind: onOff, Default: "off", Help: "consult the sender verification exception table (exceptionconfig) first"},
	{Name: "accept_untagged_bounces", Kind: onOff, Default: "on", Help: "accept untagged bounces (bounce verification)"},
})

// privateHATDefaults are where a private listener's default policy
// differs from a public one's: larger limits, as AsyncOS ships private
// listeners.
var privateHATDefaults = Params{
	"max_concurrency":      "600",
	"max_msgs_per_session": "5000",
	"max_rcpts_per_msg":    "5000",
	"spam_check":           "off",
	"use_sb":               "off",
}

// DestParams are the destconfig parameters (SPEC 5). The recipient limit
// is optional: absent from DEFAULT, there is none.
var DestParams = newTable("destconfig", []ParamSpec{
	{Name: "ip_sort_pref", Kind: KindEnum, Enum: []string{"PREFER_V4", "PREFER_V6", "REQUIRE_V4", "REQUIRE_V6"}, Default: "PREFER_V4", Help: "how to sort IP addresses within an MX preference level"},
	{Name: "max_host_concurrency", Kind: KindInt, Min: 1, Max: 1000, Default: "500", Help: "maximum concurrent connections to the destination"},
	{Name: "max_messages_per_connection", Kind: KindInt, Min: 1, Max: 1000, Default: "50", Help: "maximum messages per connection"},
	{Name: "recipient_minutes", Kind: KindInt, Min: 1, Max: 60, Default: "60", Optional: true, Help: "minutes over which the recipient limit is measured"},
	{Name: "recipient_limit", Kind: KindInt, Min: 0, Default: "0", Optional: true, Help: "maximum recipients per recipient_minutes (0 or absent: no limit); the rest stay queued"},
	{Name: "limit_type", Kind: KindEnum, Enum: []string{"host", "MXIP"}, EnumAlias: map[string]string{"0": "host", "1": "MXIP", "domain": "host"}, Default: "host", Help: "host: one limit for the whole domain; MXIP: per mail exchanger IP"},
	{Name: "limit_apply", Kind: KindEnum, Enum: []string{"system", "VG"}, EnumAlias: map[string]string{"0": "system", "1": "VG"}, Default: "system", Help: "system: system wide; VG: per source address (source_ip)"},
	{Name: "source_ip", Kind: KindList, Default: "", Optional: true, Help: "source IP addresses to bind outbound connections to, comma-separated (absent: the system chooses)"},
	{Name: "use_tls", Kind: KindEnum, Enum: []string{"off", "on", "required", "on_verify", "require_verify"}, EnumAlias: map[string]string{"0": "off", "1": "on", "2": "required", "3": "on_verify", "4": "require_verify", "no": "off", "preferred": "on", "require": "required"}, Default: "off", Help: "TLS: off, on (preferred), required, on_verify, require_verify"},
	{Name: "dane", Kind: KindEnum, Enum: []string{"off", "opportunistic", "mandatory"}, Default: "off", Help: "DANE support (not applied where an SMTP route exists)"},
	{Name: "bounce_validation", Kind: onOff, Default: "off", Help: "bounce verification address tagging: the envelope sender goes out as prvs=TAG=sender with bvconfig's newest key"},
	{Name: "bounce_profile", Kind: KindString, Default: "Default", Help: "bounce profile name"},
})

// BounceParams are the bounce profile parameters (SPEC 5).
var BounceParams = newTable("bounceconfig", []ParamSpec{
	{Name: "max_retries", Kind: KindInt, Min: 0, Max: 10000, Default: "100", Help: "maximum number of retries"},
	{Name: "max_queue_lifetime", Kind: KindDuration, Min: 0, Max: 30 * 86400, Default: "259200", Help: "maximum time a message stays in the queue (seconds)"},
	{Name: "initial_retry", Kind: KindDuration, Min: 1, Max: 86400, Default: "60", Help: "initial seconds to wait before retrying"},
	{Name: "max_retry_timeout", Kind: KindDuration, Min: 1, Max: 86400, Default: "3600", Help: "maximum seconds to wait before retrying"},
	{Name: "send_bounces", Kind: onOff, Default: "on", Help: "send a message for each hard bounce"},
	{Name: "use_dsn_bounce_format", Kind: onOff, Default: "on", Help: "send bounces in the RFC 3464 DSN format (multipart/report); off: one plain-text message"},
	{Name: "bounce_subject", Kind: KindString, Default: "Delivery Status Notification (Failure)", Help: "subject of bounce messages"},
	{Name: "send_warnings", Kind: onOff, Default: "off", Help: "send delay warning messages"},
	{Name: "send_warnings_count", Kind: KindInt, Min: 1, Max: 100, Default: "1", Help: "maximum number of delay warnings per recipient"},
	// Min 1 s, as initial_retry: a warning goes out only when an attempt
	// fails, so the retry schedule and send_warnings_count bound what a
	// sender gets whatever the interval.
	{Name: "send_warnings_interval", Kind: KindDuration, Min: 1, Max: 30 * 86400, Default: "14400", Help: "seconds between delay warnings"},
	{Name: "bounce_address", Kind: KindString, Default: "", Help: "send bounces to this address instead of the sender (empty: the sender)"},
})

// DefaultHATParams is the public-listener default policy (SPEC 4.2).
func DefaultHATParams() Params { return HATParams.DefaultParams() }

// DefaultPrivateHATParams is the private-listener default policy.
func DefaultPrivateHATParams() Params { return DefaultHATParams().Overlay(privateHATDefaults) }

// DefaultDestParams is destconfig DEFAULT as AsyncOS ships it.
func DefaultDestParams() Params { return DestParams.DefaultParams() }

// DefaultBounceParams is the Default bounce profile.
func DefaultBounceParams() Params { return BounceParams.DefaultParams() }
