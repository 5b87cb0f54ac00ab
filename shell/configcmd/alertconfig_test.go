package configcmd

import (
	"reflect"
	"testing"
)

func TestAlertconfigBatch(t *testing.T) {
	b := newBatch(t)
	if got := b.ok("alertconfig print"); got != "There are no alert recipients: alerts are not sent.\n" {
		t.Errorf("print: %q", got)
	}
	b.ok("alertconfig new ops@example.test")
	b.ok("alertconfig new noc@example.test")
	b.fail("alertconfig new OPS@example.test", "already receives alerts")
	b.fail("alertconfig new not-an-address", "is not a valid email address")
	b.fail("alertconfig new", "Usage: alertconfig new")
	b.commit()
	if got := b.ok("alertconfig print"); got != "Alerts are sent to:\n1. ops@example.test\n2. noc@example.test\n" {
		t.Errorf("print: %q", got)
	}
	b.ok("alertconfig delete OPS@example.test")
	b.fail("alertconfig delete who@example.test", "is not an alert recipient")
	if got := b.cfg().System.AlertRecipients; !reflect.DeepEqual(got, []string{"noc@example.test"}) {
		t.Errorf("recipients %q", got)
	}
	b.commit()
}

// --dnssec-trusted marks the resolvers trusted for DANE; a new server
// list drops the mark unless given again.
func TestDnsconfigTrusted(t *testing.T) {
	b := newBatch(t)
	b.ok("dnsconfig setup --servers 127.0.0.1:5353 --dnssec-trusted yes")
	if d := b.cfg().System.DNS; !d.DNSSECTrusted || len(d.Servers) != 1 {
		t.Errorf("dns = %+v", d)
	}
	if got := b.ok("dnsconfig print"); got != "Currently using the following DNS servers:\n1. 127.0.0.1:5353\nThe resolvers are trusted to validate DNSSEC (DANE believes their AD bit).\n" {
		t.Errorf("print: %q", got)
	}
	b.commit()
	b.ok("dnsconfig setup --dnssec-trusted no")
	if d := b.cfg().System.DNS; d.DNSSECTrusted || len(d.Servers) != 1 {
		t.Errorf("after no: %+v", d)
	}
	b.ok("dnsconfig setup --dnssec-trusted yes")
	b.ok("dnsconfig setup --servers 127.0.0.2")
	if d := b.cfg().System.DNS; d.DNSSECTrusted {
		t.Errorf("new servers kept the trust: %+v", d)
	}
	b.fail("dnsconfig setup --dnssec-trusted maybe", "--dnssec-trusted must be yes or no")
	b.commit()
}
