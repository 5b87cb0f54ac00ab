package spf

import (
	"net/mail"
	"strings"

	"seg/internal/msgheader"
)

// The Purported Responsible Address (RFC 4407 section 2) is the mailbox
// a message's header says is most recently responsible for sending it.
// Sender ID checks its domain the way SPF checks the MAIL FROM domain.

// headerField is one field of a message header, unfolded.
type headerField struct{ name, value string }

// PRA returns the Purported Responsible Address of the message whose
// header starts msg, and the name of the field it came from
// ("Resent-Sender", "Resent-From", "Sender" or "From"). ok is false when
// the message has none (RFC 4407 section 2, step 6): the chosen field is
// missing, repeated, or does not hold exactly one mailbox with a domain.
func PRA(msg []byte) (addr, field string, ok bool) {
	fields := headerFields(msg)
	nonEmpty := func(name string) []int {
		var at []int
		for i, f := range fields {
			if strings.EqualFold(f.name, name) && strings.TrimSpace(f.value) != "" {
				at = append(at, i)
			}
		}
		return at
	}
	pick := -1
	resentSender, resentFrom := nonEmpty("Resent-Sender"), nonEmpty("Resent-From")
	// Step 1: the first Resent-Sender, unless a Resent-From before it is
	// followed by a Received or Return-Path field before it: then the
	// Resent-Sender belongs to an older resending.
	if len(resentSender) > 0 {
		pick = resentSender[0]
		if len(resentFrom) > 0 && resentFrom[0] < pick && traceBetween(fields, resentFrom[0], pick) {
			pick = -1
		}
	}
	// Step 2: the first Resent-From.
	if pick < 0 && len(resentFrom) > 0 {
		pick = resentFrom[0]
	}
	// Steps 3 and 4: the Sender field, else the From field; exactly one.
	for _, name := range []string{"Sender", "From"} {
		if pick >= 0 {
			break
		}
		at := nonEmpty(name)
		if len(at) > 1 {
			return "", "", false
		}
		if len(at) == 1 {
			pick = at[0]
		}
	}
	if pick < 0 {
		return "", "", false
	}
	// Step 5: one well-formed mailbox with a domain.
	list, err := mail.ParseAddressList(fields[pick].value)
	if err != nil || len(list) != 1 {
		return "", "", false
	}
	at := strings.LastIndexByte(list[0].Address, '@')
	if at <= 0 || at == len(list[0].Address)-1 {
		return "", "", false
	}
	return list[0].Address, canonicalName(fields[pick].name), true
}

// traceBetween reports a Received or Return-Path field strictly between
// fields i and j.
func traceBetween(fields []headerField, i, j int) bool {
	for _, f := range fields[i+1 : j] {
		if strings.EqualFold(f.name, "Received") || strings.EqualFold(f.name, "Return-Path") {
			return true
		}
	}
	return false
}

// canonicalName spells the PRA field names as RFC 5322 does.
func canonicalName(name string) string {
	for _, n := range []string{"Resent-Sender", "Resent-From", "Sender", "From"} {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return name
}

// headerFields is the header of msg (up to the first empty line) as its
// fields in order, unfolded (RFC 5322 section 2.2.3); a line without a
// colon is no field here.
func headerFields(msg []byte) []headerField {
	all, _ := msgheader.Split(msg)
	out := make([]headerField, 0, len(all))
	for _, f := range all {
		if f.Colon && f.Name() != "" {
			out = append(out, headerField{name: f.Name(), value: f.Value()})
		}
	}
	return out
}
