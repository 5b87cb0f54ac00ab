package configcmd

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"seg/store"
)

func TestDestconfigBatch(t *testing.T) {
	b := newBatch(t)
	b.ok("destconfig new Example.COM --max_host_concurrency=100 --limit_type=MXIP --use_tls=required max_messages_per_connection=10")
	d := b.cfg().Destination("example.com")
	if d == nil || d.Domain != "example.com" {
		t.Fatalf("entry not created lower-case: %+v", b.cfg().Destinations)
	}
	want := store.Params{"max_host_concurrency": "100", "limit_type": "MXIP", "use_tls": "required", "max_messages_per_connection": "10"}
	if !reflect.DeepEqual(d.Params, want) {
		t.Errorf("params = %v, want %v", d.Params, want)
	}
	b.fail("destconfig new example.com", "already exists")
	b.fail("destconfig new DEFAULT", "DEFAULT always exists")
	b.fail("destconfig new bad_domain!", "is not a valid domain name")
	b.fail("destconfig new x.org --max_host_concurrency=5000", "max_host_concurrency: value must be between 1 and 1000")
	b.fail("destconfig new x.org --use_tls=sometimes", "must be one of off, on, required")
	b.fail("destconfig new x.org --bogus=1", "Unknown destconfig parameter --bogus")
	b.fail("destconfig new x.org --bounce_profile=nosuch", `Unknown bounce profile "nosuch" (defined: Default)`)
	b.fail("destconfig new x.org --recipient_limit=10", "recipient_limit needs recipient_minutes")
	b.fail("destconfig new", "Usage: destconfig new DOMAIN")
	b.fail("destconfig frobnicate", `Unknown destconfig operation "frobnicate"`)

	// Aliases and the AsyncOS spellings are canonicalised.
	b.ok("destconfig new x.org --use_tls=2 --limit_apply=1 --bounce_validation=yes --bounce_profile=default --recipient_limit=50 --recipient_minutes=30")
	want = store.Params{"use_tls": "required", "limit_apply": "VG", "bounce_validation": "on", "bounce_profile": "Default", "recipient_limit": "50", "recipient_minutes": "30"}
	if got := b.cfg().Destination("x.org").Params; !reflect.DeepEqual(got, want) {
		t.Errorf("x.org = %v, want %v", got, want)
	}

	// edit: a domain, an empty value reverts to DEFAULT's.
	b.ok("destconfig edit example.com --use_tls= --dane=mandatory")
	if p := b.cfg().Destination("example.com").Params; p.Has("use_tls") || p["dane"] != "mandatory" {
		t.Errorf("after edit: %v", p)
	}
	b.fail("destconfig edit nosuch.org --dane=off", `"nosuch.org" was not found in the destination control table`)
	b.fail("destconfig edit example.com", "Nothing to change")
	b.fail("destconfig edit example.com --ip_sort_pref=PREFER_V5", "ip_sort_pref")

	// DEFAULT: required values stay, the recipient limit may go.
	b.ok("destconfig edit DEFAULT --max_host_concurrency=200 --recipient_minutes=60 --recipient_limit=1000")
	if p := b.cfg().DestDefault; p["max_host_concurrency"] != "200" || p["recipient_limit"] != "1000" {
		t.Errorf("DEFAULT = %v", p)
	}
	b.ok("destconfig default --recipient_limit= --recipient_minutes=")
	if p := b.cfg().DestDefault; p.Has("recipient_limit") || p.Has("recipient_minutes") {
		t.Errorf("DEFAULT recipient limit not removed: %v", p)
	}
	b.fail("destconfig edit DEFAULT --use_tls=", "DEFAULT needs a value for use_tls")

	// list, detail.
	out := b.ok("destconfig list")
	wantList := `Domain       Rate Limiting  TLS       Bounce Verification  Bounce Profile  IP Address Preference
===========  =============  ========  ===================  ==============  =====================
(Default)    On             Off       Off                  Default         IPv4 Preferred
example.com  On             Default   Default              Default         Default
x.org        On             Required  On                   Default         Default
`
	if out != wantList {
		t.Errorf("list:\n%s\nwant:\n%s", out, wantList)
	}
	out = b.ok("destconfig detail example.com")
	wantDetail := `example.com
    Concurrency limit:            100
    Recipient limit:              Default (None)
    Apply limits:                 Separate limit for each mail exchanger IP address
    Limits enforced:              Default (System Wide)
    Messages per connection:      10
    TLS support:                  Default (No)
    DANE support:                 Mandatory
    Bounce verification tagging:  Default (Off)
    Bounce profile:               Default (Default)
    IP sort preference:           Default (Prefer IPv4)
    Source IP addresses:          Default (System chooses)
`
	if out != wantDetail {
		t.Errorf("detail:\n%s\nwant:\n%s", out, wantDetail)
	}
	all := b.ok("destconfig detail")
	if !strings.HasPrefix(all, "(Default)\n    Concurrency limit:            200\n") || !strings.Contains(all, "\nx.org\n    Concurrency limit:            Default (200)\n    Recipient limit:              50 per 30 minutes\n") {
		t.Errorf("detail all:\n%s", all)
	}
	if b.ok("destconfig detail ALL") != all || !strings.HasPrefix(b.ok("destconfig detail default"), "(Default)\n") {
		t.Error("detail ALL / default differ")
	}
	b.fail("destconfig detail nosuch.org", "was not found")
	b.fail("destconfig list extra", "Usage: destconfig list")

	// delete, clear.
	b.fail("destconfig delete DEFAULT", "The default entry may not be deleted.")
	b.fail("destconfig delete nosuch.org", "was not found")
	b.ok("destconfig delete X.ORG")
	if b.cfg().Destination("x.org") != nil {
		t.Error("x.org not deleted")
	}
	b.commit()
	b.ok("destconfig clear")
	if n := len(b.cfg().Destinations); n != 0 {
		t.Errorf("clear left %d entries", n)
	}
	if b.cfg().DestDefault["max_host_concurrency"] != "200" {
		t.Error("clear changed DEFAULT")
	}
	b.commit()
}

