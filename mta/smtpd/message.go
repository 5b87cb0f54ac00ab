package smtpd

import (
	"bytes"
	"net/netip"
	"strings"
	"time"

	"seg/internal/msgheader"
)

// receivedHeader is the trace field seg prepends to every message it
// accepts (RFC 5321 section 4.4):
//
//	Received: from HELO (RDNS [IP])
//		by HOSTNAME with ESMTP id MID
//		for <RCPT>; DATE
//
// TCP-info is "RDNS [IP]" when the client's reverse DNS is known and
// "[IP]" alone otherwise (the RFC 5321 grammar: address-literal, or Domain
// FWS address-literal). The for clause names the recipient only when
// there is exactly one: listing several would disclose Bcc recipients
// (RFC 5321 section 7.2). protocol is "ESMTP" or "SMTP" (RFC 3848); ip is
// the inside of the address literal (addrLiteral).
func receivedHeader(helo, rdns, ip, hostname, protocol, mid string, rcpts []string, date time.Time) []byte {
	var b bytes.Buffer
	b.WriteString("Received: from ")
	b.WriteString(headerSafe(helo))
	b.WriteString(" (")
	if rdns != "" {
		b.WriteString(headerSafe(rdns))
		b.WriteString(" ")
	}
	b.WriteString("[" + ip + "])\r\n\tby ")
	b.WriteString(headerSafe(hostname))
	b.WriteString(" with " + protocol + " id " + mid)
	if len(rcpts) == 1 {
		b.WriteString("\r\n\tfor <" + headerSafe(rcpts[0]) + ">")
	}
	b.WriteString("; " + date.Format("Mon, 2 Jan 2006 15:04:05 -0700") + "\r\n")
	return b.Bytes()
}

// addrLiteral is the address in an RFC 5321 section 4.1.3 address
// literal, without the brackets: "192.0.2.1", "IPv6:2001:db8::1".
func addrLiteral(ip netip.Addr) string {
	if ip.Is6() {
		return "IPv6:" + ip.String()
	}
	return ip.String()
}

// headerSafe keeps client-supplied words from breaking the header:
// control characters, parentheses and angle brackets (which would end the
// comment or path they sit in) and spaces become '?'.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r <= ' ', r == 0x7f, r == '(', r == ')', r == '<', r == '>', r == ';':
			return '?'
		}
		return r
	}, s)
}

// logSafe keeps client-supplied words on one mail_logs line.
func logSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// headerFields returns the first Message-ID and Subject of the message's
// header block, unfolded and trimmed (eachHeader).
func headerFields(msg []byte) (messageID, subject string, hasID, hasSubject bool) {
	eachHeader(msg, func(name string, val []byte) bool {
		switch {
		case !hasID && strings.EqualFold(name, "Message-ID"):
			messageID, hasID = strings.TrimSpace(string(val)), true
		case !hasSubject && strings.EqualFold(name, "Subject"):
			subject, hasSubject = strings.TrimSpace(string(val)), true
		}
		return !hasID || !hasSubject
	})
	return
}

// firstHeader returns the value of the first field called name, unfolded
// and trimmed.
func firstHeader(msg []byte, name string) (value string, ok bool) {
	eachHeader(msg, func(n string, val []byte) bool {
		if strings.EqualFold(n, name) {
			value, ok = strings.TrimSpace(string(val)), true
		}
		return !ok
	})
	return
}

// eachHeader calls f with each field of the message's header block
// (everything before the first empty line; RFC 5322 section 2.1), its
// value unfolded (section 2.2.3) and trimmed, until f returns false. A
// line without a colon names no field. The body is not looked at.
func eachHeader(msg []byte, f func(name string, val []byte) bool) {
	msgheader.Each(msg, func(fl msgheader.Field) bool {
		if !fl.Colon || fl.Raw[0] == ' ' || fl.Raw[0] == '\t' || fl.Is("") {
			return true
		}
		return f(fl.Name(), fl.ValueBytes())
	})
}
