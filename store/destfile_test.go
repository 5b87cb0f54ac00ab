package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sampleDests() (Params, []Destination) {
	def := DefaultDestParams()
	def["recipient_minutes"] = "60"
	def["recipient_limit"] = "0"
	return def, []Destination{
		{Domain: "example.com", Params: Params{"max_host_concurrency": "100", "limit_type": "host", "limit_apply": "system", "use_tls": "required"}},
		{Domain: "mail.example.org", Params: Params{"recipient_limit": "200", "recipient_minutes": "30", "bounce_profile": "slow_retry", "dane": "mandatory", "ip_sort_pref": "REQUIRE_V6"}},
		{Domain: "empty.example.net", Params: Params{}},
	}
}

func TestFormatDestFile(t *testing.T) {
	def, dests := sampleDests()
	got := FormatDestFile(def, dests[:1])
	want := `[DEFAULT]
ip_sort_pref = PREFER_V4
max_host_concurrency = 500
max_messages_per_connection = 50
recipient_minutes = 60
recipient_limit = 0
limit_type = host
limit_apply = system
use_tls = off
dane = off
bounce_validation = off
bounce_profile = Default

[example.com]
max_host_concurrency = 100
limit_type = host
limit_apply = system
use_tls = required
`
	if got != want {
		t.Errorf("FormatDestFile:\n%s\nwant:\n%s", got, want)
	}
}

func TestDestFileRoundTrip(t *testing.T) {
	def, dests := sampleDests()
	text := FormatDestFile(def, dests)
	gdef, gdests, err := ParseDestFile("dest.ini", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gdef, def) {
		t.Errorf("DEFAULT: got %v, want %v", gdef, def)
	}
	if !reflect.DeepEqual(gdests, dests) {
		t.Errorf("entries: got %v, want %v", gdests, dests)
	}
	if again := FormatDestFile(gdef, gdests); again != text {
		t.Errorf("second export differs:\n%s\nfirst:\n%s", again, text)
	}
}

