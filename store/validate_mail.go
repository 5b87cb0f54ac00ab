package store

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

func (c *Config) validateDest(p *problems) {
	checkParams(p, "destconfig DEFAULT", DestParams, c.DestDefault, DestParams.Required())
	profiles := make(map[string]bool, len(c.Bounce))
	for _, b := range c.Bounce {
		profiles[strings.ToLower(b.Name)] = true
	}
	checkDestEffective(p, "destconfig DEFAULT", c.DestDefault, nil, profiles)
	seen := make(map[string]string, len(c.Destinations))
	for _, d := range c.Destinations {
		obj := "destconfig " + strconv.Quote(d.Domain)
		switch {
		case strings.EqualFold(d.Domain, "DEFAULT"):
			p.add("%s: DEFAULT is the default entry, not a domain", obj)
		case !ValidDomain(d.Domain):
			p.add("%s: not a valid domain", obj)
		}
		if prev, ok := seen[strings.ToLower(d.Domain)]; ok {
			p.add("%s: domain is already listed as %q", obj, prev)
		} else {
			seen[strings.ToLower(d.Domain)] = d.Domain
		}
		checkParams(p, obj, DestParams, d.Params, nil)
		checkDestEffective(p, obj, d.Params, c.DestDefault, profiles)
	}
	if c.DestSetup.CertFile == "" != (c.DestSetup.KeyFile == "") {
		p.add("destconfig setup: a TLS certificate needs both a certificate file and a key file")
	}
	checkFileNames(p, "destconfig setup", map[string]string{"certificate": c.DestSetup.CertFile, "key": c.DestSetup.KeyFile})
	if n := c.DestSetup.Certificate; n != "" && c.Cert(n) == nil {
		p.add("destconfig setup: certificate %s does not exist (certconfig print lists them)", shortName(n))
	}
}

// checkDestEffective checks what only the complete parameters (own over
// DEFAULT's; for DEFAULT itself own is DEFAULT and def nil) decide. It looks through both maps rather than building the
// overlay: large trees hold thousands of entries.
func checkDestEffective(p *problems, obj string, own, def Params, profiles map[string]bool) {
	get := func(k string) (string, bool) {
		if v, ok := own[k]; ok {
			return v, true
		}
		v, ok := def[k]
		return v, ok
	}
	if err := CheckRecipientLimit(own, def); err != nil {
		p.add("%s: %v", obj, err)
	}
	if err := CheckSourceIP(own["source_ip"]); err != nil {
		p.add("%s: %v", obj, err)
	}
	if b, ok := get("bounce_profile"); ok && !profiles[strings.ToLower(b)] {
		p.add("%s: bounce_profile: no bounce profile named %q", obj, b)
	}
}

func (c *Config) validateBounce(p *problems) {
	if len(c.Bounce) == 0 || c.Bounce[0].Name != "Default" {
		p.add("bounce profile \"Default\": must exist and come first")
	}
	seen := map[string]string{}
	for i, b := range c.Bounce {
		obj := "bounce profile " + shortName(b.Name)
		if err := CheckBounceProfileName(b.Name); err != nil {
			p.add("%s: %v", obj, err)
		}
		if prev, ok := seen[strings.ToLower(b.Name)]; ok {
			p.add("%s: name is already used by bounce profile %q", obj, prev)
		} else {
			seen[strings.ToLower(b.Name)] = b.Name
		}
		var req []string
		if i == 0 && b.Name == "Default" {
			req = BounceParams.Required()
		}
		checkParams(p, obj, BounceParams, b.Params, req)
		if a := b.Params["bounce_address"]; a != "" && !ValidAddress(a) {
			p.add("%s: bounce_address %q is not a valid email address", obj, a)
		}
		if err := CheckRetryOrder(c.BounceParams(b.Name)); err != nil {
			p.add("%s: %v", obj, err)
		}
	}
}

// CheckSourceIP checks a canonical source_ip value: IP addresses (no
// zone), each once. An outbound connection is bound to one of them, so
// that each must be an address of this machine; that is learnt when the
// connection is made (a failure keeps the mail queued).
func CheckSourceIP(v string) error {
	if v == "" {
		return nil
	}
	seen := map[netip.Addr]bool{}
	for _, s := range strings.Split(v, ",") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" || a.IsUnspecified() || a.IsMulticast() {
			return fmt.Errorf("source_ip: %s is not an IP address of this machine", Excerpt(s))
		}
		if seen[a.Unmap()] {
			return fmt.Errorf("source_ip: %s is listed twice", Excerpt(s))
		}
		seen[a.Unmap()] = true
	}
	return nil
}