func TestDestconfigProfileInUse(t *testing.T) {
	b := newBatch(t)
	b.ok("bounceconfig new slow max_retries=5")
	b.ok("destconfig new example.com --bounce_profile=SLOW")
	if got := b.cfg().Destination("example.com").Params["bounce_profile"]; got != "slow" {
		t.Errorf("bounce_profile = %q, want the profile's own spelling", got)
	}
	b.fail("bounceconfig delete slow", `The bounce profile "slow" is used by destconfig (example.com); change those entries first.`)
	b.ok("destconfig edit DEFAULT --bounce_profile=slow")
	b.fail("bounceconfig delete slow", "used by destconfig (DEFAULT, example.com)")
	b.commit()
}

func TestDestconfigExportImport(t *testing.T) {
	b := newBatch(t)
	b.ok("bounceconfig new slow max_retries=5")
	b.ok("destconfig new example.com --max_host_concurrency=100 --limit_type=host --limit_apply=system --use_tls=required")
	b.ok("destconfig new mail.example.org --recipient_minutes=30 --recipient_limit=200 --bounce_profile=slow --dane=opportunistic --ip_sort_pref=REQUIRE_V6")
	b.ok("destconfig edit DEFAULT --use_tls=on --bounce_validation=on")
	before := b.cfg().Clone()
	out := b.ok("destconfig export dest.ini")
	if out != "The file dest.ini has been saved in the configuration directory.\n" {
		t.Errorf("export said %q", out)
	}
	data, err := os.ReadFile(b.configPath("dest.ini"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != store.FormatDestFile(before.DestDefault, before.Destinations) {
		t.Errorf("exported file:\n%s", data)
	}
	b.ok("destconfig clear")
	b.ok("destconfig edit DEFAULT --use_tls=off")
	b.ok("destconfig import dest.ini")
	after := b.cfg()
	if !reflect.DeepEqual(after.DestDefault, before.DestDefault) || !reflect.DeepEqual(after.Destinations, before.Destinations) {
		t.Errorf("import did not restore the export:\n%v %v\nwant\n%v %v", after.DestDefault, after.Destinations, before.DestDefault, before.Destinations)
	}
	b.commit()

	// A path is refused, even one into the configuration directory; a
	// second export is identical.
	b.fail("destconfig export "+b.configPath("again.ini"), "is not a file name in the configuration directory")
	if _, err := os.Stat(b.configPath("again.ini")); !os.IsNotExist(err) {
		t.Errorf("a refused export wrote the file: %v", err)
	}
	b.ok("destconfig export again.ini")
	again, _ := os.ReadFile(b.configPath("again.ini"))
	if string(again) != string(data) {
		t.Error("second export differs")
	}

	// Errors: missing file, every bad line reported, unknown profile.
	b.fail("destconfig import nosuch.ini", `the file "nosuch.ini" does not exist`)
	bad := "[DEFAULT]\nuse_tls = maybe\n[bad domain]\n"
	os.WriteFile(b.configPath("bad.ini"), []byte(bad), 0o600)
	b.fail("destconfig import bad.ini", "bad.ini:2: use_tls:")
	b.fail("destconfig import bad.ini", "bad.ini:3: [bad domain]: not a valid domain")
	noProfile := strings.Replace(string(data), "bounce_profile = slow", "bounce_profile = gone", 1)
	os.WriteFile(b.configPath("noprof.ini"), []byte(noProfile), 0o600)
	b.fail("destconfig import noprof.ini", `noprof.ini: [mail.example.org]: unknown bounce profile "gone"`)

	// A file without bounce_profile in DEFAULT gets Default.
	os.WriteFile(b.configPath("min.ini"), []byte(`[DEFAULT]
ip_sort_pref = 1
max_host_concurrency = 10
max_messages_per_connection = 5
limit_type = 1
limit_apply = 0
use_tls = 0
dane = off
bounce_validation = 0
`), 0o600)
	b.fail("destconfig import min.ini", `ip_sort_pref: "1" must be one of`)
	os.WriteFile(b.configPath("min.ini"), []byte(`[DEFAULT]
ip_sort_pref = prefer_v6
max_host_concurrency = 10
max_messages_per_connection = 5
limit_type = 1
limit_apply = 0
use_tls = 0
dane = off
bounce_validation = 0
`), 0o600)
	if out := b.ok("destconfig import min.ini"); out != "" {
		t.Errorf("a complete [DEFAULT] has a note: %q", out)
	}
	if p := b.cfg().DestDefault; p["bounce_profile"] != "Default" || p["limit_type"] != "MXIP" || p["ip_sort_pref"] != "PREFER_V6" || len(b.cfg().Destinations) != 0 {
		t.Errorf("after min.ini: %v %v", p, b.cfg().Destinations)
	}
	b.commit()

	// An export from an AsyncOS release before DANE has no dane line
	// (and this one no bounce_validation): each takes its default, and
	// the import says so.
	os.WriteFile(b.configPath("old.ini"), []byte(`[DEFAULT]
ip_sort_pref = PREFER_V4
max_host_concurrency = 20
max_messages_per_connection = 5
limit_type = 0
limit_apply = 0
use_tls = 1

[example.net]
use_tls = 2
`), 0o600)
	b.ok("destconfig edit DEFAULT --dane=mandatory")
	out = b.ok("destconfig import old.ini")
	if want := "[DEFAULT] in old.ini does not set dane, bounce_validation: using the default: dane = off, bounce_validation = off.\n"; out != want {
		t.Errorf("import old.ini said %q, want %q", out, want)
	}
	if p := b.cfg().DestDefault; p["dane"] != "off" || p["bounce_validation"] != "off" || p["use_tls"] != "on" || p["max_host_concurrency"] != "20" {
		t.Errorf("after old.ini: %v", p)
	}
	b.commit()
}

func TestDestconfigReadOnlyExport(t *testing.T) {
	b := newBatch(t)
	b.h.S.Role = store.RoleReadOnly
	b.ok("destconfig list")
	b.fail("destconfig export x.ini", "You are not in the correct access group to write files.")
	b.fail("destconfig new example.com", "not in the correct access group to make configuration changes")
}

func TestDestconfigSetup(t *testing.T) {
	b := newBatch(t)
	b.ok("certconfig generate Out --cn seg.localdomain")
	b.ok("destconfig setup --certificate out --alert-on-tls-failure yes")
	s := b.cfg().DestSetup
	if s.Certificate != "Out" || !s.AlertOnTLSFail {
		t.Errorf("setup = %+v", s)
	}
	b.commit()
	b.fail("certconfig delete Out", "is the outbound client certificate")
	b.fail("destconfig setup --certificate Nope", "There is no certificate named Nope")
	b.fail("destconfig setup --cert out.crt --key out.key", "certconfig import NAME --cert FILE --key FILE, then destconfig setup --certificate NAME")
	b.fail("destconfig setup", "destconfig setup needs")
	b.fail("destconfig setup --alert-on-tls-failure perhaps", "--alert-on-tls-failure must be yes or no")
	b.fail("destconfig setup --alert-on-tls-failure yes --alert_on_tls_fail no", "Give --alert-on-tls-failure once.")
	b.fail("destconfig setup --colour=blue", "Unknown option --colour")
	// --alert_on_tls_fail is the older spelling.
	b.ok("destconfig setup --certificate none --alert_on_tls_fail=no")
	if s := b.cfg().DestSetup; s != (store.DestSetup{}) {
		t.Errorf("setup after none = %+v", s)
	}
	b.commit()
	b.ok("certconfig delete Out")
}

func TestDestconfigComplete(t *testing.T) {
	b := newBatch(t)
	b.ok("destconfig new example.com")
	cmd, _ := b.h.S.Commands.Lookup("destconfig")
	c := b.ctx()
	if got := cmd.Complete(c, []string{"ed"}); !contains(got, "edit") || !contains(got, "detail") {
		t.Errorf("sub-ops: %v", got)
	}
	if got := cmd.Complete(c, []string{"edit", ""}); !reflect.DeepEqual(got, []string{"DEFAULT", "example.com"}) {
		t.Errorf("edit objects: %v", got)
	}
	if got := cmd.Complete(c, []string{"new", "x.org", "--u"}); !contains(got, "--use_tls=") {
		t.Errorf("params: %v", got)
	}
	if got := cmd.Complete(c, []string{"edit", "example.com", "--use_tls=re"}); !contains(got, "--use_tls=require_verify") || contains(got, "--dane=off") {
		t.Errorf("values: %v", got)
	}
	if got := cmd.Complete(c, []string{"new", "x.org", "bounce_validation="}); !reflect.DeepEqual(got, []string{"bounce_validation=on", "bounce_validation=off"}) {
		t.Errorf("on/off values: %v", got)
	}
}

// Ctrl-C inside NEW abandons the command: nothing is staged.
func TestDestconfigInterrupt(t *testing.T) {
	b := newBatch(t)
	b.h.S.Interactive = true
	// Ctrl-C in NEW goes back to the menu; at the menu, out of the
	// command, which finished nothing.
	b.h.Run("destconfig", "new", "example.com", "", "^C", "^C")
	if b.h.S.Dirty() {
		t.Error("interrupted NEW staged a change")
	}
	out := b.h.Output()
	if !strings.Contains(out, "[500]> ^C\n\nThere are currently 0 entries configured.\n") {
		t.Errorf("Ctrl-C in NEW did not go back to the menu:\n%s", out)
	}
	if !strings.HasSuffix(out, "[]> ^C\nCommand aborted; no changes were made.\n") {
		t.Errorf("output ends:\n%s", out)
	}
}

// EDIT asks with the entry's values as defaults; answering N to a
// question drops that setting (DEFAULT's applies again).
func TestDestconfigInteractiveEdit(t *testing.T) {
	b := newBatch(t)
	b.ok("destconfig new example.com --max_host_concurrency=100 --limit_type=MXIP --limit_apply=system --use_tls=required")
	b.h.S.Interactive = true
	b.h.Run("destconfig", "edit", "nosuch.org", "example.com",
		"", "", // concurrency: keep yes, 100
		"",     // recipient limit: no
		"", "", // limit type MXIP (default shown), enforcement
		"",       // messages per connection: no
		"n",      // TLS: drop
		"y", "2", // DANE opportunistic
		"", "", "", "")
	want := store.Params{"max_host_concurrency": "100", "limit_type": "MXIP", "limit_apply": "system", "dane": "opportunistic"}
	if got := b.cfg().Destination("example.com").Params; !reflect.DeepEqual(got, want) {
		t.Errorf("after EDIT: %v, want %v\n%s", got, want, b.h.Output())
	}
	if !strings.Contains(b.h.Output(), "\"nosuch.org\" was not found in the destination control table.\n") {
		t.Error("unknown domain not reported")
	}
}

func TestDestconfigTranscripts(t *testing.T) {
	transcript(t, "destconfig_new.txt")
	transcript(t, "destconfig_default.txt", "bounceconfig new slow max_retries=5")
}
