package smtpd

import (
	"testing"

	"seg/store"
)

func TestRATMatch(t *testing.T) {
	rat := []store.RATEntry{
		{Entry: "postmaster@blocked.test", Action: store.RATReject, Code: 551, Text: "Go elsewhere"},
		{Entry: "blocked.test", Action: store.RATAccept},
		{Entry: "abuse@", Action: store.RATAccept},
		{Entry: ".sub.test", Action: store.RATAccept},
		{Entry: "Example.COM", Action: store.RATAccept},
		{Entry: "[192.0.2.1]", Action: store.RATAccept},
		{Entry: "ALL", Action: store.RATReject},
	}
	for _, tc := range []struct {
		addr, entry string
	}{
		{"postmaster@blocked.test", "postmaster@blocked.test"},
		{"POSTMASTER@Blocked.Test", "postmaster@blocked.test"},
		{"other@blocked.test", "blocked.test"},
		{"abuse@anywhere.test", "abuse@"},
		{"abuse2@anywhere.test", "ALL"},
		{"x@a.sub.test", ".sub.test"},
		{"x@a.b.sub.test", ".sub.test"},
		{"x@sub.test", "ALL"}, // .domain is subdomains only
		{"x@xsub.test", "ALL"},
		{"x@example.com", "Example.COM"},
		{"x@example.com.", "Example.COM"},
		{"x@mail.example.com", "ALL"},
		{"x@example.com.evil.test", "ALL"},
		{"x@[192.0.2.1]", "[192.0.2.1]"},
		{"x@[192.0.2.2]", "ALL"},
		{"weird\"@\"local@example.com", "Example.COM"},
	} {
		e := matchRAT(rat, tc.addr)
		if e == nil || e.Entry != tc.entry {
			t.Errorf("%s matched %v, want %s", tc.addr, e, tc.entry)
		}
	}
	if e := matchRAT(nil, "x@example.com"); e != nil {
		t.Errorf("empty RAT matched %v", e)
	}
}

func TestRATReject(t *testing.T) {
	for _, tc := range []struct {
		e    *store.RATEntry
		code int
		ec   enhancedCode
		text string
	}{
		{nil, 550, enhancedCode{5, 7, 1}, "Recipient address rejected"},
		{&store.RATEntry{Entry: "ALL", Action: "REJECT"}, 550, enhancedCode{5, 7, 1}, "Recipient address rejected"},
		{&store.RATEntry{Code: 551, Text: "Go elsewhere"}, 551, enhancedCode{5, 7, 1}, "Go elsewhere"},
		{&store.RATEntry{Code: 450, Text: "Later"}, 450, enhancedCode{4, 7, 1}, "Later"},
		{&store.RATEntry{Code: 550, Text: "#5.1.1 No such user"}, 550, noEnhancedCode, "#5.1.1 No such user"},
		{&store.RATEntry{Code: 550, Text: "5.1.1 No such user"}, 550, noEnhancedCode, "5.1.1 No such user"},
		{&store.RATEntry{Code: 550, Text: "5.1 is not a code"}, 550, enhancedCode{5, 7, 1}, "5.1 is not a code"},
	} {
		got := ratReject(tc.e)
		if got.Code != tc.code || got.EnhancedCode != tc.ec || got.Message != tc.text {
			t.Errorf("ratReject(%+v) = %+v", tc.e, got)
		}
	}
}
