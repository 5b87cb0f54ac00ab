package configcmd

import (
	"reflect"
	"strings"
	"testing"

	"seg/store"
)

func policyNames(ps []store.MailPolicy) []string {
	return names(ps, func(p *store.MailPolicy) string { return p.Name })
}

func TestPolicyconfigBatch(t *testing.T) {
	b := newBatch(t)
	b.ok("policyconfig incoming new sales --recipients @Sales.Example.com,boss@example.com --senders @.partner.org")
	b.ok("policyconfig incoming new first --recipients ceo@ --position 1 --tdc default")
	b.ok("policyconfig incoming new last --recipients @example.net")
	in := b.cfg().Incoming
	if got := policyNames(in); !reflect.DeepEqual(got, []string{"first", "sales", "last", "DEFAULT"}) {
		t.Fatalf("order = %v", got)
	}
	sales := in[1]
	if !reflect.DeepEqual(sales.Recipients, []string{"@sales.example.com", "boss@example.com"}) ||
		!reflect.DeepEqual(sales.Senders, []string{"@.partner.org"}) || sales.TDC != store.TDCOff {
		t.Errorf("sales = %+v", sales)
	}
	if in[0].TDC != store.TDCDefault {
		t.Errorf("first TDC = %q", in[0].TDC)
	}
	b.fail("policyconfig incoming new Sales --recipients @x.com", `A policy named "sales" already exists.`)
	b.fail("policyconfig incoming new DEFAULT --recipients @x.com", "The name DEFAULT is reserved")
	b.fail("policyconfig incoming new bad/name --recipients @x.com", "Policy names may contain only")
	b.fail("policyconfig incoming new p --senders @x.com", "A new policy needs --recipients")
	b.fail("policyconfig incoming new p --recipients=", "A policy needs at least one recipient member.")
	b.fail("policyconfig incoming new p --recipients example.com", `"example.com" is not a valid policy member (no @)`)
	b.fail("policyconfig incoming new p --recipients @x.com --position 5", "--position must be a number from 1 to 4")
	b.fail("policyconfig incoming new p --recipients @x.com --tdc sometimes", "--tdc must be off, default, custom:ADDRESS or inherit")
	b.fail("policyconfig incoming new p --recipients @x.com --tdc custom:nobody", "--tdc custom needs a valid message intake address")
	b.fail("policyconfig incoming new p --recipients @x.com --bogus 1", "Unknown option --bogus")
	b.fail("policyconfig incoming new", "Usage: policyconfig incoming new NAME")
	b.fail("policyconfig sideways print", "say incoming or outgoing first")
	b.fail("policyconfig incoming frob", `Unknown policyconfig operation "frob"`)

	// edit
	b.ok("policyconfig incoming edit sales --senders= --tdc custom:journal@bcc-in.us.etd.cisco.com --name Sales2")
	p := b.cfg().Incoming[1]
	if p.Name != "Sales2" || p.Senders != nil || p.TDC != store.TDCCustom || p.TDCAddress != "journal@bcc-in.us.etd.cisco.com" {
		t.Errorf("after edit: %+v", p)
	}
	b.ok("policyconfig incoming edit DEFAULT --tdc default")
	if d := b.cfg().Incoming[3]; d.Name != "DEFAULT" || d.TDC != store.TDCDefault {
		t.Errorf("DEFAULT = %+v", d)
	}
	b.fail("policyconfig incoming edit DEFAULT --recipients @x.com", "The DEFAULT policy cannot be renamed and has no members")
	b.fail("policyconfig incoming edit DEFAULT --name X", "The DEFAULT policy cannot be renamed")
	b.fail("policyconfig incoming edit nosuch --tdc off", `There is no incoming mail policy named "nosuch".`)
	b.fail("policyconfig incoming edit sales2", "Nothing to change: give --recipients, --senders, --tdc, --name.")
	b.fail("policyconfig incoming edit sales2 --name first", `A policy named "first" already exists.`)

	// inherit (or --tdc=): the DEFAULT policy's setting, followed when
	// DEFAULT changes; DEFAULT itself cannot.
	b.ok("policyconfig incoming edit last --tdc inherit")
	b.ok("policyconfig incoming edit first --tdc=")
	if in := b.cfg().Incoming; in[2].TDC != store.TDCInherit || in[0].TDC != store.TDCInherit {
		t.Errorf("after inherit: %+v", in)
	}
	if got := b.ok("policyconfig incoming print last"); !strings.Contains(got, "Threat Defense Connector: Use DEFAULT policy settings: Enabled (default message intake address)\n") {
		t.Errorf("print last (inherits an enabled DEFAULT):\n%s", got)
	}
	b.fail("policyconfig incoming edit DEFAULT --tdc inherit", "The DEFAULT policy has no policy to inherit from")
	b.fail("policyconfig incoming edit last --tdc inherit:x@y.example", "--tdc must be off, default, custom:ADDRESS or inherit")
	b.ok("policyconfig incoming edit DEFAULT --tdc off")
	if got := b.ok("policyconfig incoming print last"); !strings.Contains(got, "Threat Defense Connector: Use DEFAULT policy settings: Disabled\n") {
		t.Errorf("print last (inherits a disabled DEFAULT):\n%s", got)
	}
	b.ok("policyconfig incoming edit DEFAULT --tdc default")
	b.ok("policyconfig incoming edit first --tdc default")

	out := b.ok("policyconfig incoming print sales2")
	want := `Policy: Sales2
    Recipients: @sales.example.com, boss@example.com
    Senders: Any sender
    Threat Defense Connector: Enabled (custom message intake address journal@bcc-in.us.etd.cisco.com)
`
	if out != want {
		t.Errorf("print:\n%s\nwant:\n%s", out, want)
	}
	all := b.ok("policyconfig incoming print")
	if want := "Policy: DEFAULT\n    Recipients: Any recipient not matched by another policy\n    Senders: Any sender\n    Threat Defense Connector: Enabled (default message intake address)\n"; all[len(all)-len(want):] != want {
		t.Errorf("print all:\n%s", all)
	}
	b.fail("policyconfig incoming print nosuch", "There is no incoming mail policy")

	// The store's validator accepts the tables (TDC default needs the
	// intake address only once TDC is enabled).
	b.commit()

	// move, delete
	b.ok("policyconfig incoming move last 1")
	if got := policyNames(b.cfg().Incoming); !reflect.DeepEqual(got, []string{"last", "first", "Sales2", "DEFAULT"}) {
		t.Errorf("after move: %v", got)
	}
	b.fail("policyconfig incoming move DEFAULT 1", "The DEFAULT policy is always last")
	b.fail("policyconfig incoming move last 4", "The position must be a number from 1 to 3")
	b.fail("policyconfig incoming move last", "Usage: policyconfig incoming move NAME POSITION")
	b.fail("policyconfig incoming delete DEFAULT", "The DEFAULT policy may not be deleted.")
	b.ok("policyconfig incoming delete FIRST")
	if got := policyNames(b.cfg().Incoming); !reflect.DeepEqual(got, []string{"last", "Sales2", "DEFAULT"}) {
		t.Errorf("after delete: %v", got)
	}
	b.commit()

	// outgoing: the same without --tdc.
	b.ok("policyconfig outgoing new staff --recipients @.example.org,user@ --senders @example.com")
	if got := b.cfg().Outgoing; len(got) != 2 || got[0].Name != "staff" || got[0].TDC != "" {
		t.Errorf("outgoing = %+v", got)
	}
	b.fail("policyconfig outgoing new p --recipients @x.com --tdc default", "Outgoing policies have no Threat Defense Connector setting")
	b.fail("policyconfig outgoing edit staff --tdc off", "Outgoing policies have no Threat Defense Connector setting")
	b.fail("policyconfig outgoing edit staff", "Nothing to change: give --recipients, --senders, --name.")
	if got := b.ok("policyconfig outgoing print staff"); got != "Policy: staff\n    Recipients: @.example.org, user@\n    Senders: @example.com\n" {
		t.Errorf("outgoing print: %q", got)
	}
	b.fail("policyconfig outgoing new", "Usage: policyconfig outgoing new NAME")
	b.ok("policyconfig outgoing delete staff")
	b.commit()
}

func TestPolicyconfigComplete(t *testing.T) {
	b := newBatch(t)
	cmd, _ := b.h.S.Commands.Lookup("policyconfig")
	c := b.ctx()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"in"}, "incoming"},
		{[]string{"incoming", "e"}, "edit"},
		{[]string{"incoming", "edit", "D"}, "DEFAULT"},
		{[]string{"incoming", "edit", "DEFAULT", "--"}, "--tdc"},
		{[]string{"outgoing", "new", "x", "--"}, "--position"},
	} {
		if got := cmd.Complete(c, tc.args); !contains(got, tc.want) {
			t.Errorf("Complete(%q) = %v, want %s in it", tc.args, got, tc.want)
		}
	}
	if got := cmd.Complete(c, []string{"outgoing", "edit", "DEFAULT", "--"}); contains(got, "--tdc") {
		t.Errorf("outgoing completes --tdc: %v", got)
	}
}

func TestPolicyconfigTranscripts(t *testing.T) {
	transcript(t, "policyconfig_new.txt", "policyconfig incoming new vip --recipients ceo@example.com")
	transcript(t, "policyconfig_tdc.txt", "policyconfig incoming new sales --recipients @sales.example.com")
}
