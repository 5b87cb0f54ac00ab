package store

// TDCInherit is the TDC mode of an incoming policy other than DEFAULT
// that has no setting of its own: it uses the DEFAULT policy's, whatever
// that is when a message arrives (AsyncOS's DEFAULT in each policy's
// engine submenu: "use the policy-table default").
const TDCInherit = "inherit"

// EffectiveTDC is the TDC mode and custom address an incoming policy
// applies: its own, or, under TDCInherit, the DEFAULT policy's (off when
// there is none to inherit, which Validate refuses).
func (c *Config) EffectiveTDC(p *MailPolicy) (mode, address string) {
	if p.TDC != TDCInherit {
		return p.TDC, p.TDCAddress
	}
	for i := range c.Incoming {
		d := &c.Incoming[i]
		if equalFold(d.Name, DefaultPolicyName) && d.TDC != TDCInherit {
			return d.TDC, d.TDCAddress
		}
	}
	return TDCOff, ""
}
