package store

import (
	"fmt"
	"strings"

	"seg/internal/address"
)

// The sender verification exception table (exceptionconfig, SPEC 10):
// envelope senders that skip DNS verification (ACCEPT) or are refused
// whatever their domain (REJECT). smtpd consults it first, before any
// lookup, when a policy has sender_verification and
// sender_verification_exceptions on.

// SenderException is one entry. Match is canonical: user@example.com
// (domain lower-cased), @example.com (that domain) or @.example.com
// (its subdomains).
type SenderException struct {
	Match  string `json:"match"`
	Action string `json:"action"`         // ACCEPT or REJECT
	Code   int    `json:"code,omitempty"` // REJECT only; 0: DefaultExceptionCode
	Text   string `json:"text,omitempty"` // REJECT only; "": DefaultExceptionText
}

// The reply to a sender refused by a REJECT entry without its own. The
// text may name $EnvelopeSender, as the sender verification texts do.
const (
	DefaultExceptionCode = 553
	DefaultExceptionText = "#5.7.1 Envelope sender <$EnvelopeSender> rejected"
)

// Reply is a REJECT entry's code and text, the defaults where it has
// none of its own.
func (e SenderException) Reply() (int, string) {
	code, text := e.Code, e.Text
	if code == 0 {
		code = DefaultExceptionCode
	}
	if text == "" {
		text = DefaultExceptionText
	}
	return code, text
}

// CanonSenderExceptionMatch checks an entry's address or domain and
// returns it canonical.
func CanonSenderExceptionMatch(s string) (string, error) {
	bad := fmt.Errorf("%s: not an address, @domain or @.domain", Excerpt(s))
	switch {
	case strings.HasPrefix(s, "@."):
		if !ValidDomain(s[2:]) {
			return "", bad
		}
		return strings.ToLower(s), nil
	case strings.HasPrefix(s, "@"):
		if !ValidDomain(s[1:]) {
			return "", bad
		}
		return strings.ToLower(s), nil
	}
	m, err := address.Parse(s)
	if err != nil {
		return "", bad
	}
	return address.LocalPart(m.Local) + "@" + m.DomainKey(), nil
}

// CheckSenderException validates a whole entry, as its fields are stored.
func CheckSenderException(e SenderException) error {
	if c, err := CanonSenderExceptionMatch(e.Match); err != nil {
		return err
	} else if c != e.Match {
		return fmt.Errorf("%s: not in canonical form (%s)", Excerpt(e.Match), c)
	}
	switch e.Action {
	case RATAccept:
		if e.Code != 0 || e.Text != "" {
			return fmt.Errorf("%s: an ACCEPT entry takes no response code or text", e.Match)
		}
		return nil
	case RATReject:
	default:
		return fmt.Errorf("%s: unknown action %s: choose ACCEPT or REJECT", e.Match, Excerpt(e.Action))
	}
	if e.Code != 0 && (e.Code < 400 || e.Code > 599) {
		return fmt.Errorf("%s: the response code for REJECT must be from 400 to 599 (553 is the standard code)", e.Match)
	}
	if strings.ContainsAny(e.Text, "\r\n") || e.Text != strings.TrimSpace(e.Text) {
		return fmt.Errorf("%s: the response text may not contain line breaks or begin or end with blanks", e.Match)
	}
	return nil
}

func (c *Config) validateSenderExceptions(p *problems) {
	seen := map[string]bool{}
	for _, e := range c.SenderExceptions {
		if err := CheckSenderException(e); err != nil {
			p.add("sender verification exception %v", err)
		}
		if seen[e.Match] {
			p.add("sender verification exception %s: listed twice", e.Match)
		}
		seen[e.Match] = true
	}
}

// SenderExceptionEntry returns the entry whose Match is match (any case).
func (c *Config) SenderExceptionEntry(match string) *SenderException {
	for i := range c.SenderExceptions {
		if strings.EqualFold(c.SenderExceptions[i].Match, match) {
			return &c.SenderExceptions[i]
		}
	}
	return nil
}

// MatchSenderException returns the entry that applies to the envelope
// sender local@domain, or nil: the most specific one wins (the address,
// then @domain, then the @.domain of the longest suffix), whatever the
// order of the table.
func (c *Config) MatchSenderException(local, domain string) *SenderException {
	domain = strings.ToLower(domain)
	if e := c.SenderExceptionEntry(address.LocalPart(local) + "@" + domain); e != nil {
		return e
	}
	if e := c.SenderExceptionEntry("@" + domain); e != nil {
		return e
	}
	for d := domain; ; {
		_, rest, ok := strings.Cut(d, ".")
		if !ok {
			return nil
		}
		if e := c.SenderExceptionEntry("@." + rest); e != nil {
			return e
		}
		d = rest
	}
}

// migrateSenderExceptionsParam rewrites sender_verification_exceptions
// as stored before it became on/off (it was an inert list): empty is
// off, anything else on, so that a configuration saved by an older seg
// still validates at its next commit (and a saved file still loads).
// Listener.UnmarshalJSON calls it.
func migrateSenderExceptionsParam(h *HAT) {
	fix := func(p Params) {
		if v, ok := p[senderExceptionsParam]; ok {
			if spec, ok := HATParams.Lookup(senderExceptionsParam); ok && !validValue(spec, v) {
				if strings.TrimSpace(v) == "" {
					p[senderExceptionsParam] = "off"
				} else {
					p[senderExceptionsParam] = "on"
				}
			}
		}
	}
	fix(h.Defaults)
	for j := range h.Policies {
		fix(h.Policies[j].Params)
	}
}

const senderExceptionsParam = "sender_verification_exceptions"

func validValue(s *ParamSpec, v string) bool { _, err := s.Canon(v); return err == nil }
