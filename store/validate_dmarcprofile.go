package store

// validateDMARCProfiles checks that every mail flow policy's dmarc_profile
// names a DMARC profile that exists (DEFAULT is built in): smtpd looks
// the profile up for each message, and a name that names nothing would
// leave it without the actions to take (SPEC 12).
func (c *Config) validateDMARCProfiles(p *problems) {
	for _, l := range c.Listeners {
		check := func(what string, params Params) {
			name, ok := params[dmarcProfile]
			if !ok {
				return
			}
			if _, found := c.DMARC.Profile(name); !found {
				p.add("listener %q: %s: dmarc_profile names DMARC profile %q, which does not exist", l.Name, what, name)
			}
		}
		check("HAT default policy", l.HAT.Defaults)
		for _, f := range l.HAT.Policies {
			check("HAT policy "+shortName(f.Name), f.Params)
		}
	}
}

// dmarcProfile is the parameter that names a DMARC profile.
const dmarcProfile = "dmarc_profile"
