package spf

import "testing"

// RFC 4407 section 2, step by step.
func TestPRASelection(t *testing.T) {
	cases := []struct {
		name, header, addr, field string
	}{
		{"from alone", "From: A <a@x.test>\r\n", "a@x.test", "From"},
		{"sender over from", "From: a@x.test\r\nSender: s@y.test\r\n", "s@y.test", "Sender"},
		{"resent-from over sender", "Resent-From: r@z.test\r\nSender: s@y.test\r\nFrom: a@x.test\r\n", "r@z.test", "Resent-From"},
		{"resent-sender first", "Resent-Sender: rs@w.test\r\nResent-From: r@z.test\r\nFrom: a@x.test\r\n", "rs@w.test", "Resent-Sender"},
		{"resent-sender of an older resending", "Resent-From: r@z.test\r\nReceived: from a by b\r\nResent-Sender: rs@w.test\r\nFrom: a@x.test\r\n", "r@z.test", "Resent-From"},
		{"resent-sender after resent-from, same resending", "Resent-From: r@z.test\r\nResent-Sender: rs@w.test\r\n", "rs@w.test", "Resent-Sender"},
		{"empty fields skipped", "Resent-From:  \r\nSender:\r\nFrom: a@x.test\r\n", "a@x.test", "From"},
		{"folded", "From: Somebody\r\n <a@x.test>\r\n", "a@x.test", "From"},
		{"two senders", "Sender: s@y.test\r\nSender: t@y.test\r\nFrom: a@x.test\r\n", "", ""},
		{"two from fields", "From: a@x.test\r\nFrom: b@x.test\r\n", "", ""},
		{"two mailboxes", "From: a@x.test, b@x.test\r\n", "", ""},
		{"no domain", "From: undisclosed\r\n", "", ""},
		{"no field", "Subject: hi\r\n", "", ""},
	}
	for _, tc := range cases {
		addr, field, ok := PRA([]byte(tc.header + "\r\nFrom: body@not.header\r\n"))
		if addr != tc.addr || field != tc.field || ok != (tc.addr != "") {
			t.Errorf("%s: %q %q %v, want %q %q", tc.name, addr, field, ok, tc.addr, tc.field)
		}
	}
}
