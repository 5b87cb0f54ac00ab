package configcmd

import (
	"strings"

	"seg/shell"
)

// choice is one answer of a numbered AsyncOS question: the canonical
// value stored in the configuration and the label shown.
type choice struct {
	value, label string
}

// labelOf returns the label of value (the value itself when unknown).
func labelOf(cs []choice, value string) string {
	for _, ch := range cs {
		if strings.EqualFold(ch.value, value) {
			return ch.label
		}
	}
	return value
}

// chooseValue asks a numbered question and returns the chosen value; the
// default is the current value.
func chooseValue(c *shell.Ctx, question string, cs []choice, cur string) (string, error) {
	items, def := choiceItems(cs, cur)
	i, err := shell.Choose(c, question, items, def)
	if err != nil {
		return "", err
	}
	return cs[i].value, nil
}

// chooseOwnValue is chooseValue for a setting of a domain entry: the
// answer default (shell.Inherit) returns "", no value of its own.
func chooseOwnValue(c *shell.Ctx, question string, cs []choice, cur string) (string, error) {
	items, def := choiceItems(cs, cur)
	i, err := shell.ChooseOrInherit(c, question, items, def)
	if err != nil || i < 0 {
		return "", err
	}
	return cs[i].value, nil
}

// choiceItems are the labels of cs and the 1-based number of cur (1
// when cur is none of them).
func choiceItems(cs []choice, cur string) ([]string, int) {
	items := make([]string, len(cs))
	def := 1
	for i, ch := range cs {
		items[i] = ch.label
		if strings.EqualFold(ch.value, cur) {
			def = i + 1
		}
	}
	return items, def
}

var (
	tlsChoices = []choice{
		{"off", "No"},
		{"on", "Preferred"},
		{"required", "Required"},
		{"on_verify", "Preferred - Verify"},
		{"require_verify", "Required - Verify"},
	}
	// tlsShort are the labels of LIST and DETAIL.
	tlsShort = []choice{
		{"off", "Off"},
		{"on", "Preferred"},
		{"required", "Required"},
		{"on_verify", "Preferred (Verify)"},
		{"require_verify", "Required (Verify)"},
	}
	daneChoices = []choice{
		{"off", "No"},
		{"opportunistic", "Opportunistic"},
		{"mandatory", "Mandatory"},
	}
	sortChoices = []choice{
		{"PREFER_V4", "Prefer IPv4"},
		{"PREFER_V6", "Prefer IPv6"},
		{"REQUIRE_V4", "Require IPv4"},
		{"REQUIRE_V6", "Require IPv6"},
	}
	// sortShort are the labels of LIST ("IP Address Preference").
	sortShort = []choice{
		{"PREFER_V4", "IPv4 Preferred"},
		{"PREFER_V6", "IPv6 Preferred"},
		{"REQUIRE_V4", "IPv4 Required"},
		{"REQUIRE_V6", "IPv6 Required"},
	}
	limitApplyChoices = []choice{
		{"system", "System Wide"},
		{"VG", "Per Virtual Gateway(tm)"},
	}
)

// limitTypeChoices names the domain in the first answer, as AsyncOS does.
func limitTypeChoices(domain string) []choice {
	whole := "One limit applies to the entire domain"
	if domain != "" {
		whole += " " + domain
	}
	return []choice{
		{"host", whole},
		{"MXIP", "Separate limit for each mail exchanger IP address"},
	}
}
