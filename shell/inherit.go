package shell

import "strings"

// Inherit is the one spelling, in any case, of "no value of its own
// here: use the one above", as a batch value (--PARAM=default) and as an
// answer to a value question, wherever a setting has a level above it:
// a destconfig domain entry (DEFAULT's value), a mail flow policy (the
// listener's default policy parameters), a bounce profile (the Default
// profile's). It is AsyncOS's own word in both places that had one:
// hostaccess batch ("max_conn" can only be "default" when working with
// policies) and bounceconfig ("Default").
//
// A value that must name an object the configuration holds is that
// name even when it reads "default": destconfig's bounce_profile, where
// a profile called Default always exists, so that
// --bounce_profile=Default keeps choosing it (a domain inherits
// DEFAULT's profile with --bounce_profile= instead). HAT's dmarc_profile
// names nothing seg holds (it has no DMARC profiles), so there
// "default" inherits like any other value, as it always did.
const Inherit = "default"

// Inherits reports whether a batch value or an answer is Inherit.
func Inherits(v string) bool { return strings.EqualFold(strings.TrimSpace(v), Inherit) }

// InheritNote is the usage note of an edit form whose values may be
// Inherit; above says whose value that means.
func InheritNote(above string) string {
	return "(VALUE " + Inherit + ": use the value of " + above + ")"
}
