package segtest

import (
	"regexp"
	"strings"
)

// LogShape is one kind of mail_logs line as AsyncOS writes it: a pattern
// for the message (the text after "{Level}: ") derived from a real line,
// which Example holds verbatim with where it comes from. Log parsers
// (Elastic, Splunk, Cribl...) match these shapes literally; a line of
// seg's that matches none of them is one they cannot read
// (reference/mail_logs-formats.md).
type LogShape struct {
	Name    string
	Pattern *regexp.Regexp
	// Example is a real AsyncOS line of the shape (the message part), and
	// Source where it is from: "S:n" is line n of
	// reference/mail_logs.sample; a shape no public sample shows cites
	// the template it follows instead (SPEC 6's TDC lines, AsyncOS's
	// log message templates in reference/asyncos-cli.md section 7).
	Example, Source string
}

// Pieces of the patterns.
const (
	reIP    = `[0-9A-Fa-f:.]+`
	reRIDs  = `\[\d+(?:, \d+)*\]`
	reRepr  = `(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")` // Python repr of a str
	reAddr  = `<[^<>]*>`
	reCtime = `\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}`
	reTuple = `\('\d{3}', \[(?:` + reRepr + `(?:, ` + reRepr + `)*)?\]\)` // ('550', ['5.1.1 ...'])
)

func shape(name, pattern, example, source string) LogShape {
	return LogShape{Name: name, Pattern: regexp.MustCompile("^" + pattern + "$"), Example: example, Source: source}
}

