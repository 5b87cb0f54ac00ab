package tdc

import (
	"os"
	"strings"
	"testing"
)

// The expected lines are SPEC 6's templates (and reference/asyncos-cli.md
// section 7's) with the placeholders filled in by hand.
func TestLogLines(t *testing.T) {
	cases := []struct{ got, want string }{
		{LogEnqueued(64855, "<op.zfdwolzf0ubsb2@mathew.cisco.com>", "abc@bcc-in.us.etd.cisco.com"),
			"TDC: MID 64855 with Message-ID '<op.zfdwolzf0ubsb2@mathew.cisco.com>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address abc@bcc-in.us.etd.cisco.com"},
		{LogNewConn(8, "127.0.0.1", "127.0.0.2", 25),
			"TDC: New SMTP DCID 8 interface 127.0.0.1 address 127.0.0.2 port 25"},
		{LogDeliveryStart(8, 64855),
			"TDC: Delivery start DCID 8 MID 64855"},
		{LogDelivered(64855),
			"TDC: MID 64855 successfully delivered for scanning with Cisco Secure Email Threat Defense."},
		{LogConnectionError(9, "127.0.0.2", 25, "connection refused", "127.0.0.1", "connection refused"),
			"TDC: Connection Error: DCID 9 domain: the.tdc.queue IP: 127.0.0.2 port: 25 details: connection refused interface: 127.0.0.1 reason: connection refused"},
		{LogTLSFailed(64855),
			"TDC: MID 64855 delivery failed to Cisco Secure Email Threat Defense:TLS Error."},
		{LogHardBounce("5.1.1", "5.1.1 <x@etd.example>: user unknown"),
			"TDC: Hard bounced - 5.1.1 - 5.1.1 <x@etd.example>: user unknown"},
		{LogHardBounced(64855),
			"TDC: MID 64855 delivery failed to Cisco Secure Email Threat Defense: Hard Bounced."},
		{LogFailed(64855, "Expired"),
			"TDC: MID 64855 delivery failed to Cisco Secure Email Threat Defense: Expired."},
		{TrackDelivered(64855),
			"TDC: Message 64855 was successfully delivered for scanning with Cisco Secure Email Threat Defense."},
		{TrackFailed(64855, "Hard Bounced"),
			"TDC: Message 64855 delivery failed to Cisco Secure Email Threat Defense: Hard Bounced."},
		// The Message-ID is quoted as every other (maillog.Repr): a
		// single quote inside switches to double quotes (sample S:184).
		{LogEnqueued(35, "<Lands'End.123@client.test>", "i@example.net"),
			`TDC: MID 35 with Message-ID "<Lands'End.123@client.test>" enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address i@example.net`},
		// Peer text stays on one line.
		{LogEnqueued(1, "<a\r\nInfo: forged>", "i@example.net"),
			`TDC: MID 1 with Message-ID '<a\r\nInfo: forged>' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address i@example.net`},
		{LogHardBounce("5.0.0", "line one\nline two"),
			`TDC: Hard bounced - 5.0.0 - line one\x0aline two`},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got  %q\nwant %q", c.got, c.want)
		}
	}
}

// TestLogTemplatesMatchSpec fills SPEC 6's own lines, read from the shared
// SPEC when it is at hand, so that a change of wording there shows here.
func TestLogTemplatesMatchSpec(t *testing.T) {
	spec, err := os.ReadFile("../../../shared/SPEC.md")
	if err != nil {
		// The SPEC lives beside the repository in the work tree, not in
		// it; the literal copies below are the fallback.
		spec = []byte(specTDCLines)
	}
	fill := strings.NewReplacer("{mid}", "11", "{msgid}", "<m@x>", "{addr}", "i@x", "{dcid}", "22",
		"{ip}", "127.0.0.1", "{port}", "25", "{detail}", "D", "{reason}", "R", "{dsn}", "5.1.1", "{text}", "T")
	ours := []string{
		LogEnqueued(11, "<m@x>", "i@x"),
		LogNewConn(22, "127.0.0.1", "127.0.0.1", 25),
		LogDeliveryStart(22, 11),
		LogDelivered(11),
		LogConnectionError(22, "127.0.0.1", 25, "D", "127.0.0.1", "R"),
		LogTLSFailed(11),
		LogHardBounce("5.1.1", "T"),
		LogHardBounced(11),
	}
	var templates []string
	for _, l := range strings.Split(string(spec), "\n") {
		if strings.HasPrefix(l, "TDC: ") {
			templates = append(templates, l)
		}
	}
	if len(templates) != len(ours) {
		t.Fatalf("SPEC has %d TDC lines, we have %d", len(templates), len(ours))
	}
	for i, tpl := range templates {
		if want := fill.Replace(tpl); ours[i] != want {
			t.Errorf("line %d:\ngot  %q\nwant %q", i+1, ours[i], want)
		}
	}
}

const specTDCLines = `TDC: MID {mid} with Message-ID '{msgid}' enqueued for forwarding to Cisco Secure Email Threat Defense to the message intake address {addr}
TDC: New SMTP DCID {dcid} interface {ip} address {ip} port {port}
TDC: Delivery start DCID {dcid} MID {mid}
TDC: MID {mid} successfully delivered for scanning with Cisco Secure Email Threat Defense.
TDC: Connection Error: DCID {dcid} domain: the.tdc.queue IP: {ip} port: {port} details: {detail} interface: {ip} reason: {reason}
TDC: MID {mid} delivery failed to Cisco Secure Email Threat Defense:TLS Error.
TDC: Hard bounced - {dsn} - {text}
TDC: MID {mid} delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.
`
