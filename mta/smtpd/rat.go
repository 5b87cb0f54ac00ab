package smtpd

import (
	"strings"

	"seg/store"
)

// matchRAT returns the first RAT entry matching addr, or nil. Entry forms
// (SPEC 4.4, reference 2.8): "user@domain" (that address), "user@" (that
// local part at any domain), "domain" (exactly that domain), ".domain"
// (its subdomains, not the domain itself), "[1.2.3.4]" (an address
// literal, compared as a domain), "ALL". Comparison is case-insensitive.
// An empty RAT matches nothing, so it rejects everyone: no table, no relay.
func matchRAT(rat []store.RATEntry, addr string) *store.RATEntry {
	local, domain := splitAddr(addr)
	for i := range rat {
		if ratEntryMatches(rat[i].Entry, local, domain) {
			return &rat[i]
		}
	}
	return nil
}

func ratEntryMatches(entry, local, domain string) bool {
	e := strings.ToLower(strings.TrimSpace(entry))
	switch {
	case e == "all":
		return true
	case strings.HasSuffix(e, "@"):
		return e[:len(e)-1] == local
	case strings.Contains(e, "@"):
		l, d := splitAddr(e)
		return l == local && d == domain
	case strings.HasPrefix(e, "."):
		return strings.HasSuffix(domain, e) && len(domain) > len(e)
	}
	return strings.TrimSuffix(e, ".") == domain
}

// splitAddr splits at the last '@' and lower-cases both halves; the
// domain loses a trailing dot (an absolute name is the same domain).
func splitAddr(addr string) (local, domain string) {
	a := strings.ToLower(addr)
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return a, ""
	}
	return a[:i], strings.TrimSuffix(a[i+1:], ".")
}

// ratReject is the reply for a recipient the RAT refuses: the entry's
// own code and text when it has them, else 550 5.7.1 (SPEC 4.4).
func ratReject(e *store.RATEntry) *smtpError {
	code, text := 550, "Recipient address rejected"
	if e != nil && e.Code >= 400 && e.Code <= 599 {
		code = e.Code
	}
	if e != nil && e.Text != "" {
		text = e.Text
	}
	ec := enhancedCode{code / 100, 7, 1}
	if hasEnhancedCode(text) {
		ec = noEnhancedCode // the administrator wrote one
	}
	return &smtpError{Code: code, EnhancedCode: ec, Message: text}
}

// hasEnhancedCode reports whether text starts with an RFC 3463 status
// code, bare ("5.1.1 ...") or AsyncOS style ("#5.1.1 ...").
func hasEnhancedCode(text string) bool {
	t := strings.TrimPrefix(text, "#")
	f, _, _ := strings.Cut(t, " ")
	parts := strings.Split(f, ".")
	if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
