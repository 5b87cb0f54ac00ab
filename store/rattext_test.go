package store

import (
	"reflect"
	"strings"
	"testing"
)

func TestRATRoundTrip(t *testing.T) {
	rat := []RATEntry{
		{Entry: "example.com", Action: RATAccept},
		{Entry: ".example.com", Action: RATAccept, BypassReceivingControl: true},
		{Entry: "postmaster@", Action: RATAccept, Code: 250, Text: "Postmaster welcome"},
		{Entry: "spam@example.com", Action: RATReject, Code: 550, Text: "No such user"},
		{Entry: "user@[192.0.2.1]", Action: RATAccept},
		{Entry: "ALL", Action: RATReject},
	}
	text := FormatRAT(rat)
	want := `example.com ACCEPT
.example.com ACCEPT bypass_receiving_control=yes
postmaster@ ACCEPT smtp_response_code=250 smtp_response_text="Postmaster welcome"
spam@example.com REJECT smtp_response_code=550 smtp_response_text="No such user"
user@[192.0.2.1] ACCEPT
ALL REJECT
`
	if text != want {
		t.Errorf("FormatRAT =\n%s\nwant\n%s", text, want)
	}
	back, err := ParseRAT("r", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rat) {
		t.Errorf("round trip: %+v\nwant %+v", back, rat)
	}
	if FormatRAT(back) != text {
		t.Error("text round trip differs")
	}
}

func TestParseRATAsyncOSFile(t *testing.T) {
	text := "# File exported by the GUI at 20060530T220526\n\n.Example.COM ACCEPT\nfoo@bar.com reject smtp_response_text=\"Go away\" bypass_receiving_control=no\nvip@bar.com ACCEPT bypass_receiving_control\n"
	rat, err := ParseRAT("r", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []RATEntry{
		{Entry: ".example.com", Action: RATAccept},
		{Entry: "foo@bar.com", Action: RATReject, Text: "Go away"},
		{Entry: "vip@bar.com", Action: RATAccept, BypassReceivingControl: true},
		{Entry: "ALL", Action: RATReject},
	}
	if !reflect.DeepEqual(rat, want) {
		t.Errorf("got %+v\nwant %+v", rat, want)
	}
	if rat, _ := ParseRAT("r", strings.NewReader("")); !reflect.DeepEqual(rat, DefaultRAT()) {
		t.Errorf("empty file: %+v", rat)
	}
}

func TestParseRATErrors(t *testing.T) {
	text := `a..b ACCEPT
example.com
example.com MAYBE
example.com ACCEPT smtp_response_code=550
example.com REJECT smtp_response_code=abc
example.com REJECT colour=red
example.com REJECT smtp_response_text="unterminated
good.example ACCEPT
good.example REJECT
ALL REJECT
after.example ACCEPT
@example.com ACCEPT
`
	_, err := ParseRAT("rat.txt", strings.NewReader(text))
	le, ok := err.(*LineErrors)
	if !ok {
		t.Fatalf("err = %v, want *LineErrors", err)
	}
	want := []string{
		`rat.txt:1: Invalid recipient address "a..b": use user@domain, domain, .domain, user@ or ALL`,
		`rat.txt:2: expected ENTRY ACCEPT|REJECT [params], got "example.com"`,
		`rat.txt:3: Unknown action "MAYBE": choose ACCEPT or REJECT`,
		`rat.txt:4: The response code for ACCEPT must be from 200 to 299 (250 is the standard code)`,
		`rat.txt:5: smtp_response_code: "abc" is not a number`,
		`rat.txt:6: unknown parameter "colour" (accepted: smtp_response_code, smtp_response_text, bypass_receiving_control)`,
		`rat.txt:7: unterminated quote in "example.com REJECT smtp_"...`,
		`rat.txt:9: good.example is listed twice (first on line 8)`,
		`rat.txt:11: entry after.example follows ALL: ALL must be the last entry`,
		`rat.txt:12: Invalid recipient address "@example.com": use user@domain, domain, .domain, user@ or ALL`,
	}
	if got := strings.Join(le.Problems, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

func TestCanonRATEntry(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM.": "example.com", ".Sub.Example.com": ".sub.example.com", "User@Example.com": "user@example.com",
		"postmaster@": "postmaster@", "all": "ALL", "[192.0.2.1]": "[192.0.2.1]", "x@[IPv6:2001:DB8::1]": "x@[ipv6:2001:db8::1]",
	} {
		if got, err := CanonRATEntry(in); err != nil || got != want {
			t.Errorf("CanonRATEntry(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "@", "a b@x.com", "x@bad_host!", "[1.2.3]", "x@@y"} {
		if _, err := CanonRATEntry(bad); err == nil {
			t.Errorf("CanonRATEntry(%q) accepted", bad)
		}
	}
}

func FuzzParseRAT(f *testing.F) {
	f.Add("example.com ACCEPT\nALL REJECT\n")
	f.Add("# c\nfoo@ REJECT smtp_response_code=550 smtp_response_text=\"x y\" bypass_receiving_control=yes\n")
	f.Fuzz(func(t *testing.T, text string) {
		rat, err := ParseRAT("fuzz", strings.NewReader(text))
		if err != nil {
			return
		}
		out := FormatRAT(rat)
		back, err := ParseRAT("fuzz", strings.NewReader(out))
		if err != nil {
			t.Fatalf("accepted %q but not its export %q: %v", text, out, err)
		}
		if !reflect.DeepEqual(back, rat) || FormatRAT(back) != out {
			t.Fatalf("round trip of %q: %+v vs %+v", text, back, rat)
		}
	})
}
