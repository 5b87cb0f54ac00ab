package store

import (
	"fmt"
	"strings"
)

// Mail policy members (SPEC 2, AsyncOS policyconfig): "user@domain" (one
// address), "@domain" (a domain), "@.domain" (every subdomain of domain,
// not domain itself), "user@" (a local part in any domain). Matching is
// case-insensitive throughout.

// DefaultPolicyName is the mail policy that matches when no other does.
const DefaultPolicyName = "DEFAULT"

// MatchPolicy returns the policy that applies to one recipient of a
// message from sender: the first policy in table order, other than
// DEFAULT, whose members match; else DEFAULT wherever it sits in the
// table; nil when nothing matches and there is no DEFAULT. A policy
// matches when sender matches one of its sender members (or it has none:
// any sender) and rcpt matches one of its recipient members; a policy
// without recipient members matches nothing. The null sender ("" or "<>")
// matches only policies without sender members.
func MatchPolicy(policies []MailPolicy, sender, rcpt string) *MailPolicy {
	var def *MailPolicy
	for i := range policies {
		p := &policies[i]
		if strings.EqualFold(p.Name, DefaultPolicyName) {
			if def == nil {
				def = p
			}
			continue
		}
		if len(p.Recipients) == 0 || !matchAny(p.Recipients, rcpt) {
			continue
		}
		if len(p.Senders) == 0 || matchAny(p.Senders, sender) {
			return p
		}
	}
	return def
}

// matchAny reports whether addr matches one of members.
func matchAny(members []string, addr string) bool {
	for _, m := range members {
		if MatchMember(m, addr) {
			return true
		}
	}
	return false
}

// MatchMember reports whether one policy member matches an address.
func MatchMember(member, addr string) bool {
	local, domain, ok := splitAddress(addr)
	if !ok {
		return false
	}
	m := strings.ToLower(strings.TrimSpace(member))
	at := strings.LastIndexByte(m, '@')
	if at < 0 {
		return false
	}
	mLocal, mDomain := m[:at], m[at+1:]
	switch {
	case mLocal == "" && strings.HasPrefix(mDomain, "."):
		return len(domain) > len(mDomain) && strings.HasSuffix(domain, mDomain)
	case mLocal == "":
		return mDomain != "" && domain == mDomain
	case mDomain == "":
		return local == mLocal
	}
	return local == mLocal && domain == mDomain
}

// splitAddress lower-cases an envelope address and splits it at its last
// '@' (a quoted local part may hold another). Angle brackets are
// tolerated. The null sender does not split.
func splitAddress(addr string) (local, domain string, ok bool) {
	a := strings.ToLower(strings.TrimSpace(addr))
	a = strings.TrimSuffix(strings.TrimPrefix(a, "<"), ">")
	if a == "" {
		return "", "", false
	}
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return a, "", true
	}
	return a[:at], strings.TrimSuffix(a[at+1:], "."), true
}

// CanonPolicyMember validates one mail policy member and returns its
// canonical (lower-case) form. The error says which forms are accepted.
func CanonPolicyMember(s string) (string, error) {
	m := strings.ToLower(strings.TrimSpace(s))
	bad := func(why string) error {
		return fmt.Errorf("%q is not a valid policy member (%s); use user@example.com, @example.com, @.example.com or user@", s, why)
	}
	at := strings.LastIndexByte(m, '@')
	if at < 0 {
		return "", bad("no @")
	}
	local, domain := m[:at], m[at+1:]
	if local == "" && domain == "" {
		return "", bad("empty")
	}
	if local != "" && !validLocalPart(local) {
		return "", bad("bad user name")
	}
	if domain != "" {
		d := strings.TrimPrefix(domain, ".")
		if d != domain && local != "" {
			return "", bad("only @.domain may start the domain with a dot")
		}
		if !ValidDomain(d) {
			return "", bad("bad domain")
		}
	}
	return m, nil
}

// validLocalPart accepts RFC 5322 dot-atom local parts (section 3.2.3).
func validLocalPart(s string) bool {
	if len(s) > 64 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+/=?^_`{|}~.-", rune(c)) {
			return false
		}
	}
	return true
}
