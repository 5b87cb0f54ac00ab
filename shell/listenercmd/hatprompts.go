package listenercmd

import (
	"strconv"
	"strings"

	"seg/shell"
	"seg/store"
)

// The mail flow policy parameter questions, in AsyncOS's order
// (reference 2.4), for the parameters seg has (store.HATParams). Each
// question shows the current value as its default. For a policy the
// values are its effective ones (listener defaults overlaid with its
// overrides); an answer that changes a value becomes an override, one
// that keeps it changes nothing, and "default" drops the override.

// hasParams reports whether a behaviour has parameters to ask about:
// TCPREFUSE closes the connection and CONTINUE goes on matching.
func hasParams(behavior string) bool {
	switch behavior {
	case store.BehaviorTCPRefuse, store.BehaviorContinue:
		return false
	}
	return true
}

type paramEditor struct {
	c     *shell.Ctx
	h     *store.HAT
	pol   *store.FlowPolicy // nil: the listener's default policy parameters
	notes store.InertNotes
}

// q is a question about parameter name, with why seg does not enforce it
// the first time that reason comes up.
func (e *paramEditor) q(question, name string) string {
	return e.notes.Question(store.HATParams, question, name)
}

// useDefault is what a value checker returns for the answer "default".
const useDefault = "\x00default"

func (e *paramEditor) value(name string) string {
	if e.pol != nil {
		if v, ok := e.pol.Params[name]; ok {
			return v
		}
	}
	return e.h.Defaults[name]
}

func (e *paramEditor) on(name string) bool { return e.value(name) == "on" }

func (e *paramEditor) set(name, v string) {
	switch {
	case v == useDefault:
		delete(e.pol.Params, name)
	case v != e.value(name):
		// v is canonical, so this cannot fail.
		_ = setParam(e.h, e.pol, name, v)
	}
}

// displayValue shows sizes as AsyncOS does (10M, 512k).
func displayValue(name, v string) string {
	s, _ := store.HATParams.Lookup(name)
	if s == nil || s.Kind != store.KindSize {
		return v
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil || n <= 0:
		return v
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "M"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "k"
	}
	return v
}

// check returns a checker for a parameter: its spec's Canon, "default"
// for policies, extra limits from more.
func (e *paramEditor) check(name string, required bool, more func(string) error) func(string) (string, error) {
	spec, _ := store.HATParams.Lookup(name)
	return func(s string) (string, error) {
		if e.pol != nil && shell.Inherits(s) {
			return useDefault, nil
		}
		if required && strings.TrimSpace(s) == "" {
			return "", shell.Errorf("You must enter a value.")
		}
		if spec.Kind == store.KindList && strings.EqualFold(s, "none") {
			s = ""
		}
		v, err := spec.Canon(s)
		if err != nil {
			return "", shell.AsUser(err)
		}
		if more != nil {
			if err := more(v); err != nil {
				return "", err
			}
		}
		return v, nil
	}
}

func (e *paramEditor) askValue(question, name string) error {
	v, err := shell.Ask(e.c, e.q(question, name), displayValue(name, e.value(name)), e.check(name, false, nil))
	if err == nil {
		e.set(name, v)
	}
	return err
}

// askLimit asks for a limit that the gate question just enabled: the
// current value is the default unless it means "off".
func (e *paramEditor) askLimit(question, name, off string, min int64) error {
	def := e.value(name)
	if def == off {
		def = ""
	}
	v, err := shell.Ask(e.c, e.q(question, name), def, e.check(name, true, func(v string) error {
		if n, _ := strconv.ParseInt(v, 10, 64); n < min {
			return shell.Errorf("Value must be at least %d.", min)
		}
		return nil
	}))
	if err == nil {
		e.set(name, v)
	}
	return err
}

func (e *paramEditor) askRequiredValue(question, name string) error {
	v, err := shell.Ask(e.c, e.q(question, name), e.value(name), e.check(name, true, nil))
	if err == nil {
		e.set(name, v)
	}
	return err
}

func (e *paramEditor) askYN(question, name string) (bool, error) {
	yes, err := shell.AskYN(e.c, e.q(question, name), e.on(name))
	if err == nil {
		e.set(name, shell.OnOff(yes))
	}
	return yes, err
}

// askChoice asks for one of values (shown as labels).
func (e *paramEditor) askChoice(question, name string, labels, values []string) (string, error) {
	def := 1
	for i, v := range values {
		if v == e.value(name) {
			def = i + 1
		}
	}
	i, err := shell.ChooseNamed(e.c, e.q(question, name), labels, values, def)
	if err != nil {
		return "", err
	}
	e.set(name, values[i])
	return values[i], nil
}

