package configcmd

import (
	"reflect"
	"strings"
	"testing"

	"seg/store"
)

func TestAddresslistconfigBatch(t *testing.T) {
	b := newBatch(t)
	if got := b.ok("addresslistconfig print"); got != "No address lists configured.\n" {
		t.Errorf("print: %q", got)
	}
	b.ok("addresslistconfig new vips --addresses User@Example.COM,@partner.test,@.sub.test,10.0.0.0/8,10.0.0.0/8")
	want := []store.AddressList{{Name: "vips", Addresses: []string{"User@example.com", "@partner.test", "@.sub.test", "10.0.0.0/8"}}}
	if got := b.cfg().AddressLists; !reflect.DeepEqual(got, want) {
		t.Errorf("lists = %+v, want %+v", got, want)
	}
	if got := b.ok("addresslistconfig print"); !strings.Contains(got, "vips") || !strings.Contains(got, "User@example.com, @partner.test, @.sub.test, 10.0.0.0/8") {
		t.Errorf("print: %q", got)
	}
	b.commit()
	b.fail("addresslistconfig new VIPS --addresses @x.test", "An address list named VIPS already exists.")
	b.fail("addresslistconfig new 1x --addresses @x.test", "not a valid address list name")
	b.fail("addresslistconfig new other --addresses example.com", `"example.com" is not an address`)
	b.fail("addresslistconfig new other --addresses 10.0.0.1/8", "has host bits set")
	b.fail("addresslistconfig new other --addresses=", "Enter at least one address")
	b.fail("addresslistconfig new other", "Usage: addresslistconfig new")
	b.fail("addresslistconfig new other --addresses @x.test --bogus 1", "Unknown option --bogus")
	b.fail("addresslistconfig edit nope --addresses @x.test", "No address list named nope.")
	b.ok("addresslistconfig edit VIPS --addresses 192.0.2.1")
	if got := b.cfg().AddressList("vips").Addresses; !reflect.DeepEqual(got, []string{"192.0.2.1"}) {
		t.Errorf("after edit: %q", got)
	}
	b.commit()
	// A list a policy names cannot go (the candidate is edited by hand:
	// listenerconfig is not in this package's registry), and a commit
	// refuses a policy naming a list that does not exist.
	b.ok("addresslistconfig edit vips --addresses 192.0.2.2")
	cfg := b.cfg()
	cfg.Listeners[0].HAT.Defaults["sender_rate_exceptions"] = "vips"
	b.fail("addresslistconfig delete vips", "Address list vips is used by the sender_rate_exceptions of: listener IncomingMail default policy.")
	cfg.Listeners[0].HAT.Defaults["sender_rate_exceptions"] = ""
	b.ok("addresslistconfig delete vips")
	if len(b.cfg().AddressLists) != 0 {
		t.Errorf("lists after delete: %+v", b.cfg().AddressLists)
	}
	b.fail("addresslistconfig delete vips", "No address list named vips.")
	b.commit()
	b.ok("addresslistconfig new x --addresses @x.test")
	b.cfg().Listeners[0].HAT.Defaults["sender_rate_exceptions"] = "gone"
	b.fail("commit test", `sender_rate_exceptions names address list "gone", which does not exist`)
}

func TestAddresslistconfigTranscript(t *testing.T) {
	transcript(t, "addresslistconfig.txt")
}
