package store

import "testing"

func TestMatchMember(t *testing.T) {
	tests := []struct {
		member, addr string
		want         bool
	}{
		{"joe@example.com", "joe@example.com", true},
		{"joe@example.com", "JOE@Example.COM", true},
		{"Joe@Example.com", "joe@example.com", true},
		{"joe@example.com", "jo@example.com", false},
		{"joe@example.com", "joe@example.org", false},
		{"@example.com", "anyone@example.com", true},
		{"@example.com", "anyone@sub.example.com", false},
		{"@example.com", "anyone@badexample.com", false},
		{"@.example.com", "anyone@sub.example.com", true},
		{"@.example.com", "anyone@a.b.example.com", true},
		{"@.example.com", "anyone@example.com", false},
		{"@.example.com", "anyone@badexample.com", false},
		{"joe@", "joe@example.com", true},
		{"joe@", "JOE@other.org", true},
		{"joe@", "joey@example.com", false},
		{"joe@", "<joe@example.com>", true},
		{"@example.com", "joe@example.com.", true},
		{"@example.com", "", false},
		{"joe@", "", false},
		{"example.com", "joe@example.com", false},
		{"\"a@b\"@example.com", "\"a@b\"@example.com", true},
	}
	for _, tc := range tests {
		if got := MatchMember(tc.member, tc.addr); got != tc.want {
			t.Errorf("MatchMember(%q, %q) = %v, want %v", tc.member, tc.addr, got, tc.want)
		}
	}
}

func TestMatchPolicy(t *testing.T) {
	table := []MailPolicy{
		{Name: "ceo", Senders: []string{"@partner.org"}, Recipients: []string{"boss@example.com"}},
		{Name: "sales", Recipients: []string{"@sales.example.com", "sales@"}},
		{Name: DefaultPolicyName},
		{Name: "after-default", Recipients: []string{"@late.example.com"}},
		{Name: "sender-only", Senders: []string{"@.example.com"}},
		{Name: "empty"},
		{Name: "outbound", Senders: []string{"@.example.com"}, Recipients: []string{"@elsewhere.net"}},
	}
	tests := []struct {
		sender, rcpt, want string
	}{
		{"x@partner.org", "boss@example.com", "ceo"},
		{"X@PARTNER.ORG", "Boss@Example.com", "ceo"},
		{"x@other.org", "boss@example.com", "DEFAULT"},
		{"", "boss@example.com", "DEFAULT"},
		{"x@other.org", "a@sales.example.com", "sales"},
		{"", "a@sales.example.com", "sales"},
		{"x@other.org", "sales@anything.net", "sales"},
		// DEFAULT is tried last even when it is not the last row.
		{"x@other.org", "a@late.example.com", "after-default"},
		// A policy without recipients matches nothing.
		{"me@mail.example.com", "you@elsewhere.net", "outbound"},
		{"me@mail.example.com", "you@other.net", "DEFAULT"},
		{"me@example.com", "you@elsewhere.net", "DEFAULT"},
		{"<>", "you@elsewhere.net", "DEFAULT"},
	}
	for _, tc := range tests {
		p := MatchPolicy(table, tc.sender, tc.rcpt)
		if p == nil || p.Name != tc.want {
			t.Errorf("MatchPolicy(%q, %q) = %v, want %s", tc.sender, tc.rcpt, p, tc.want)
		}
	}
	if p := MatchPolicy(table, "", "a@sales.example.com"); p != &table[1] {
		t.Error("MatchPolicy does not point into the table")
	}
	if p := MatchPolicy(table[:2], "a@b.c", "nobody@nowhere.net"); p != nil {
		t.Errorf("no DEFAULT and no match: got %q, want nil", p.Name)
	}
	if p := MatchPolicy(nil, "a@b.c", "d@e.f"); p != nil {
		t.Error("empty table matched")
	}
}

func TestCanonPolicyMember(t *testing.T) {
	good := map[string]string{
		"Joe@Example.COM": "joe@example.com",
		" @example.com ":  "@example.com",
		"@.Example.com":   "@.example.com",
		"joe@":            "joe@",
		"a.b+c@x":         "a.b+c@x",
	}
	for in, want := range good {
		got, err := CanonPolicyMember(in)
		if err != nil || got != want {
			t.Errorf("CanonPolicyMember(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "@", "example.com", "joe@.example.com", "@exa mple.com", "@-x.com", ".joe@x.com", "a..b@x.com", "@example..com", "j<o@x.com"} {
		if got, err := CanonPolicyMember(in); err == nil {
			t.Errorf("CanonPolicyMember(%q) = %q, want error", in, got)
		}
	}
}
