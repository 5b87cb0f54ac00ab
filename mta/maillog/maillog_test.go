package maillog

import "testing"

// TestRepr checks the quoting against Python's repr() of the same str,
// and against the real lines it must reproduce (reference/mail_logs.sample).
func TestRepr(t *testing.T) {
	for in, want := range map[string]string{
		"<op.zfdwolzf0ubsb2@mathew.cisco.com>":           `'<op.zfdwolzf0ubsb2@mathew.cisco.com>'`,
		"<Lands'End.6cl2sv--1f.tlmd@email.landsend.com>": `"<Lands'End.6cl2sv--1f.tlmd@email.landsend.com>"`,  // S:184
		`"Amy Phillips" <midlandThoth's@moscowmail.com>`: `'"Amy Phillips" <midlandThoth\'s@moscowmail.com>'`, // S:272
		"2.0.0 Ok: queued as X":                          "'2.0.0 Ok: queued as X'",
		`both ' and "`:                                   `'both \' and "'`,
		`back\slash`:                                     `'back\\slash'`,
		"tab\tcr\rlf\nnul\x00del\x7f":                    `'tab\tcr\rlf\nnul\x00del\x7f'`,
		"caf\xc3\xa9":                                    "'caf\xc3\xa9'",
		"bad \xff byte":                                  `'bad \xff byte'`,
		"":                                               `''`,
	} {
		if got := Repr(in); got != want {
			t.Errorf("Repr(%q) = %s, want %s", in, got, want)
		}
	}
}