func TestParseDestFileAliases(t *testing.T) {
	in := `# exported by AsyncOS
; another comment
[DEFAULT]
ip_sort_pref = prefer_v6
max_host_concurrency = 0500
max_messages_per_connection = 50
limit_type = 1
limit_apply = 0
use_tls = 2
dane = off
bounce_validation = 1

[Example.COM]
use_tls = 4
limit_type = 0
limit_apply = 1
bounce_validation = 0
`
	def, dests, err := ParseDestFile("x", strings.NewReader(strings.ReplaceAll(in, "\n", "\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	wantDef := Params{"ip_sort_pref": "PREFER_V6", "max_host_concurrency": "500", "max_messages_per_connection": "50",
		"limit_type": "MXIP", "limit_apply": "system", "use_tls": "required", "dane": "off", "bounce_validation": "on"}
	if !reflect.DeepEqual(def, wantDef) {
		t.Errorf("DEFAULT = %v, want %v", def, wantDef)
	}
	want := []Destination{{Domain: "example.com", Params: Params{"use_tls": "require_verify", "limit_type": "host", "limit_apply": "VG", "bounce_validation": "off"}}}
	if !reflect.DeepEqual(dests, want) {
		t.Errorf("entries = %v, want %v", dests, want)
	}
}

func TestParseDestFileErrors(t *testing.T) {
	in := `max_host_concurrency = 5
[DEFAULT]
ip_sort_pref = PREFER_V4
max_host_concurrency = 5000
use_tls = sometimes
limit_type = host
limit_apply = system
bogus = 1

[not a domain]
use_tls = on
[example.com
[example.com]
recipient_limit = 10
recipient_limit = 20
bounce_profile = 9lives
just some words
[EXAMPLE.com]
`
	_, _, err := parseDestFile("dest.ini", strings.NewReader(in), 100)
	var fe *DestFileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *DestFileError", err)
	}
	want := []string{
		`dest.ini:1: "max_host_concurrency" is outside a section: start with [DEFAULT]`,
		`dest.ini:4: max_host_concurrency: value must be between 1 and 1000`,
		`dest.ini:5: use_tls: "sometimes" must be one of off, on, required, on_verify, require_verify`,
		`dest.ini:8: unknown destconfig parameter "bogus"`,
		`dest.ini:10: [not a domain]: not a valid domain (sections are [DEFAULT] and [example.com])`,
		`dest.ini:12: section header "[example.com" has no closing ]`,
		`dest.ini:15: recipient_limit is set twice in [example.com] (first on line 14)`,
		`dest.ini:16: bounce_profile: The bounce profile name must start with a letter or underscore.`,
		`dest.ini:17: expected [SECTION] or KEY = VALUE, got "just some words"`,
		`dest.ini:18: section [example.com] appears twice`,
		`dest.ini:14: recipient_limit needs recipient_minutes (1-60) in [example.com] or [DEFAULT]`,
	}
	if !reflect.DeepEqual(fe.Problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(fe.Problems, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseDestFileNoDefault(t *testing.T) {
	_, _, err := ParseDestFile("f", strings.NewReader("[example.com]\nuse_tls = on\n"))
	if err == nil || err.Error() != "f:1: no [DEFAULT] section: a destconfig file starts with [DEFAULT]" {
		t.Errorf("err = %v", err)
	}
	_, _, err = ParseDestFile("f", strings.NewReader(""))
	if err == nil {
		t.Error("empty file accepted")
	}
}

// TestDestFileAbsentKeys leaves each parameter out of a complete
// [DEFAULT] in turn: the file is taken, and FillDestDefaults gives the
// key its factory default and names it (bounce_profile and the Optional
// ones unnamed; the Optional ones stay absent).
func TestDestFileAbsentKeys(t *testing.T) {
	full := FormatDestFile(Params{
		"ip_sort_pref": "REQUIRE_V6", "max_host_concurrency": "7", "max_messages_per_connection": "3",
		"recipient_minutes": "5", "recipient_limit": "9", "limit_type": "MXIP", "limit_apply": "VG",
		"source_ip": "127.0.0.5", "use_tls": "required", "dane": "mandatory", "bounce_validation": "on",
		"bounce_profile": "slow",
	}, nil)
	for _, key := range DestParams.Names() {
		var lines []string
		for _, l := range strings.Split(full, "\n") {
			if !strings.HasPrefix(l, key+" = ") {
				lines = append(lines, l)
			}
		}
		text := strings.Join(lines, "\n")
		if key == "recipient_minutes" { // the limit needs its interval
			text = strings.Replace(text, "recipient_limit = 9\n", "", 1)
		}
		def, _, err := ParseDestFile("f", strings.NewReader(text))
		if err != nil {
			t.Errorf("without %s: %v", key, err)
			continue
		}
		filled := FillDestDefaults(def)
		s, _ := DestParams.Lookup(key)
		switch {
		case s.Optional:
			if def.Has(key) || len(filled) != 0 {
				t.Errorf("without %s: filled %v, %s = %q; want it absent", key, filled, key, def[key])
			}
		case def[key] != s.Default:
			t.Errorf("without %s: %s = %q, want the default %q", key, key, def[key], s.Default)
		case key == "bounce_profile" && len(filled) != 0:
			t.Errorf("without bounce_profile: named %v", filled)
		case key != "bounce_profile" && !reflect.DeepEqual(filled, []string{key}):
			t.Errorf("without %s: named %v", key, filled)
		}
	}
	def, _, err := ParseDestFile("f", strings.NewReader("[DEFAULT]\n"))
	if err != nil {
		t.Fatal(err)
	}
	FillDestDefaults(def)
	want := DefaultDestParams()
	for _, k := range DestParams.Optional() {
		delete(want, k)
	}
	if !reflect.DeepEqual(def, want) {
		t.Errorf("empty [DEFAULT] filled to %v, want %v", def, want)
	}
}

func TestParseDestFileLongLine(t *testing.T) {
	_, _, err := ParseDestFile("f", strings.NewReader("[DEFAULT]\n# "+strings.Repeat("x", maxDestLine)+"\n"))
	if err == nil || !strings.Contains(err.Error(), "f:2: line longer than") {
		t.Errorf("err = %v", err)
	}
}

func TestCheckBounceProfileName(t *testing.T) {
	for _, n := range []string{"Default", "_x", "slow-retry.v2", "a1"} {
		if err := CheckBounceProfileName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range []string{"", "1abc", "-x", "a b", "a/b", strings.Repeat("a", 65)} {
		if err := CheckBounceProfileName(n); err == nil {
			t.Errorf("%q accepted", n)
		}
	}
}

func FuzzParseDestFile(f *testing.F) {
	def, dests := sampleDests()
	f.Add(FormatDestFile(def, dests))
	f.Add("[DEFAULT]\nuse_tls = 1\n[a.b]\nlimit_type=0\n")
	f.Add("[DEFAULT\n= \n[]\n")
	f.Fuzz(func(t *testing.T, in string) {
		d1, e1, err := ParseDestFile("fuzz", strings.NewReader(in))
		if err != nil {
			if d1 != nil || e1 != nil {
				t.Fatal("results returned with an error")
			}
			return
		}
		text := FormatDestFile(d1, e1)
		d2, e2, err := ParseDestFile("again", strings.NewReader(text))
		if err != nil {
			t.Fatalf("accepted input does not re-import: %v\ninput:\n%q\nexport:\n%s", err, in, text)
		}
		if !reflect.DeepEqual(d1, d2) || !reflect.DeepEqual(e1, e2) {
			t.Fatalf("round trip changed the values:\n%v %v\n%v %v", d1, e1, d2, e2)
		}
		if FormatDestFile(d2, e2) != text {
			t.Fatal("second export differs")
		}
	})
}