// LogShapes are the mail_logs line shapes seg writes (SPEC 8, 13, 6), in
// the order of a message's life.
var LogShapes = []LogShape{
	// The file header (aslog).
	shape("begin", `Begin Logfile`, "Begin Logfile", "S:120"),
	shape("version", `Version: \S+ SN: \S+`, "Version: 7.6.3-019 SN: 420D4FEA709365BFB3E3-0AF2EE5E700E", "S:121"),
	shape("time offset", `Time offset from UTC: -?\d+ seconds`, "Time offset from UTC: -21600 seconds", "S:122"),
	shape("rolled over", `Logfile rolled over|End Logfile`, "Logfile rolled over", "asyncos-cli.md 7 (log lifecycle lines)"),

	// Inbound connections.
	shape("new icid", `New SMTP ICID \d+ interface \S.* \(`+reIP+`\) address `+reIP+` reverse dns host \S+ verified (?:yes|no)`,
		"New SMTP ICID 60140291 interface Data 1 (68.232.141.109) address 176.227.203.114 reverse dns host h176-227-203-114.host.redstation.co.uk verified no", "S:123"),
	shape("hat decision", `ICID \d+ (?:ACCEPT|RELAY|REJECT|TCPREFUSE) SG \S+ match .* SBRS (?:None|rfc1918|not enabled|unable to retrieve|-?\d+\.\d)(?: country .+)?`,
		"ICID 3604683 REJECT SG None match ALL SBRS not enabled", "S:205"),
	shape("icid tls success", `ICID \d+ TLS success protocol \S+ cipher \S+`,
		"ICID 60140302 TLS success protocol TLSv1 cipher AES128-SHA", "S:174"),
	shape("icid tls failed", `ICID \d+ TLS failed(?:: .+)?`, "ICID 10304580 TLS failed", "S:210"),
	shape("icid tls required", `ICID \d+ TLS was required but remote host did not initiate it`,
		"ICID 8 TLS was required but remote host did not initiate it", "S:211"),
	shape("smtp auth", `SMTP Auth: \(ICID \d+\) (?:succeeded|failed) for user: .* using AUTH mechanism: \S+ with profile: \S+`,
		"SMTP Auth: (ICID 450) succeeded for user: ironport using AUTH mechanism: PLAIN with profile: IncomingAuthentication", "asyncos-cli.md 7 [V]"),
	shape("receiving failed", `ICID \d+ Receiving Failed: .+`, "ICID 9033 Receiving Failed: Message loop", "S:213"),
	shape("disconnected", `ICID \d+ disconnected address `+reIP+`, .+`,
		"ICID 3 disconnected address 10.1.1.101, no messages injected within timeout period", "S:268"),
	shape("dhap", `(?:Potential Directory Harvest Attack|Dropping connection due to potential Directory Harvest Attack) from host=\S+, dhap_limit=\d+, sender_group=\S+`,
		"Potential Directory Harvest Attack from host=10.1.1.1, dhap_limit=10, sender_group=UNKNOWNLIST", "asyncos-cli.md 7 DHAP template"),
	shape("icid close", `ICID \d+ (?:close|lost)`, "ICID 5 close", "S:10"),

	// Injection.
	shape("start mid", `Start MID \d+ ICID \d+(?: \(.*\))?`, "Start MID 6 ICID 5", "S:86"),
	shape("from", `MID \d+ ICID \d+ From: `+reAddr, "MID 24611495 ICID 0 From: <noreply@cisco.com>", "S:143"),
	shape("to", `MID \d+ ICID \d+ RID \d+ To: `+reAddr, "MID 24611490 ICID 60140120 RID 0 To: <user1@mycompany.com>", "S:133"),
	shape("rcpt rejected", `MID \d+ ICID \d+ To: `+reAddr+` Rejected by .+`,
		"MID 1 ICID 2 To: <postmaster@corestaff.com> Rejected by RAT", "S:239"),
	shape("invalid bounce", `MID \d+ ICID \d+ invalid bounce, .+`,
		"MID 26603 ICID 125192 invalid bounce, rcpt address <scott@ncironport.net> rejected by bounce verification.", "S:242"),
	shape("message-id", `MID \d+ Message-ID `+reRepr, "MID 24611516 Message-ID \"<Lands'End.6cl2sv--1f.tlmd@email.landsend.com>\"", "S:184"),
	shape("subject", `MID \d+ Subject `+reRepr, "MID 24611490 Subject 'Webinar: Working Together 101: Preventing Departmental Silos'", "S:162"),
	shape("ready", `MID \d+ ready \d+ bytes from `+reAddr, "MID 24611495 ready 2069 bytes from <noreply@cisco.com>", "S:147"),
	shape("spf", `MID \d+ SPF: (?:helo|mailfrom|pra) identity \S* \S+(?: \(.*\))?`,
		"MID 68119155 SPF: mailfrom identity no-reply@redactedMailFrom.com Pass (v=spf1)", "S:33"),
	shape("dkim", `MID \d+ DKIM: .+`, "MID 24611495 DKIM: cannot sign - no profile matches user2@hotmail.com", "S:146"),
	shape("dmarc", `MID \d+ DMARC: .+`, "MID 68119155 DMARC: Verification passed", "S:32"),
	shape("policy match", `MID \d+ matched all recipients for per-recipient policy \S+ in the (?:inbound|outbound) table`,
		"MID 24611433 matched all recipients for per-recipient policy DEFAULT in the inbound table", "S:159"),
	shape("split", `MID \d+ was split creating MID \d+ due to .+`,
		"MID 58 was split creating MID 60 due to a per-recipient policy tcamp", "S:251"),
	shape("queued", `MID \d+ queued for delivery`, "MID 24611417 queued for delivery", "S:131"),
	shape("aborted", `Message aborted MID \d+ .+`, "Message aborted MID 10288257 Receiving aborted", "S:273"),
	shape("generated", `MID \d+ (?:was )?generated (?:based on MID \d+ by .+|for .+)`,
		"MID 24611495 was generated based on MID 24611421 by bcc filter 'FireEye_BCC'", "S:142"),
	shape("rewritten", `MID \d+ rewritten to (?:MID )?\d+ by .+`, "MID 1 rewritten to MID 2 by antispam (alt-rcpt-to) filter 'unknown'", "S:253"),

	// Delivery.
	shape("new dcid", `New SMTP DCID \d+ interface `+reIP+` address `+reIP+`(?: port \d+)?`,
		"New SMTP DCID 6565555 interface 68.232.141.109 address 144.191.128.186 port 25", "S:179"),
	shape("dcid tls success", `DCID \d+ TLS success protocol \S+ cipher \S+(?: for \S+)? ?`,
		"DCID 112095 TLS success protocol TLSv1 cipher AES128-SHA for dummy_domain.com", "S:195"),
	shape("dcid tls failed", `DCID \d+ TLS failed: .+`, "DCID 3 TLS failed: (336130315, 'error:14094410:SSL routines:SSL3_READ_BYTES:sslv3 alert handshake failure')", "mail_logs-formats.md 2.5 template"),
	shape("dcid tls required", `DCID \d+ IP `+reIP+` TLS was required but could not be successfully negotiated`,
		"DCID 7 IP 10.1.1.1 TLS was required but could not be successfully negotiated", "asyncos-cli.md 7 TLS template"),
	shape("delivery start", `Delivery start DCID \d+ MID \d+ to RID `+reRIDs, "Delivery start DCID 8 MID 6 to RID [0]", "S:92"),
	shape("message done", `Message done DCID \d+ MID \d+ to RID `+reRIDs+`(?: \(.*\))?(?: \[.*\])? ?`,
		"Message done DCID 6565554 MID 24611414 to RID [0] (external quarantine) ", "S:134"),
	shape("response", `MID \d+ RID `+reRIDs+` Response `+reRepr, "MID 24611465 RID [0] Response '2.0.0 Ok: queued as 3jjSKc6HnKz4GTHJ'", "S:128"),
	shape("bounced", `(?:Bounced|Delayed): DCID \d+ MID \d+ From: `+reAddr+` To: `+reAddr+` RID \d+ - \d\.\d{1,3}\.\d{1,3} - .+ `+reTuple,
		"Bounced: DCID 8413617 MID 19338947 From: <MariaDubois@example.com> To: <zecora@buttercupgames.com> RID 0 - 5.4.7 - Delivery expired (message too old) ('000', ['timeout'])", "S:200"),
	shape("pending", `Message \d+ to RID `+reRIDs+` pending till `+reCtime,
		"Message 548799 to RID [712290] pending till Mon Aug 10 09:56:56 2020", "S:196"),
	shape("connection error", `Connection Error: DCID \d+ domain: \S+ IP: `+reIP+` port: \d+ details: [^:]+ interface: `+reIP+` reason: .+`,
		"Connection Error: DCID 263 domain: example.com IP: 128.242.110.90 port: 25 details: EOF interface: 128.197.12.246 reason: network error",
		"mail_logs-formats.md 2.7 (Cribl's pattern; spamtowho's comment line)"),
	shape("dns error", `DNS (?:Error|Temporary Failure) \S+ .+`, "DNS Temporary Failure structure.com MX - ServFail", "asyncos-cli.md 7 DNS Error template; spamtowho comment"),
	shape("finished", `Message finished MID \d+ done`, "Message finished MID 24611465 done", "S:129"),
	shape("dcid close", `DCID \d+ close`, "DCID 6565547 close", "S:170"),
	shape("deleted", `Deleted: MID \d+ to `+reRIDs, "Deleted: MID 3 to [0]", "S:236"),
	shape("limits", `Maximum outbound connections \(?\d+\)? reached for \S+|Delivery to \S+ throttled by recipient limit|Recipient limit expired; resume delivery to \S+|Maximum recipients .+ reached for .+`,
		"Maximum outbound connections 20 reached for example.com", "asyncos-cli.md 7 limits templates"),

	// Threat Defense Connector (SPEC 6; no public sample has TDC lines).
	shape("tdc enqueued", `TDC: MID \d+ with Message-ID `+reRepr+` enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address \S+`,
		"TDC: MID 64855 with Message-ID '<op.zfdwolzf0ubsb2@mathew.cisco.com>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address abc@bcc-in.us.etd.cisco.com", "SPEC 6"),
	shape("tdc new dcid", `TDC: New SMTP DCID \d+ interface `+reIP+` address `+reIP+` port \d+`,
		"TDC: New SMTP DCID 8 interface 10.1.1.1 address 10.2.2.2 port 25", "SPEC 6"),
	shape("tdc delivery start", `TDC: Delivery start DCID \d+ MID \d+`, "TDC: Delivery start DCID 8 MID 64855", "SPEC 6"),
	shape("tdc delivered", `TDC: MID \d+ successfully delivered for scanning with Cisco Secure Email Threat Defense\.`,
		"TDC: MID 64855 successfully delivered for scanning with Cisco Secure Email Threat Defense.", "SPEC 6"),
	shape("tdc connection error", `TDC: Connection Error: DCID \d+ domain: the\.tdc\.queue IP: `+reIP+` port: \d+ details: [^:]+ interface: `+reIP+` reason: .+`,
		"TDC: Connection Error: DCID 9 domain: the.tdc.queue IP: 10.2.2.2 port: 25 details: connection refused interface: 10.1.1.1 reason: connection refused", "SPEC 6"),
	shape("tdc failed", `TDC: MID \d+ delivery failed to Cisco Secure Email Threat Defense:(?:TLS Error| .+)\.`,
		"TDC: MID 64855 delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.", "SPEC 6"),
	shape("tdc hard bounced", `TDC: Hard bounced - \d\.\d{1,3}\.\d{1,3} - .+`, "TDC: Hard bounced - 5.1.1 - user unknown", "SPEC 6"),
	// seg's own wording where SPEC 6 has no line for a retried copy.
	shape("tdc delayed", `TDC: MID \d+ delivery delayed to Cisco Secure Email Threat Defense: .+\. Retry at `+reCtime+`\.`,
		"TDC: MID 64855 delivery delayed to Cisco Secure Email Threat Defense: 4.4.1 - connection refused. Retry at Mon Aug 10 09:56:56 2020.", "seg (mta/tdc LogDelayed)"),
}

// reLevel is the level word a mail_logs line starts with after its stamp.
var reLevel = regexp.MustCompile(`^(?:Info|Warning|Critical|Debug|Trace): `)

// MatchLogShape returns the shape a mail_logs line has: the line as
// LogLines gives it ("Info: Start MID 6 ICID 5") or its message alone.
// ok is false for a line no AsyncOS log parser would recognise.
func MatchLogShape(line string) (LogShape, bool) {
	msg := line
	if loc := reLevel.FindStringIndex(line); loc != nil {
		msg = line[loc[1]:]
	}
	msg = strings.TrimSuffix(msg, "\r")
	for _, s := range LogShapes {
		if s.Pattern.MatchString(msg) {
			return s, true
		}
	}
	return LogShape{}, false
}

// LogShapeNamed returns the shape called name (nil: none).
func LogShapeNamed(name string) *LogShape {
	for i := range LogShapes {
		if LogShapes[i].Name == name {
			return &LogShapes[i]
		}
	}
	return nil
}
