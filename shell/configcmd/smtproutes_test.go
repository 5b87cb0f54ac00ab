package configcmd

import (
	"os"
	"reflect"
	"testing"

	"seg/store"
)

func TestSmtproutesBatch(t *testing.T) {
	b := newBatch(t)
	b.ok("smtproutes new ALL relay.example.net:2525")
	b.ok("smtproutes new Example.COM mx1.example.net:25,10.0.0.1")
	b.ok("smtproutes new .example.org 2001:DB8::1 [2001:db8::2]:26")
	b.ok("smtproutes new junk.example /dev/null")
	want := []store.SMTPRoute{
		{Domain: "example.com", Hosts: []string{"mx1.example.net:25", "10.0.0.1"}},
		{Domain: ".example.org", Hosts: []string{"2001:db8::1", "[2001:db8::2]:26"}},
		{Domain: "junk.example", Hosts: []string{"/dev/null"}},
		{Domain: "ALL", Hosts: []string{"relay.example.net:2525"}},
	}
	if got := b.cfg().System.Routes; !reflect.DeepEqual(got, want) {
		t.Fatalf("routes = %v, want %v (ALL last)", got, want)
	}
	b.fail("smtproutes new example.com other.net", "A route for example.com already exists")
	b.fail("smtproutes new bad_domain x.net", "is not a valid route domain")
	b.fail("smtproutes new x.com /dev/null,relay.net", "/dev/null must be the only destination")
	b.fail("smtproutes new x.com relay.net:99999", "the port must be a number from 1 to 65535")
	b.fail("smtproutes new x.com bad_host!", "is not a valid destination")
	b.fail("smtproutes new x.com", "Usage: smtproutes new DOMAIN")
	b.ok("smtproutes edit example.com mx2.example.net")
	if r := findRoute(b.cfg(), "example.com"); !reflect.DeepEqual(r.Hosts, []string{"mx2.example.net"}) {
		t.Errorf("edit: %v", r.Hosts)
	}
	b.fail("smtproutes edit nosuch.com x.net", `There is no route for "nosuch.com"`)
	out := b.ok("smtproutes print")
	wantOut := `Domain        Destinations
============  =============================
example.com   mx2.example.net
.example.org  2001:db8::1, [2001:db8::2]:26
junk.example  /dev/null
ALL           relay.example.net:2525
`
	if out != wantOut {
		t.Errorf("print:\n%s\nwant:\n%s", out, wantOut)
	}
	b.commit()

	b.ok("smtproutes export routes.txt")
	before := b.cfg().System.Routes
	b.ok("smtproutes clear")
	if len(b.cfg().System.Routes) != 0 {
		t.Error("clear left routes")
	}
	b.ok("smtproutes import routes.txt")
	if got := b.cfg().System.Routes; !reflect.DeepEqual(got, before) {
		t.Errorf("import: %v, want %v", got, before)
	}
	os.WriteFile(b.configPath("bad.txt"), []byte("# routes\nok.com relay.net\nbad!dom x.net\nx.com\n"), 0o600)
	b.fail("smtproutes import bad.txt", "bad.txt:3: \"bad!dom\" is not a valid route domain")
	b.fail("smtproutes import bad.txt", "bad.txt:4: Enter at least one destination host")

	b.ok("smtproutes delete EXAMPLE.com")
	if findRoute(b.cfg(), "example.com") != nil {
		t.Error("not deleted")
	}
	b.fail("smtproutes delete example.com", "There is no route")
	b.fail("smtproutes delete", "Usage: smtproutes delete DOMAIN")
	b.fail("smtproutes frob", `Unknown smtproutes operation "frob"`)
	b.commit()
	if got := b.ok("smtproutes clear"); got != "" {
		t.Errorf("clear printed %q", got)
	}
	if got := b.ok("smtproutes print"); got != "There are no routes configured.\n" {
		t.Errorf("empty print: %q", got)
	}
}

func TestSmtproutesTranscript(t *testing.T) {
	transcript(t, "smtproutes.txt")
}

// Adding and deleting the only route leaves nothing staged.
func TestSmtproutesAddDeleteClean(t *testing.T) {
	b := newBatch(t)
	b.ok("smtproutes new example.com relay.example.net")
	b.ok("smtproutes delete example.com")
	b.ok("destconfig new example.com --use_tls=on")
	b.ok("destconfig delete example.com")
	b.ok("destconfig clear")
	if b.h.S.Dirty() {
		t.Errorf("session dirty after undoing every change: %+v", b.cfg().System.Routes)
	}
}