// response asks "Would you like to specify a custom SMTP ... response?"
// and then the code and text; "no" puts back the standard code and the
// default text.
func (e *paramEditor) response(what, codeName, textName string) error {
	std := store.DefaultHATParams()
	custom := e.value(codeName) != std[codeName] || e.value(textName) != std[textName]
	yes, err := shell.AskYN(e.c, e.q("Would you like to specify a custom SMTP "+what+" response?", codeName), custom)
	if err != nil {
		return err
	}
	if !yes {
		e.set(codeName, std[codeName])
		e.set(textName, std[textName])
		return nil
	}
	if err := e.askValue("Enter the SMTP code to use in the response. "+std[codeName]+" is the standard code.", codeName); err != nil {
		return err
	}
	return e.askValue("Enter your custom SMTP "+what+" response.", textName)
}

// editParams asks the parameter questions for a policy (pol) or for the
// listener defaults (pol nil).
func editParams(c *shell.Ctx, h *store.HAT, pol *store.FlowPolicy) error {
	e := &paramEditor{c: c, h: h, pol: pol, notes: store.InertNotes{}}
	if pol != nil {
		if pol.Params == nil {
			pol.Params = store.Params{}
		}
		c.Printf("\nAnswer \"default\" to a value question to use the listener's default value.\n")
		if pol.Behavior == store.BehaviorReject {
			return e.response("rejection", "reject_banner_code", "reject_banner_text")
		}
	}
	steps := []func() error{
		func() error {
			return e.askValue("Enter the maximum message size. Add a trailing k for kilobytes, M for megabytes, or no letter for bytes.", "max_message_size")
		},
		func() error {
			return e.askValue("Enter the maximum number of concurrent connections allowed from a single IP address.", "max_concurrency")
		},
		func() error {
			return e.askValue("Enter the maximum number of messages per connection.", "max_msgs_per_session")
		},
		func() error {
			return e.askValue("Enter the maximum number of recipients per message.", "max_rcpts_per_msg")
		},
		func() error {
			yes, err := e.askYN("Do you want to override the hostname in the SMTP banner?", "use_override_hostname")
			if err != nil || !yes {
				return err
			}
			return e.askRequiredValue("Enter the hostname to use in the SMTP banner.", "override_hostname")
		},
		func() error { return e.response("acceptance", "smtp_banner_code", "smtp_banner_text") },
		func() error { return e.response("rejection", "reject_banner_code", "reject_banner_text") },
		func() error {
			yes, err := shell.AskYN(c, e.q("Do you want to enable rate limiting per host?", "max_rcpts_per_hour"), e.value("max_rcpts_per_hour") != "-1")
			if err != nil {
				return err
			}
			if !yes {
				e.set("max_rcpts_per_hour", "-1")
				return nil
			}
			if err := e.askLimit("Enter the maximum number of recipients per hour from a remote host.", "max_rcpts_per_hour", "-1", 1); err != nil {
				return err
			}
			return e.response("limit exceeded", "max_rcpts_per_hour_code", "max_rcpts_per_hour_text")
		},
		func() error {
			yes, err := shell.AskYN(c, e.q("Do you want to enable rate limiting per envelope sender?", "sender_rate_limit"), e.value("sender_rate_limit") != "-1")
			if err != nil {
				return err
			}
			if !yes {
				e.set("sender_rate_limit", "-1")
				return nil
			}
			if err := e.askLimit("Enter the maximum number of recipients per time interval from an envelope sender.", "sender_rate_limit", "-1", 1); err != nil {
				return err
			}
			if err := e.askValue("Enter the time interval in minutes for Envelope Sender Rate Limiting.", "sender_rate_minutes"); err != nil {
				return err
			}
			if err := e.response("envelope sender limit exceeded", "sender_rate_code", "sender_rate_text"); err != nil {
				return err
			}
			return e.askValue("Enter the address lists (addresslistconfig) that define exceptions, separated by commas (\"none\" for no exceptions).", "sender_rate_exceptions")
		},
		func() error {
			yes, err := shell.AskYN(c, e.q("Do you want to enable Directory Harvest Attack Prevention per host?", "dhap_limit"), e.value("dhap_limit") != "0")
			if err != nil {
				return err
			}
			if !yes {
				e.set("dhap_limit", "0")
				return nil
			}
			if err := e.askLimit("Enter the maximum number of invalid recipients per hour from a remote host.", "dhap_limit", "0", 1); err != nil {
				return err
			}
			if _, err := e.askYN("Do you want to drop the connection when the limit is exceeded?", "dhap_drop"); err != nil {
				return err
			}
			return e.response("Directory Harvest Attack Prevention", "dhap_code", "dhap_text")
		},
		func() error {
			yes, err := e.askYN("Would you like to use SenderBase for flow control by default?", "use_sb")
			if err != nil || yes {
				return err
			}
			group, err := shell.AskYN(c, e.q("Would you like to group hosts by the similarity of their IP addresses?", "sig_bits"), e.value("sig_bits") != "32")
			if err != nil {
				return err
			}
			if !group {
				e.set("sig_bits", "32")
				return nil
			}
			return e.askValue("Enter the number of bits of IP address to treat as significant, from 0 to 32.", "sig_bits")
		},
		func() error {
			_, err := e.askYN("Would you like to enable anti-spam scanning?", "spam_check")
			return err
		},
		func() error {
			_, err := e.askYN("Would you like to enable anti-virus scanning?", "virus_check")
			return err
		},
		func() error {
			v, err := e.askChoice("Do you want to allow encrypted TLS connections?", "tls", []string{"No", "Preferred", "Required"}, []string{"off", "preferred", "required"})
			if err != nil || v == "off" {
				return err
			}
			_, err = e.askYN("Would you like to verify client certificates?", "tls_verify_client")
			return err
		},
		e.askSMTPAuth,
		func() error {
			_, err := e.askYN("Would you like to enable DKIM signing?", "dkim_signing")
			return err
		},
		func() error {
			_, err := e.askYN("Would you like to enable DKIM verification?", "dkim_verification")
			return err
		},
		func() error {
			change, err := shell.AskYN(c, e.q("Would you like to change SPF/SIDF settings?", "spf"), false)
			if err != nil || !change {
				return err
			}
			yes, err := e.askYN("Would you like to perform SPF/SIDF verification?", "spf")
			if err != nil || !yes {
				return err
			}
			level, err := e.askChoice("What Conformance Level would you like to use?", "spf_conformance",
				[]string{"SPF only", "SIDF compatible", "SIDF strict"}, []string{"spf", "sidf_compatible", "sidf"})
			if err != nil {
				return err
			}
			if level == "sidf_compatible" {
				if _, err := e.askYN("Would you like to downgrade the PRA verification result when Resent-Sender: or Resent-From: is used?", "spf_downgrade_pra"); err != nil {
					return err
				}
			}
			if _, err = e.askYN("Would you like to perform a test of the HELO identity?", "spf_helo_test"); err != nil {
				return err
			}
			_, err = e.askChoice("What SMTP action should be taken if an SPF/SIDF check returns Fail?", "spf_fail_action",
				[]string{"Accept", "Reject"}, []string{"accept", "reject"})
			return err
		},
		func() error {
			yes, err := e.askYN("Would you like to enable DMARC verification?", "dmarc_verification")
			if err != nil || !yes {
				return err
			}
			if err := e.askRequiredValue("Enter the DMARC verification profile to use.", "dmarc_profile"); err != nil {
				return err
			}
			_, err = e.askYN("Would you like to send DMARC aggregate feedback reports?", "dmarc_send_reports")
			return err
		},
		func() error {
			yes, err := e.askYN("Would you like to enable envelope sender verification?", "sender_verification")
			if err != nil || !yes {
				return err
			}
			// AsyncOS's order: malformed, does not resolve, does not exist.
			for _, r := range [][3]string{
				{"malformed envelope sender", "sender_malformed_code", "sender_malformed_text"},
				{"envelope sender domain does not resolve", "sender_tempfail_code", "sender_tempfail_text"},
				{"envelope sender domain does not exist", "sender_nxdomain_code", "sender_nxdomain_text"},
			} {
				if err := e.response(r[0], r[1], r[2]); err != nil {
					return err
				}
			}
			_, err = e.askYN("Would you like to enable use of the domain exception table?", "sender_verification_exceptions")
			return err
		},
		func() error {
			_, err := e.askYN("Would you like to accept untagged bounces?", "accept_untagged_bounces")
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// askSMTPAuth asks the SMTP AUTH questions: allow, then, unless off,
// TLS first and relaying (the listener's SMTPAUTH menu asks them too).
func (e *paramEditor) askSMTPAuth() error {
	v, err := e.askChoice("Do you want to allow SMTP authentication?", "smtpauth_allow", []string{"No", "Preferred", "Required"}, []string{"off", "on", "required"})
	if err != nil || v == "off" {
		return err
	}
	if _, err = e.askYN("Require TLS to offer SMTP authentication?", "smtpauth_requiretls"); err != nil {
		return err
	}
	_, err = e.askYN("Allow authenticated clients to relay?", "smtpauth_relay")
	return err
}