// CheckRecipientLimit checks a destconfig entry's own parameters over
// DEFAULT's (own is DEFAULT and def nil for DEFAULT itself): a recipient
// limit the entry sets needs the minutes it is measured over, from the
// entry or from DEFAULT. A limit it inherits is DEFAULT's to check.
func CheckRecipientLimit(own, def Params) error {
	if v, ok := own["recipient_limit"]; !ok || v == "0" {
		return nil
	}
	if own.Has("recipient_minutes") || def.Has("recipient_minutes") {
		return nil
	}
	return errors.New("recipient_limit needs recipient_minutes (1-60)")
}

// CheckRetryOrder checks a bounce profile's effective parameters (its
// own over Default's): the first wait may not be longer than the longest
// (SPEC 5). Values that are missing or do not parse are left to the
// per-parameter checks.
func CheckRetryOrder(eff Params) error {
	first, err1 := strconv.ParseInt(eff["initial_retry"], 10, 64)
	most, err2 := strconv.ParseInt(eff["max_retry_timeout"], 10, 64)
	if err1 == nil && err2 == nil && first > most {
		return fmt.Errorf("initial_retry (%d seconds) must not exceed max_retry_timeout (%d seconds)", first, most)
	}
	return nil
}

// validatePolicies checks one mail policy table (which is "incoming" or
// "outgoing").
func (c *Config) validatePolicies(p *problems, which string, ps []MailPolicy) {
	table := which + " policies"
	seen := map[string]string{}
	for i, m := range ps {
		obj := fmt.Sprintf("%s policy %s", which, shortName(m.Name))
		last := i == len(ps)-1
		if err := CheckMailPolicyName(m.Name); err != nil {
			p.add("%s: %v", obj, err)
		}
		if prev, ok := seen[strings.ToLower(m.Name)]; ok {
			p.add("%s: name is already used by policy %q", obj, prev)
		} else {
			seen[strings.ToLower(m.Name)] = m.Name
		}
		switch {
		case m.Name == "DEFAULT" && !last:
			p.add("%s: DEFAULT must be the last policy", obj)
		case m.Name == "DEFAULT" && (len(m.Senders) > 0 || len(m.Recipients) > 0):
			p.add("%s: DEFAULT matches every message and has no senders or recipients", obj)
		case m.Name != "DEFAULT" && len(m.Recipients) == 0:
			p.add("%s: needs at least one recipient", obj)
		}
		for _, s := range m.Senders {
			if _, err := CanonPolicyMember(s); err != nil {
				p.add("%s: sender: %v", obj, err)
			}
		}
		for _, r := range m.Recipients {
			if _, err := CanonPolicyMember(r); err != nil {
				p.add("%s: recipient: %v", obj, err)
			}
		}
		c.checkPolicyTDC(p, which, obj, m)
	}
	if n := len(ps); n == 0 || ps[n-1].Name != "DEFAULT" {
		p.add("%s: the last policy must be DEFAULT", table)
	}
}

func (c *Config) checkPolicyTDC(p *problems, which, obj string, m MailPolicy) {
	if which == "outgoing" {
		if m.TDC != "" && m.TDC != TDCOff {
			p.add("%s: the Threat Defense Connector applies to incoming mail only", obj)
		}
		return
	}
	switch m.TDC {
	case "", TDCOff:
	case TDCInherit:
		if equalFold(m.Name, DefaultPolicyName) {
			p.add("%s: the DEFAULT policy has no policy to inherit its TDC setting from", obj)
		}
	case TDCDefault:
		if c.TDC.Enabled && c.TDC.IntakeAddress == "" {
			p.add("%s: TDC default needs the message intake address (tdcconfig setup --intake ADDRESS)", obj)
		}
	case TDCCustom:
		if !ValidAddress(m.TDCAddress) {
			p.add("%s: TDC custom address %q is not a valid email address", obj, m.TDCAddress)
		}
	default:
		p.add("%s: TDC %q must be off, default, custom or inherit", obj, m.TDC)
	}
}

func (c *Config) validateTDC(p *problems) {
	a := c.TDC.IntakeAddress
	switch {
	case c.TDC.Enabled && a == "":
		p.add("tdc: enabled without a message intake address")
	case a != "" && !ValidAddress(a):
		p.add("tdc: intake address %q is not a valid email address", a)
	}
}
